"""The locker terminal's screen: drop-off, pickup with a code, and staff collection at the cabinet.

A resident's locker item is addressed by its unguessable token, and only the browser that made or
opened it (the terminal's screen, or a phone that scanned its QR) reaches its pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..models import Channel, ItemKind, ItemState, LockerItem, Size, TerminalKind
from ..services import catalogue, locker, tickets, validation
from ..services.errors import DomainError, InvalidInput, NotFound
from ..web import htmx, i18n, limits, no_store
from ..web.context import bind_phone, current_terminal, door_page_url, owns_item, phone_terminal

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


def _item_here(terminal, token: str) -> LockerItem:
    """The item behind a token, for the browser that made or opened it; anyone else gets a 404."""
    try:
        item = locker.item_by_token(terminal, token)
    except NotFound:
        abort(404)
    if not owns_item(item):
        abort(404)
    return item


@bp.get("/")
def home():
    terminal = _locker_terminal()
    if terminal is None:
        return render_template("pages/terminal/not_enrolled.html"), 200
    locker.maybe_sweep(terminal)
    services = [s for c in catalogue.categories(terminal.community) for s in c.services
                if s.needs_paperwork and s.papers_in_locker and not s.guidance_only]
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
        return render_template("pages/error.html", status_code=error.status_code,
                               message=str(error.message)), error.status_code
    bind_phone(terminal)
    return redirect(url_for("terminal.home"), code=303)


# ---------------------------------------------------------------- drop-off

@bp.get("/dropoff/<int:service_id>")
def dropoff_form(service_id: int):
    terminal = _require_terminal()
    service = catalogue.get_service(service_id, terminal.community)
    return _form(terminal, service, form={"submission_key": tickets.new_submission_key(), "sms": "1"}, errors={})


def _form(terminal, service, *, form, errors, status=200):
    return htmx.render(
        "pages/terminal/dropoff_form.html", "partials/kiosk/request_form.html", status,
        service=service, buildings=catalogue.buildings(terminal.community), form=form, errors=errors,
        details_max=validation.DETAILS_MAX, terminal=terminal,
        submit_url=url_for("terminal.dropoff_submit", service_id=service.id),
        check_url=url_for("kiosk.field_check", service_id=service.id, field="FIELD"),
        back_url=url_for("terminal.home"),
        # Opening a door takes up to LOCK_COMMAND_SECONDS: the form's request waits longer than that.
        request_timeout_ms=int((current_app.config["LOCK_COMMAND_SECONDS"] + 12) * 1000),
    )


@bp.post("/dropoff/<int:service_id>")
@limits.submission
def dropoff_submit(service_id: int):
    terminal = _require_terminal()
    service = catalogue.get_service(service_id, terminal.community)
    form = {key: request.form.get(key, "") for key in (*tickets.FIELDS, "submission_key", "sms")}
    try:
        ticket = tickets.submit_request(form, service=service, community=terminal.community,
                                        channel=Channel.LOCKER, terminal=terminal,
                                        submission_key=form["submission_key"], locale=i18n.select_locale())
    except InvalidInput as error:
        return _form(terminal, service, form=form, errors=error.errors, status=422)
    return htmx.redirect(_drop_off(terminal, ticket))


def _drop_off(terminal, ticket) -> str:
    """Where the resident goes once their ticket exists: its open door, or the ticket page that says
    what to do.  The same form sent again (a second tap, a lost answer) tries no second door."""
    item = locker.active_item_of(ticket, ItemKind.SUBMISSION)
    if item is None and not locker.drop_off_tried(ticket):
        try:
            item = locker.reserve_and_open(terminal, ticket, ItemKind.SUBMISSION, locker.DoorReason.DROP_OFF,
                                           min_size=ticket.service.papers_size if ticket.service.needs_paperwork else Size.S,
                                           actor_label="resident")
        except (locker.TerminalFull, locker.DoorFault, locker.LockerUnavailable):
            item = None  # the ticket stands; its page says what happened and what to do
    if item is not None and item.state == ItemState.RESERVED:
        return door_page_url(item)
    return url_for("kiosk.ticket_issued", token=ticket.token)


@bp.post("/dropoff/retry/<token>")
def dropoff_retry(token: str):
    """After a door that did not open: one more compartment, for the same ticket."""
    terminal = _require_terminal()
    ticket = tickets.get_by_token(token)
    try:
        item = locker.retry_drop_off(terminal, ticket)
    except DomainError:  # the ticket page says what happened and what to do
        item = None
    if item is not None and item.state == ItemState.RESERVED:
        return redirect(door_page_url(item), code=303)
    return redirect(url_for("kiosk.ticket_issued", token=ticket.token), code=303)


@bp.get("/items/<token>")
def item_page(token: str):
    terminal = _require_terminal()
    item = _item_here(terminal, token)
    return render_template("pages/terminal/door.html", item=item, terminal=terminal, cabinet=locker.cabinet(terminal),
                           simulated=locker.is_simulated(terminal), given_up=locker.given_up_by_resident(item))


@bp.get("/items/<token>/door")
def item_door(token: str):
    """The door's state, polled every second while the person stands at it."""
    terminal = _require_terminal()
    item = _item_here(terminal, token)
    locker.maybe_sweep(terminal)
    locker.refresh_door(item.compartment)
    if locker.given_up_by_resident(item):  # with the door open: home once it is closed
        if not locker.left_open_after_cancelling(item):
            return htmx.redirect(url_for("terminal.home"))
        return htmx.partial("partials/terminal/door_state.html", item=item, failed=False, given_up=True,
                            simulated=locker.is_simulated(terminal))
    progress = locker.item_progress(item)
    if progress == "closed":
        return htmx.redirect(_after_close(item))
    if progress == "failed" and item.kind == ItemKind.SUBMISSION:
        return htmx.redirect(url_for("kiosk.ticket_issued", token=item.ticket.token))
    return htmx.partial("partials/terminal/door_state.html", item=item, failed=progress == "failed",
                        simulated=locker.is_simulated(terminal))


def _after_close(item) -> str:
    if locker.given_up_by_resident(item):
        return url_for("terminal.home")
    if item.kind == ItemKind.SUBMISSION and item.state == ItemState.HELD:
        return url_for("kiosk.ticket_issued", token=item.ticket.token)
    return url_for("terminal.done_page", token=item.token)


@bp.post("/items/<token>/close")
def item_close(token: str):
    """Demo cabinet only: 'close' a simulated door by a click."""
    terminal = _require_terminal()
    item = _item_here(terminal, token)
    if not locker.is_simulated(terminal):
        abort(404)
    locker.door_closed(item.compartment, actor=current_user if current_user.is_authenticated else None,
                       actor_label="" if current_user.is_authenticated else "resident")
    return htmx.redirect(_after_close(item))


@bp.post("/items/<token>/cancel")
def item_cancel(token: str):
    terminal = _require_terminal()
    item = _item_here(terminal, token)
    locker.cancel_drop_off(item)
    # The door the resident opened stays on screen until it is closed again (an open door left
    # behind is the next passer-by's).
    return redirect(door_page_url(item) if locker.left_open_after_cancelling(item) else url_for("terminal.home"),
                    code=303)


@bp.get("/items/<token>/done")
def done_page(token: str):
    from ..services import receipts

    terminal = _require_terminal()
    item = _item_here(terminal, token)
    picked_up = item.kind == ItemKind.RESULT and item.state == ItemState.DONE
    slip = receipts.print_once(terminal, item.ticket, receipts.PICKUP, item=item) if picked_up else None
    return _done(item, slip=slip)


def _done(item: LockerItem, *, slip=None, rating_errors=None, comment: str = "", status: int = 200):
    from ..models import RATING_LABELS
    from ..services import ratings

    picked_up = item.kind == ItemKind.RESULT and item.state == ItemState.DONE
    return render_template("pages/terminal/done.html", item=item, ask_rating=picked_up and ratings.can_rate(item.ticket),
                           rating_labels=RATING_LABELS, rating=ratings.rating_of(item.ticket), slip=slip,
                           rating_errors=rating_errors or {}, comment=comment), status


@bp.post("/items/<token>/rating")
def item_rating(token: str):
    """Right after a pickup the terminal asks how well the resident was served."""
    from ..services import ratings

    terminal = _require_terminal()
    item = _item_here(terminal, token)
    if item.kind != ItemKind.RESULT or item.state != ItemState.DONE:
        abort(404)
    try:
        ratings.rate(item.ticket, request.form.get("level"), request.form.get("comment", ""))
    except InvalidInput as error:  # asked again, with what was wrong and what was typed kept
        return _done(item, rating_errors=error.errors, comment=request.form.get("comment", "")[:2000],
                     status=error.status_code)
    return redirect(url_for("terminal.done_page", token=item.token), code=303)


# ---------------------------------------------------------------- pickup

@bp.get("/pickup")
def pickup_form():
    terminal = _require_terminal()
    # A keypad closed for the day says so before anyone types a code.
    closed = locker.keypad_closed_notice(terminal)
    return render_template("pages/terminal/pickup.html", terminal=terminal,
                           error=str(closed) if closed else None)


@bp.post("/pickup")
def pickup_submit():
    terminal = _require_terminal()
    # Wrong codes slow down the screen or phone they come from.  The screen is known as itself (its
    # idle reset or a new session does not wipe its wait), a phone by its address (a new session on the
    # same phone does not either); the per-terminal ceiling bounds the rest.
    on_screen = current_terminal() is not None
    source = f"screen:{terminal.id}" if on_screen else f"phone:{request.remote_addr or 'unknown'}"
    try:
        item = locker.pick_up(terminal, request.form.get("code", ""), source=source)
    except DomainError as error:  # a wrong code 422, a wait 429, a door that did not open 409, the board 503
        return render_template("pages/terminal/pickup.html", terminal=terminal,
                               error=str(error.message)), error.status_code
    return redirect(door_page_url(item), code=303)


# ---------------------------------------------------------------- staff at the cabinet

def _staff_here():
    """The terminal a member of staff acts at, once signed in and only in a community of theirs."""
    from ..services import scope

    terminal = _require_terminal()
    if not current_user.is_authenticated:
        # Back here once signed in (a bare path: full_path would add a lone "?").
        target = request.full_path if request.query_string else request.path
        return terminal, redirect(url_for("staff.login", next=target))
    scope.require_terminal(current_user, terminal)
    return terminal, None


@bp.get("/staff")
def staff_page(problem: str = "", status: int = 200):
    terminal, login = _staff_here()
    if login:
        return login
    return render_template(
        "pages/terminal/staff.html", terminal=terminal,
        collectable=locker.collectable(current_user, terminal),
        returnable=locker.returnable(current_user, terminal),
        uncollected=locker.uncollected(current_user, terminal),
        cabinet=locker.cabinet(terminal), open_too_long=locker.open_too_long(terminal),
        to_check=locker.to_check(terminal), problem=problem,
    ), status


@bp.post("/staff/sign-out")
def staff_sign_out():
    """退出: the screen is the next resident's; nothing of this member of staff stays in its session."""
    from flask import session

    from ..web.auth import end_here

    end_here()
    session.clear()
    return redirect(url_for("terminal.home"), code=303)


@bp.post("/staff/collect")
def staff_collect():
    terminal, login = _staff_here()
    if login:
        return login
    opened = []
    for item_id in request.form.getlist("item")[:50]:
        try:
            opened.append(locker.collect(current_user, terminal, item_id))
        except (locker.DoorFault, locker.LockerUnavailable) as error:
            # What opened so far stays open and listed; the rest waits for the board or a repair.
            return staff_page(str(error.message), error.status_code)
    if len(opened) == 1:
        return redirect(door_page_url(opened[0]), code=303)
    return redirect(url_for("terminal.staff_page"), code=303)


@bp.post("/staff/return/<int:ticket_id>")
def staff_return(ticket_id: int):
    return _open_for_staff(locker.start_return, ticket_id)


@bp.post("/staff/take-back/<int:item_id>")
def staff_take_back(item_id: int):
    return _open_for_staff(locker.take_back, item_id)


def _open_for_staff(action, record_id: int):
    """A staff action that opens one door at this cabinet; its door page follows."""
    terminal, login = _staff_here()
    if login:
        return login
    item = action(current_user, terminal, record_id)
    return redirect(door_page_url(item), code=303)


@bp.post("/staff/doors/<int:compartment_id>/close")
def staff_close(compartment_id: int):
    """Demo cabinet: a member of staff closes any open simulated door (e.g. one left open)."""
    terminal, login = _staff_here()
    if login:
        return login
    locker.staff_close_door(current_user, terminal, compartment_id)
    return redirect(url_for("terminal.staff_page"), code=303)


def _check_at_cabinet(action, compartment_id: int):
    """A staff action on a compartment waiting for a check; what refuses it shows on the staff page."""
    terminal, login = _staff_here()
    if login:
        return login
    try:
        action(current_user, terminal, compartment_id)
    except NotFound:
        raise
    except DomainError as error:
        return staff_page(str(error.message), error.status_code)
    return redirect(url_for("terminal.staff_page"), code=303)


@bp.post("/staff/check/<int:compartment_id>/open")
def staff_check_open(compartment_id: int):
    """Open a compartment that waits for a check, to look inside."""
    return _check_at_cabinet(locker.check_open, compartment_id)


@bp.post("/staff/check/<int:compartment_id>/done")
def staff_checked(compartment_id: int):
    """Looked inside, took out what was there, closed the door: the compartment is offered again."""
    return _check_at_cabinet(locker.checked_empty, compartment_id)
