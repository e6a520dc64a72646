"""The locker terminal's screen: drop-off, pickup with a code, and staff collection at the cabinet."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import Channel, ItemKind, ItemState, LockerItem, Size, TerminalKind
from ..services import catalogue, locker, tickets, validation
from ..services.errors import DomainError, InvalidInput
from ..web import htmx, i18n, no_store
from ..web.context import bind_phone, current_terminal, phone_terminal

bp = Blueprint("terminal", __name__)
bp.after_request(no_store)




def _locker_terminal():
    """The locker this request acts at: the terminal's own screen, or a phone that scanned its QR."""
    terminal = current_terminal()
    if terminal is not None and terminal.kind == TerminalKind.LOCKER:
        return terminal
    return phone_terminal()


def _require_terminal():
    terminal = _locker_terminal()
    if terminal is None:
        abort(404)
    return terminal


def _item_here(terminal, item_id) -> LockerItem:
    item = db.session.get(LockerItem, validation.record_id(item_id) or 0)
    if item is None or item.compartment.terminal_id != terminal.id:
        abort(404)
    return item


@bp.get("/")
def home():
    terminal = _locker_terminal()
    if terminal is None:
        return render_template("pages/terminal/not_enrolled.html"), 200
    services = [s for c in catalogue.categories() for s in c.services if s.needs_paperwork and not s.guidance_only]
    on_screen = current_terminal() is not None
    return render_template("pages/terminal/home.html", terminal=terminal, services=services,
                           cabinet=locker.cabinet(terminal) if on_screen else [], on_screen=on_screen)


@bp.get("/phone-qr")
def phone_qr():
    """The screen's rotating QR (refreshed every minute): scanning it binds a phone to this locker."""
    terminal = current_terminal()
    if terminal is None or terminal.kind != TerminalKind.LOCKER:
        abort(404)
    return htmx.partial("partials/terminal/phone_qr.html", terminal=terminal)


@bp.get("/phone/<token>")
def phone_link(token: str):
    from ..services import terminals

    try:
        terminal = terminals.terminal_from_phone_link(token, current_app.config["PHONE_QR_SECONDS"])
    except DomainError as error:
        return render_template("pages/error.html", status_code=400, message=str(error.message)), 400
    bind_phone(terminal)
    return redirect(url_for("terminal.home"), code=303)


# ---------------------------------------------------------------- drop-off

@bp.get("/dropoff/<int:service_id>")
def dropoff_form(service_id: int):
    terminal = _require_terminal()
    service = catalogue.get_service(service_id)
    return _form(terminal, service, form={"submission_key": tickets.new_submission_key(), "sms": "1"}, errors={})


def _form(terminal, service, *, form, errors, status=200):
    return htmx.render(
        "pages/terminal/dropoff_form.html", "partials/kiosk/request_form.html", status,
        service=service, buildings=catalogue.buildings(terminal.community), form=form, errors=errors,
        details_max=validation.DETAILS_MAX, terminal=terminal,
        submit_url=url_for("terminal.dropoff_submit", service_id=service.id),
        check_url=url_for("kiosk.field_check", service_id=service.id, field="FIELD"),
        back_url=url_for("terminal.home"),
    )


@bp.post("/dropoff/<int:service_id>")
def dropoff_submit(service_id: int):
    terminal = _require_terminal()
    service = catalogue.get_service(service_id)
    form = {key: request.form.get(key, "") for key in (*tickets.FIELDS, "submission_key", "sms")}
    try:
        ticket = tickets.submit_request(form, service=service, community=terminal.community,
                                        channel=Channel.LOCKER, terminal=terminal,
                                        submission_key=form["submission_key"], locale=i18n.select_locale())
    except InvalidInput as error:
        return _form(terminal, service, form=form, errors=error.errors, status=422)
    existing = db.session.scalar(db.select(LockerItem).filter_by(ticket_id=ticket.id, kind=ItemKind.SUBMISSION))
    if existing is not None:  # the same form again: back to its door
        return htmx.redirect(url_for("terminal.item_page", item_id=existing.id))
    try:
        item = locker.reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, locker.DoorReason.DROP_OFF,
                                       min_size=Size.M if service.needs_paperwork else Size.S,
                                       actor_label="resident")
    except locker.TerminalFull:
        # The ticket stands; the papers go to the service centre instead.
        return htmx.redirect(url_for("kiosk.ticket_issued", token=ticket.token, problem="full"))
    return htmx.redirect(url_for("terminal.item_page", item_id=item.id))


@bp.get("/items/<int:item_id>")
def item_page(item_id: int):
    terminal = _require_terminal()
    item = _item_here(terminal, item_id)
    return render_template("pages/terminal/door.html", item=item, terminal=terminal,
                           simulated=terminal.lock_url.startswith("sim:"))


@bp.get("/items/<int:item_id>/door")
def item_door(item_id: int):
    """The door's state, polled every second while the person stands at it."""
    terminal = _require_terminal()
    item = _item_here(terminal, item_id)
    locker.refresh_door(item.compartment)
    progress, replacement = locker.item_progress(item)
    if progress == "closed":
        return htmx.redirect(_after_close(item))
    if progress == "moved":
        return htmx.redirect(url_for("terminal.item_page", item_id=replacement.id))
    return htmx.partial("partials/terminal/door_state.html", item=item, failed=progress == "failed",
                        simulated=terminal.lock_url.startswith("sim:"))


def _after_close(item) -> str:
    if item.kind == ItemKind.SUBMISSION and item.state == ItemState.HELD:
        return url_for("kiosk.ticket_issued", token=item.ticket.token)
    return url_for("terminal.done_page", item_id=item.id)


@bp.post("/items/<int:item_id>/close")
def item_close(item_id: int):
    """Demo cabinet only: 'close' a simulated door by a click."""
    terminal = _require_terminal()
    item = _item_here(terminal, item_id)
    if not terminal.lock_url.startswith("sim:"):
        abort(404)
    locker.door_closed(item.compartment, actor=current_user if current_user.is_authenticated else None,
                       actor_label="" if current_user.is_authenticated else "resident")
    return htmx.redirect(_after_close(item))


@bp.post("/items/<int:item_id>/cancel")
def item_cancel(item_id: int):
    terminal = _require_terminal()
    item = _item_here(terminal, item_id)
    locker.cancel_drop_off(terminal, item.id)
    return redirect(url_for("terminal.home"), code=303)


@bp.get("/items/<int:item_id>/done")
def done_page(item_id: int):
    from ..models import RATING_LABELS
    from ..services import ratings

    terminal = _require_terminal()
    item = _item_here(terminal, item_id)
    from ..services import receipts

    picked_up = item.kind == ItemKind.RESULT and item.state == ItemState.DONE
    slip = receipts.print_once(terminal, item.ticket, receipts.PICKUP, item=item) if picked_up else None
    return render_template("pages/terminal/done.html", item=item, ask_rating=picked_up and ratings.can_rate(item.ticket),
                           rating_labels=RATING_LABELS, rating=ratings.rating_of(item.ticket), slip=slip)


@bp.post("/items/<int:item_id>/rating")
def item_rating(item_id: int):
    """Right after a pickup the terminal asks how well the resident was served."""
    from ..services import ratings

    terminal = _require_terminal()
    item = _item_here(terminal, item_id)
    if item.kind != ItemKind.RESULT or item.state != ItemState.DONE:
        abort(404)
    try:
        ratings.rate(item.ticket, request.form.get("level"), request.form.get("comment", ""))
    except InvalidInput:
        return redirect(url_for("terminal.done_page", item_id=item.id), code=303)
    return redirect(url_for("terminal.done_page", item_id=item.id), code=303)


# ---------------------------------------------------------------- pickup

@bp.get("/pickup")
def pickup_form():
    terminal = _require_terminal()
    return render_template("pages/terminal/pickup.html", terminal=terminal, error=None)


@bp.post("/pickup")
def pickup_submit():
    terminal = _require_terminal()
    try:
        item = locker.pick_up(terminal, request.form.get("code", ""))
    except locker.DoorFault as error:
        return render_template("pages/terminal/pickup.html", terminal=terminal, error=str(error.message)), 409
    except DomainError as error:
        return render_template("pages/terminal/pickup.html", terminal=terminal, error=str(error.message)), 422
    return redirect(url_for("terminal.item_page", item_id=item.id), code=303)


# ---------------------------------------------------------------- staff at the cabinet

def _staff_here():
    terminal = _require_terminal()
    if not current_user.is_authenticated:
        return terminal, redirect(url_for("staff.login", next=request.full_path))
    return terminal, None


@bp.get("/staff")
def staff_page():
    terminal, login = _staff_here()
    if login:
        return login
    from ..services import scope
    from ..services.errors import NotFound

    if terminal.community_id not in {c.id for c in scope.communities(current_user)}:
        raise NotFound(locker.NOT_YOURS)
    return render_template(
        "pages/terminal/staff.html", terminal=terminal,
        collectable=locker.collectable(current_user, terminal),
        returnable=locker.returnable(current_user, terminal),
        uncollected=[i for i in locker.uncollected(current_user) if i.compartment.terminal_id == terminal.id],
        cabinet=locker.cabinet(terminal), open_too_long=locker.open_too_long(terminal),
    )


@bp.post("/staff/collect")
def staff_collect():
    terminal, login = _staff_here()
    if login:
        return login
    wanted = request.form.getlist("item")
    opened = [locker.collect(current_user, terminal, item_id) for item_id in wanted]
    if len(opened) == 1:
        return redirect(url_for("terminal.item_page", item_id=opened[0].id), code=303)
    return redirect(url_for("terminal.staff_page"), code=303)


@bp.post("/staff/return/<int:ticket_id>")
def staff_return(ticket_id: int):
    terminal, login = _staff_here()
    if login:
        return login
    item = locker.start_return(current_user, terminal, ticket_id)
    return redirect(url_for("terminal.item_page", item_id=item.id), code=303)


@bp.post("/staff/take-back/<int:item_id>")
def staff_take_back(item_id: int):
    terminal, login = _staff_here()
    if login:
        return login
    item = locker.take_back(current_user, item_id)
    return redirect(url_for("terminal.item_page", item_id=item.id), code=303)


@bp.post("/staff/doors/<int:compartment_id>/close")
def staff_close(compartment_id: int):
    """Demo cabinet: a member of staff closes any open simulated door (e.g. one left open)."""
    terminal, login = _staff_here()
    if login:
        return login
    from ..models import Compartment

    compartment = db.session.get(Compartment, compartment_id)
    if compartment is None or compartment.terminal_id != terminal.id or not terminal.lock_url.startswith("sim:"):
        abort(404)
    locker.door_closed(compartment, actor=current_user)
    return redirect(url_for("terminal.staff_page"), code=303)
