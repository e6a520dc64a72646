"""The resident's kiosk and phone flow: catalogue → service → form → ticket."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from ..models import Channel, TerminalKind
from ..services import catalogue, terminals, tickets, validation
from ..services.errors import DomainError, InvalidInput
from ..web import fragments, htmx, i18n, limits, no_store
from ..web.transactions import reads_only
from ..web.context import (choose_community, current_community, current_terminal, forget_items, forget_voters,
                           phone_terminal, set_terminal_cookie)

bp = Blueprint("kiosk", __name__)
bp.after_request(no_store)




def _community_or_picker():
    community = current_community()
    if community is None:
        return None, render_template("pages/kiosk/choose_community.html", communities=catalogue.communities())
    return community, None


@bp.get("/")
@reads_only
def home():
    community, picker = _community_or_picker()
    if picker is not None:
        return picker
    catalogue_html = fragments.render_kept(f"catalogue:{community.id}", "partials/kiosk/catalogue.html",
                                           lambda: {"categories": catalogue.categories(community)})
    return render_template("pages/kiosk/home.html", catalogue_html=catalogue_html)


@bp.get("/consultations")
@reads_only
def consultations_list():
    """居民议事: the matters the community's residents are discussing or voting on, and recent results."""
    from ..services import consultations

    community, picker = _community_or_picker()
    if picker is not None:
        return picker
    found = consultations.for_community(community.id)
    return render_template("pages/kiosk/consultations.html", consultations=found,
                           phases={c.id: consultations.phase(c) for c in found})


@bp.get("/community")
@reads_only
def community_list():
    """A phone's way back to the choice of community (an enrolled kiosk belongs to one)."""
    if current_terminal() is not None:
        return redirect(url_for("kiosk.home"))
    return render_template("pages/kiosk/choose_community.html", communities=catalogue.communities(),
                           then=_then(request.args.get("next")))


def _then(target: str | None) -> str | None:
    """Where a phone goes once its community is chosen: home, or back to the volunteers' page."""
    return target if target == url_for("public.volunteer_home") else None


@bp.get("/community/<code>")
def community_choose(code: str):
    if current_terminal() is not None:
        # An enrolled kiosk belongs to one community.
        return redirect(url_for("kiosk.home"))
    choose_community(catalogue.get_community(code))
    return redirect(_then(request.args.get("next")) or url_for("kiosk.home"))


@bp.post("/reset")
def reset():
    """Called by the idle timer: the next resident starts at home, in Chinese, with nothing typed."""
    i18n.forget_preferences()
    forget_items()  # nor does the next resident reach the last one's door pages
    forget_voters()  # nor speak for the last one's household in a consultation
    terminal = current_terminal()
    if terminal is not None and terminal.kind == TerminalKind.LOCKER:
        return redirect(url_for("terminal.home"), code=303)
    return redirect(url_for("kiosk.home"), code=303)


@bp.get("/services/<int:service_id>")
@reads_only
def service_detail(service_id: int):
    community, picker = _community_or_picker()
    if picker is not None:
        return picker
    service = catalogue.get_service(service_id, community)
    return render_template("pages/kiosk/service.html", service=service,
                           local_note=catalogue.local_note(community, service))


def _render_form(service, community, *, form: dict, errors: dict, status: int = 200):
    return htmx.render(
        "pages/kiosk/request.html",
        "partials/kiosk/request_form.html",
        status,
        service=service,
        buildings=catalogue.buildings(community),
        form=form,
        errors=errors,
        details_max=validation.DETAILS_MAX,
        submit_url=url_for("kiosk.request_submit", service_id=service.id),
        check_url=url_for("kiosk.field_check", service_id=service.id, field="FIELD"),
        back_url=url_for("kiosk.service_detail", service_id=service.id),
    )


@bp.get("/services/<int:service_id>/request")
@reads_only
def request_form(service_id: int):
    community, picker = _community_or_picker()
    if picker is not None:
        return picker
    service = catalogue.get_service(service_id, community)
    if service.guidance_only:
        return redirect(url_for("kiosk.service_detail", service_id=service.id))
    return _render_form(service, community, form={"submission_key": tickets.new_submission_key(), "sms": "1"}, errors={})


def _channel():
    terminal = current_terminal()
    if terminal is None:
        return Channel.PHONE
    return Channel.LOCKER if terminal.kind == TerminalKind.LOCKER else Channel.KIOSK


@bp.post("/services/<int:service_id>/request")
@limits.submission
def request_submit(service_id: int):
    community, picker = _community_or_picker()
    if picker is not None:
        return picker
    service = catalogue.get_service(service_id, community)
    form = {key: request.form.get(key, "") for key in (*tickets.FIELDS, "submission_key", "sms")}
    try:
        ticket = tickets.submit_request(
            form,
            service=service,
            community=community,
            channel=_channel(),
            terminal=current_terminal(),
            submission_key=form["submission_key"],
            locale=i18n.select_locale(), sms_opt_in=request.form.get("sms") == "1",
        )
    except InvalidInput as error:
        errors = error.messages
        return _render_form(service, community, form=form, errors=errors, status=422)
    return htmx.redirect(url_for("kiosk.ticket_issued", token=ticket.token))


@bp.post("/services/<int:service_id>/check/<field>")
@limits.attempts("LIMIT_FIELD_CHECKS", "field-check")
def field_check(service_id: int, field: str):
    """Inline validation of one field while the resident fills the form (htmx)."""
    community = current_community()
    if community is None or field not in tickets.FIELDS:
        abort(404)
    service = catalogue.get_service(service_id)
    message = tickets.field_message(field, request.form.get(field), service=service, community=community)
    # A form that was sent back with errors shows how many are left, counted again with each check.
    left = tickets.form_messages(request.form, service=service, community=community) \
        if request.form.get("summary") == "1" else None
    return htmx.partial("partials/kiosk/field_check.html", field=field, message=message, errors=left)


@bp.get("/tickets/<token>")
def ticket_issued(token: str):
    from ..services import event_texts, locker, receipts

    ticket = tickets.get_by_token(token)
    in_locker = locker.submission_in_locker(ticket)
    # A drop-off that put no papers in a compartment: what happened and what to do, from the timeline
    # (the same on every visit, however the resident got here).
    problem = locker.drop_off_problem(ticket)
    # The terminal that issued the ticket prints its receipt, once: on its own screen, or for a
    # phone that scanned its QR (the resident stands at it).  A plain phone or browser never prints.
    # The receipt is this page on paper (it says where the papers went, or what went wrong), so it is
    # printed where the page is shown rather than by each way its outcome arrives (a door poll, a
    # simulated close, an agent's report, the sweeper); one job per ticket, so a reload prints nothing.
    terminal, receipt = current_terminal() or phone_terminal(), None
    at_its_locker = terminal is not None and ticket.terminal_id == terminal.id
    if at_its_locker:
        receipt = receipts.print_once(terminal, ticket, receipts.TICKET, item=in_locker,
                                      locker_problem=event_texts.event_note(problem) if problem else "")
    can_retry = at_its_locker and problem is not None and problem.action in locker.RETRYABLE \
        and locker.tries_left(ticket)
    return render_template("pages/kiosk/ticket.html", ticket=ticket, in_locker=in_locker, problem=problem,
                           can_retry=can_retry, receipt=receipt)


@bp.post("/ticket/<token>/sms")
def ticket_sms(token: str):
    """No receipt came out and the resident had declined messages: send the ticket by text after all."""
    ticket = tickets.get_by_token(token)
    tickets.send_by_text_after_all(ticket)
    return redirect(url_for("kiosk.ticket_issued", token=ticket.token), code=303)


@bp.get("/enrol")
def enrol_form():
    # ?code= : the address in the QR code an administrator shows, scanned on the terminal.
    return render_template("pages/kiosk/enrol.html", error=None, code=request.args.get("code", "")[:32])


@bp.post("/enrol")
@limits.attempts("LIMIT_ENROL", "enrol")
def enrol_submit():
    try:
        terminal, credential = terminals.enrol(request.form.get("code", ""))
    except DomainError as error:
        return render_template("pages/kiosk/enrol.html", error=str(error.message)), error.status_code
    # "/" opens the kiosk home or the locker screen, whichever this terminal is.
    response = make_response(redirect(url_for("public.landing"), code=303))
    set_terminal_cookie(response, credential)
    return response
