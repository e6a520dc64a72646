"""Residents picking up results: codes at the keypad (guessing bounded per terminal), or a phone."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select

from ...extensions import db
from ...models import Compartment, DoorReason, ItemKind, ItemState, LockerItem, Status, Terminal, Ticket, TicketView
from ...models.base import utcnow
from .. import throttle, workdays
from ..errors import InvalidInput, NotFound, Throttled
from ..uow import separate
from .codes import CODE_DIGITS, _code_hash, pickup_code
from .doors import open_unless_open

# Guessing is bounded per terminal, not per person: a person is easy to replace (another phone,
# another address), a terminal is not.  In each window of PICKUP_WINDOW_SECONDS a
# terminal's keypad checks at most ``keypad_ceiling`` wrong codes, sized so that a year of guessing at
# full speed, every compartment holding a result, opens fewer than PICKUP_GUESS_BUDGET doors on
# average (README, "Pickup codes"); it takes that many only under a deliberate attack.  Mistakes
# are slowed where they are made: a screen or phone waits longer after each of its wrong codes, and
# nobody else waits for them.

YEAR_SECONDS = 365 * 24 * 60 * 60


def _typed_digits(code: str | None) -> str:
    """The digits typed: a space ("1234 5678", as the status page groups them) or a phone keyboard's
    full-width digits do not matter."""
    import unicodedata

    return "".join(str(unicodedata.decimal(ch)) for ch in (code or "") if ch.isdecimal())


CODE_REFUSED = _l("This code does not open any door here. Check the code on your ticket's page.")
CODE_LENGTH = _l("A pickup code has 8 digits. Check the code on your ticket's page.")


def keypad_ceiling(terminal: Terminal) -> int:
    """Wrong codes the terminal's keypad checks per window: F = ⌊B·10^L / (W·C)⌋, with B the
    PICKUP_GUESS_BUDGET, L the code's digits, C the terminal's compartments and W the windows that
    one 365-day year can touch.  A window starts with the first code after the previous one ended,
    so a year touches one more than fit in it (366 of a day; 365 would let 366·228·12/10^8 > 0.01
    through a demo cabinet).  A wrong code hits one of at most C waiting codes with probability
    ≤ C/10^L, so a year's guessing opens at most W·F·C/10^L ≤ B doors on average."""
    from fractions import Fraction

    from sqlalchemy import func

    config = current_app.config
    compartments = db.session.scalar(select(func.count()).select_from(Compartment)
                                     .where(Compartment.terminal_id == terminal.id))
    windows = -(-YEAR_SECONDS // config["PICKUP_WINDOW_SECONDS"]) + 1
    budget = Fraction(str(config["PICKUP_GUESS_BUDGET"]))  # 0.01 exactly, not the float nearest to it
    return int(budget * 10 ** CODE_DIGITS / (windows * max(compartments, 1)))


def _waits() -> list[int]:
    """Seconds a screen or phone waits after n wrong codes (the last entry for any more): nothing
    after the free ones, then 10, 20, 40 … up to 15 minutes."""
    config = current_app.config
    waits, wait = [0] * (config["PICKUP_FREE_TRIES"] + 1), max(1, config["PICKUP_FIRST_WAIT_SECONDS"])
    while wait < config["PICKUP_MAX_WAIT_SECONDS"]:
        waits.append(wait)
        wait *= 2
    return waits + [config["PICKUP_MAX_WAIT_SECONDS"]]


def _wait_words(seconds: float) -> str:
    """A wait in the reader's language, never shorter than it is ("40秒", "2分钟")."""
    import math

    from flask_babel import format_timedelta

    if seconds <= 60:
        return format_timedelta(timedelta(seconds=max(1, math.ceil(seconds))), threshold=1)
    return format_timedelta(timedelta(minutes=math.ceil(seconds / 60)), threshold=1)


def _keypad_closed(until):
    return _l("Too many wrong codes have been entered at this locker: its keypad takes codes again at "
              "%(time)s. Until then, scan the QR code on this locker's screen with your phone and open your "
              "door from your ticket's page, or ask the service centre.",
              time=until.astimezone(workdays.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"))


def keypad_closed_notice(terminal: Terminal):
    """What the keypad page says while the terminal's keypad takes no codes (None while it does)."""
    until = throttle.window_end(f"pickup:{terminal.id}", current_app.config["PICKUP_WINDOW_SECONDS"],
                                after=keypad_ceiling(terminal))
    return _keypad_closed(until) if until is not None else None


def pick_up(terminal: Terminal, code: str, *, source: str = "keypad") -> LockerItem:
    """Open the door of the result whose code this is.

    ``source`` is the screen or phone the code comes from (the route names the screen as itself and a
    phone by its address; callers without one share "keypad").  Its wrong codes make it wait, longer after each; a right code
    clears that.  The terminal's keypad checks at most ``keypad_ceiling`` wrong codes per window,
    then refuses codes until the window ends, and staff are alerted.  A code is counted before it
    is checked, atomically, so codes sent in parallel are all counted; a malformed one checks
    nothing and counts nothing.
    """
    window = current_app.config["PICKUP_WINDOW_SECONDS"]
    digits = _typed_digits(code)
    if len(digits) != CODE_DIGITS:
        raise InvalidInput({"code": CODE_LENGTH})
    keypad, ceiling = f"pickup:{terminal.id}", keypad_ceiling(terminal)
    closed_until = throttle.window_end(keypad, window, after=ceiling)
    if closed_until is not None:
        raise Throttled(_keypad_closed(closed_until))
    mine, waits = f"{keypad}:{source[:64]}", _waits()
    counted, retry_at = throttle.count_spaced_attempt(mine, window, waits)
    if counted is None:  # still waiting: not checked
        raise Throttled(_l("Too many wrong codes from this screen or phone. Please try again in %(wait)s.",
                           wait=_wait_words((retry_at - utcnow()).total_seconds())))
    failures = throttle.count_attempt(keypad, window)
    if failures > ceiling:  # other codes filled the window while this one was on its way
        raise Throttled(_keypad_closed(throttle.window_end(keypad, window) or utcnow()))
    item = db.session.scalar(select(LockerItem).join(Compartment).where(
        Compartment.terminal_id == terminal.id, LockerItem.kind == ItemKind.RESULT,
        LockerItem.state == ItemState.HELD, LockerItem.pickup_code_hash == _code_hash(digits),
        LockerItem.pickup_expires_at > utcnow()))
    if item is None:
        until = throttle.window_end(keypad, window)
        with separate("staff are alerted though the code is refused"):
            if failures == 1:  # once a window: forget the screens and phones of windows that are over
                throttle.drop_expired(f"{keypad}:", window)
            _alert_staff(terminal, failures, ceiling, until)
        if failures >= ceiling and until is not None:  # that was the window's last code
            raise Throttled(_keypad_closed(until))
        wait = waits[min(counted, len(waits) - 1)]
        if wait:
            raise InvalidInput({"code": _l("This code does not open any door here. Check the code on your "
                                           "ticket's page. You can try again in %(wait)s.", wait=_wait_words(wait))})
        raise InvalidInput({"code": CODE_REFUSED})
    with separate("a right code counts against nobody, whatever the door does next"):
        # Its screen or phone starts afresh, the keypad takes it back.
        throttle.clear(mine)
        throttle.forgive(keypad)
    open_unless_open(item.compartment, DoorReason.PICKUP, item=item, actor_label="resident")
    return item


def _alert_staff(terminal: Terminal, failures: int, ceiling: int, until) -> None:
    """Record on the terminal that someone may be guessing codes: from PICKUP_ALERT_FAILURES wrong
    codes in a window (or the ceiling, if lower) until the window ends.  One conditional update, so
    parallel wrong codes leave the highest count, and the first alert's time stands."""
    from sqlalchemy import or_, update

    threshold = min(current_app.config["PICKUP_ALERT_FAILURES"], ceiling)
    if failures < threshold or until is None:
        return
    table = Terminal.__table__
    db.session.execute(update(table).where(
        table.c.id == terminal.id,
        or_(table.c.keypad_alert_until.is_(None), table.c.keypad_alert_until < until,
            table.c.keypad_alert_failures < failures),
    ).values(keypad_alert_at=case((table.c.keypad_alert_until == until, table.c.keypad_alert_at),
                                  else_=utcnow()),
             keypad_alert_failures=failures, keypad_alert_until=until))
    if failures in (threshold, ceiling):
        current_app.logger.warning("terminal %s: %d wrong pickup codes in the window ending %s%s",
                                   terminal.code, failures, until.isoformat(),
                                   "; keypad closed" if failures >= ceiling else "")


class KeypadAlert:
    """Wrong pickup codes at a terminal's keypad in its current window, as staff are shown them."""

    def __init__(self, terminal: Terminal, ceiling: int, window_seconds: int):
        self.raised_at = terminal.keypad_alert_at
        self.failures = terminal.keypad_alert_failures
        self.until = terminal.keypad_alert_until  # the window's end: a closed keypad reopens then
        self.since = self.until - timedelta(seconds=window_seconds)
        self.ceiling = ceiling
        self.closed = self.failures >= ceiling


def keypad_alert(terminal: Terminal) -> KeypadAlert | None:
    """The current alert about guessed codes at this terminal's keypad, or None."""
    if terminal.keypad_alert_at is None or terminal.keypad_alert_until is None \
            or terminal.keypad_alert_until <= utcnow():
        return None
    return KeypadAlert(terminal, keypad_ceiling(terminal), current_app.config["PICKUP_WINDOW_SECONDS"])


def pickup_code_for_ticket(ticket: TicketView) -> tuple[LockerItem, str] | None:
    """The code to show on a ticket's status page, while its result waits in a compartment."""
    if not ticket.physical_result or ticket.status not in (Status.COMPLETED, Status.CLOSED):  # nothing waits
        return None
    item = db.session.scalar(select(LockerItem).where(
        LockerItem.ticket_id == ticket.id, LockerItem.kind == ItemKind.RESULT, LockerItem.state == ItemState.HELD,
        LockerItem.pickup_expires_at > utcnow()))
    return (item, pickup_code(item)) if item else None


def pick_up_from_phone(terminal: Terminal, ticket: Ticket) -> LockerItem:
    """Open a ticket's result door for a phone that scanned this locker's QR: holding the ticket's
    status page (its QR) and standing at the locker stand in for the code."""
    found = pickup_code_for_ticket(ticket)
    if found is None or found[0].compartment.terminal_id != terminal.id:
        raise NotFound(_l("Nothing waits for this ticket in this locker."))
    open_unless_open(found[0].compartment, DoorReason.PICKUP, item=found[0], actor_label="resident:phone")
    return found[0]
