"""Staff sessions kept on the server.

A signed-in browser holds a random token in its (signed) session cookie; the ``staff_sessions`` table
holds the token's hash, when the session began and was last seen, and where from.  Every request
checks it, so ending a session ends it at once, for every copy of its cookie: signing out, a new
password or a reset, disabling the account, a change of role or area, "sign out everywhere" and the
idle limit.  The account's session version (part of the cookie's identity) changes too when all of
its sessions end, so a cookie from before cannot come back either way.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import Staff, StaffSession
from ..models.base import utcnow
from .admin.audit import AuditAction, record, record_row
from .errors import NotFound
from .uow import in_unit_of_work, separate, use_case

SEEN_EVERY = timedelta(seconds=60)  # how often a session's "last seen" is written

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(staff: Staff, *, address: str = "", user_agent: str = "") -> str:
    """A new session of ``staff`` (inside the sign-in's unit of work); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(staff_id=staff.id, token_hash=_hash(token), address=(address or "")[:45],
                                user_agent=(user_agent or "")[:200]))
    return token


def load(identity: str, token: str | None) -> Staff | None:
    """The account of a request's session, if the session is still on: identity ``"<id>.<version>"``
    and the cookie's token both match, and it has not been idle longer than STAFF_IDLE_MINUTES."""
    from .validation import record_id

    raw_id, _, raw_version = (identity or "").partition(".")
    staff_id, version = record_id(raw_id), record_id(raw_version)
    if staff_id is None or version is None or not isinstance(token, str) or not token:
        return None
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None or row.staff_id != staff_id:
        return None
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active or staff.session_version != version:
        return None
    now = utcnow()
    if now - row.seen_at > timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"]):
        _end(row, "idle")
        return None
    if now - row.seen_at > SEEN_EVERY:
        _in_a_unit(lambda: db.session.execute(update(StaffSession).where(StaffSession.id == row.id)
                                              .values(seen_at=now)))
    return staff


def _in_a_unit(write) -> None:
    """A session's last sight or end is written on its own (a page that only reads writes nothing
    else), or as part of the use case under way."""
    if in_unit_of_work():
        write()
    else:
        with separate("a session seen or ended"):
            write()


def _end(row: StaffSession, reason: str, actor: Staff | None = None) -> None:
    def write():
        ended = db.session.execute(update(StaffSession).where(StaffSession.id == row.id,
                                                              StaffSession.ended_at.is_(None))
                                   .values(ended_at=utcnow(), ended_reason=reason)).rowcount
        if ended:
            staff = db.session.get(Staff, row.staff_id)
            record_row(actor or staff, AuditAction.SIGN_OUT, "staff", staff.id, name=staff.username,
                       area_id=staff.area_id, after={"reason": reason, "session": row.id})

    _in_a_unit(write)


def end(token: str | None, reason: str = "signed_out") -> None:
    """End this browser's session (signing out, or the screen of a terminal going home)."""
    if isinstance(token, str) and token:
        row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
        if row is not None:
            _end(row, reason)


def end_all(staff: Staff, reason: str, actor: Staff | None = None) -> None:
    """End every session of the account, inside the caller's unit of work (its new password, a reset,
    disabling it, …); a cookie from before is refused by its old session version too."""
    staff.session_version = (staff.session_version or 1) + 1
    ended = db.session.execute(update(StaffSession).where(StaffSession.staff_id == staff.id,
                                                          StaffSession.ended_at.is_(None))
                               .values(ended_at=utcnow(), ended_reason=reason)).rowcount
    if ended:
        record(actor or staff, AuditAction.END_SESSIONS, "staff", staff.id, name=staff.username,
               area_id=staff.area_id, after={"reason": reason, "sessions": ended})


def active(staff: Staff) -> list[StaffSession]:
    """The account's sessions that are on, latest first."""
    idle = utcnow() - timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    return list(db.session.scalars(select(StaffSession).where(
        StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None), StaffSession.seen_at >= idle)
        .order_by(StaffSession.seen_at.desc(), StaffSession.id.desc())))


def current(staff: Staff, token: str | None) -> StaffSession | None:
    """The session of this browser (by its cookie's token), if it is the account's and still on."""
    if not isinstance(token, str) or not token:
        return None
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    return row if row is not None and row.staff_id == staff.id and row.ended_at is None else None


def is_current(row: StaffSession, token: str | None) -> bool:
    return isinstance(token, str) and row.token_hash == _hash(token)


@use_case
def end_own(staff: Staff, session_id) -> None:
    """End one of the account's own sessions (a browser left signed in elsewhere)."""
    from .validation import record_id

    row = db.session.get(StaffSession, record_id(session_id) or 0)
    if row is None or row.staff_id != staff.id or row.ended_at is not None:
        raise NotFound(_l("This session has already ended."))
    _end(row, "ended")


@use_case
def end_everywhere(staff: Staff) -> None:
    """End every session of the account, this one too ("sign out everywhere")."""
    end_all(staff, "everywhere")
