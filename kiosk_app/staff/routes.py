"""The back office: the queue, a ticket's page and its actions, counter entry, export, figures."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Channel, Status
from ..services import catalogue, exports, figures, locker, queue, scope, tickets, validation, workdays, workflow
from ..services.errors import DomainError, InvalidInput, NotFound
from ..web import htmx, i18n, no_store
from ..web.auth import enforce_idle_timeout
from ..web.transactions import reads_only

bp = Blueprint("staff", __name__)
bp.after_request(no_store)
bp.before_request(enforce_idle_timeout)


@bp.context_processor
def navigation():
    """The back office's top bar (every page under layouts/staff.html: this blueprint's and admin's)."""
    if current_user.is_authenticated:
        return {"deadlines": queue.deadline_counts(current_user)}
    return {}


def _today() -> date:
    from ..models.base import utcnow

    return workdays.local_date(utcnow())


# ---------------------------------------------------------------- the queue

@bp.get("/")
@reads_only
@login_required
def queue_page():
    filters = queue.Filters.from_args(request.args)
    page = queue.queue(current_user, filters, _today())
    whole_page = not htmx.is_swap()  # the live refresh swaps the results alone: no filter lists
    return htmx.render(
        "pages/staff/queue.html",
        "partials/staff/queue_results.html",
        filters=filters,
        result=page,
        today=_today(),
        services=catalogue.service_choices() if whole_page else (),
        grids=scope.grid_choices(current_user) if whole_page else (),
        statuses=list(Status),
        status_tabs=[(s.value, s.label) for s in Status],
        channels=list(Channel),
    )


@bp.get("/export.csv")
@login_required
def queue_export():
    export = exports.queue_csv(current_user, queue.Filters.from_args(request.args), _today())
    return Response(export.text, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})


# ---------------------------------------------------------------- a ticket

def _ticket_context(ticket, **extra):
    from ..services import ratings, ticket_help

    return dict(
        ticket=ticket,
        help=ticket_help.for_staff(current_user, ticket),
        rating=ratings.rating_of(ticket),
        actions=workflow.available_actions(current_user, ticket),
        candidates=workflow.reassign_candidates(current_user, ticket),
        may_reveal=scope.may_see_personal_data(current_user, ticket),
        hand_back=locker.hand_back_state(ticket),
        today=_today(),
        Action=workflow.Action,
        errors=extra.pop("errors", {}),
        **extra,
    )


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_detail(ticket_id: int):
    ticket = scope.get_ticket(current_user, ticket_id)
    workflow.mark_opened(current_user, ticket)
    return htmx.render("pages/staff/ticket.html", "partials/staff/ticket_panel.html",
                       **_ticket_context(ticket, revealed=False))


@bp.post("/tickets/<int:ticket_id>/erase")
@login_required
def ticket_erase(ticket_id: int):
    from ..services import privacy

    privacy.erase(current_user, ticket_id)
    flash(_("The resident's personal data is erased; the ticket stays in the figures."), "ok")
    return redirect(url_for("staff.ticket_detail", ticket_id=ticket_id), code=303)


@bp.post("/tickets/<int:ticket_id>/reveal")
@login_required
def ticket_reveal(ticket_id: int):
    ticket = workflow.reveal_personal_data(current_user, ticket_id)
    return htmx.render("pages/staff/ticket.html", "partials/staff/ticket_panel.html",
                       **_ticket_context(ticket, revealed=True))


@bp.post("/tickets/<int:ticket_id>/<action>")
@login_required
def ticket_action(ticket_id: int, action: str):
    form = request.form
    try:
        ticket = workflow.apply_action(
            current_user, ticket_id, action,
            note=form.get("note", ""), version=form.get("version"),
            physical_result=form.get("physical_result") == "1", assignee_id=form.get("assignee"),
        )
    except workflow.Conflict as error:
        fresh = scope.get_ticket(current_user, ticket_id)
        return htmx.render("pages/staff/ticket.html", "partials/staff/ticket_panel.html", error.status_code,
                           **_ticket_context(fresh, revealed=False, problem=str(error.message)))
    except InvalidInput as error:
        fresh = scope.get_ticket(current_user, ticket_id)
        return htmx.render("pages/staff/ticket.html", "partials/staff/ticket_panel.html", error.status_code,
                           **_ticket_context(fresh, revealed=False, errors=error.errors, open_action=action,
                                             note=form.get("note", "")))
    except DomainError as error:
        if error.status_code == 404:
            raise
        fresh = scope.get_ticket(current_user, ticket_id)
        return htmx.render("pages/staff/ticket.html", "partials/staff/ticket_panel.html", error.status_code,
                           **_ticket_context(fresh, revealed=False, problem=str(error.message)))
    if htmx.is_swap():
        response = htmx.partial("partials/staff/ticket_panel.html", trigger="ticket-changed",
                                **_ticket_context(ticket, revealed=False, done=action))
        return response
    flash(_("Saved: %(action)s.", action=workflow.Action(action).label), "ok")
    return redirect(url_for("staff.ticket_detail", ticket_id=ticket.id), code=303)


# ---------------------------------------------------------------- counter entry (channel "counter")

def _counter_community():
    return scope.counter_community(current_user, validation.record_id(request.values.get("community")))


@bp.get("/counter")
@login_required
def counter_home():
    community, communities = _counter_community()
    return render_template("pages/staff/counter.html", categories=catalogue.categories(community),
                           entry_community=community, communities=communities)


def _counter_form(service, community, *, form, errors, status=200):
    return htmx.render(
        "pages/staff/counter_form.html", "partials/kiosk/request_form.html", status,
        service=service, buildings=catalogue.buildings(community), form=form, errors=errors,
        details_max=validation.DETAILS_MAX, entry_community=community,
        submit_url=url_for("staff.counter_submit", service_id=service.id, community=community.id),
        check_url=url_for("staff.counter_check", service_id=service.id, community=community.id, field="FIELD"),
        back_url=url_for("staff.counter_home", community=community.id),
    )


@bp.get("/counter/<int:service_id>")
@login_required
def counter_form(service_id: int):
    community, _all = _counter_community()
    service = catalogue.get_service(service_id, community)
    if service.guidance_only:
        return render_template("pages/kiosk/service.html", service=service)
    return _counter_form(service, community, form={"submission_key": tickets.new_submission_key(), "sms": "1"}, errors={})


@bp.post("/counter/<int:service_id>")
@login_required
def counter_submit(service_id: int):
    community, _all = _counter_community()
    service = catalogue.get_service(service_id, community)
    form = {key: request.form.get(key, "") for key in (*tickets.FIELDS, "submission_key", "sms")}
    try:
        ticket = tickets.submit_request(form, service=service, community=community, channel=Channel.COUNTER,
                                        submission_key=form["submission_key"], locale=i18n.select_locale(),
                                        sms_opt_in=request.form.get("sms") == "1",
                                        entered_by=current_user)
    except InvalidInput as error:
        return _counter_form(service, community, form=form, errors=error.errors, status=422)
    return htmx.redirect(url_for("staff.counter_ticket", ticket_id=ticket.id))


@bp.get("/counter/tickets/<int:ticket_id>")
@login_required
def counter_ticket(ticket_id: int):
    """The ticket just entered, at the counter: shown for the resident's phone, printed as a receipt,
    then the next resident (the back office stays around it)."""
    ticket = scope.get_ticket(current_user, ticket_id)
    return render_template("pages/staff/counter_ticket.html", ticket=ticket,
                           next_url=url_for("staff.counter_home", community=ticket.community_id))


@bp.post("/counter/<int:service_id>/check/<field>")
@login_required
def counter_check(service_id: int, field: str):
    community, _all = _counter_community()
    if field not in tickets.FIELDS:
        return htmx.partial("partials/kiosk/field_error.html", status=404, field=field, message="")
    service = catalogue.get_service(service_id)
    message = tickets.field_message(field, request.form.get(field), service=service, community=community)
    left = tickets.form_messages(request.form, service=service, community=community) \
        if request.form.get("summary") == "1" else None
    return htmx.partial("partials/kiosk/field_check.html", field=field, message=message, errors=left)


# ---------------------------------------------------------------- figures

@bp.get("/figures")
@login_required
def figures_page():
    data = figures.figures_page(current_user, _date_arg("from"), _date_arg("to"), _today())
    return render_template("pages/staff/figures.html", figures=data)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


# ---------------------------------------------------------------- terminals (admins)

@bp.get("/terminals")
@login_required
def terminals_page():
    from ..services import locker

    scope.require_admin(current_user)
    return render_template("pages/staff/terminals.html", terminals=locker.terminals_in_scope(current_user))


@bp.get("/terminals/<int:terminal_id>")
@login_required
def terminal_live(terminal_id: int):
    """A terminal's compartments, live (the page refreshes the cabinet every few seconds)."""
    from ..services import locker

    terminal = locker.admin_terminal(current_user, terminal_id)
    return htmx.render("pages/staff/terminal.html", "partials/staff/terminal_cabinet.html", terminal=terminal,
                       cabinet=locker.cabinet(terminal), open_too_long=locker.open_too_long(terminal))


@bp.post("/terminals/<int:terminal_id>/printer-test")
@login_required
def printer_test(terminal_id: int):
    """Print a test page, e.g. after loading paper: a print that works clears the fault."""
    from ..services import locker, receipts

    terminal = locker.admin_terminal(current_user, terminal_id)
    fault = receipts.print_test_page(current_user, terminal) if terminal.has_printer else None
    return htmx.render("pages/staff/terminal.html", "partials/staff/terminal_cabinet.html",
                       409 if fault else 200, terminal=terminal, cabinet=locker.cabinet(terminal),
                       open_too_long=locker.open_too_long(terminal), printer_tested=True)


@bp.post("/terminals/<int:terminal_id>/compartments/<int:compartment_id>/<state>")
@login_required
def compartment_service(terminal_id: int, compartment_id: int, state: str):
    from ..services import locker

    terminal = locker.admin_terminal(current_user, terminal_id)
    if state not in ("in-service", "out-of-service"):
        raise NotFound(_("We could not find this page."))
    problem, status = None, 200
    try:
        locker.set_compartment_service(current_user, terminal, compartment_id, state == "in-service")
    except DomainError as error:
        if error.status_code == 404:
            raise
        problem, status = str(error.message), error.status_code
    return htmx.render("pages/staff/terminal.html", "partials/staff/terminal_cabinet.html", status, terminal=terminal, cabinet=locker.cabinet(terminal),
                       open_too_long=locker.open_too_long(terminal), problem=problem)


# ---------------------------------------------------------------- follow-ups of poor ratings (admins)

@bp.get("/follow-ups")
@login_required
def follow_ups_page():
    from ..services import ratings

    return render_template("pages/staff/follow_ups.html", items=ratings.follow_ups(current_user), today=_today())


@bp.get("/follow-ups/<int:follow_up_id>")
@login_required
def follow_up_detail(follow_up_id: int):
    from ..services import ratings

    item = ratings.get_follow_up(current_user, follow_up_id)
    return render_template("pages/staff/follow_up.html", item=item, rating=ratings.rating_followed(item),
                           errors={}, form={}, today=_today())


@bp.post("/follow-ups/<int:follow_up_id>")
@login_required
def follow_up_close(follow_up_id: int):
    from ..services import ratings

    form = {"findings": request.form.get("findings", ""), "actions_taken": request.form.get("actions_taken", "")}
    try:
        ratings.close_follow_up(current_user, follow_up_id, form["findings"], form["actions_taken"])
    except InvalidInput as error:
        item = ratings.get_follow_up(current_user, follow_up_id)
        return render_template("pages/staff/follow_up.html", item=item, rating=ratings.rating_followed(item),
                               errors=error.errors, form=form, today=_today()), 422
    flash(_("The follow-up is closed."), "ok")
    return redirect(url_for("staff.follow_ups_page"), code=303)


from . import account as _account_pages  # noqa: E402,F401  (its routes join this blueprint)
from . import archive as _archive_pages  # noqa: E402,F401  (its routes join this blueprint)
from . import consultations as _consultation_pages  # noqa: E402,F401  (its routes join this blueprint)
from . import ticket_help as _ticket_help_pages  # noqa: E402,F401  (its routes join this blueprint)
