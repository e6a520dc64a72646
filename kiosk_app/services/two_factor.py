"""Two-factor sign-in: a six-digit code from an authenticator app (TOTP, RFC 6238, via pyotp).

Any account may turn it on; the roles in ``TWO_FACTOR_ROLES`` (district admins, by default) must: until
they have, every back-office page sends them to the set-up page.  Setting up shows a secret (and its
QR code for the app) that is kept only once a code made from it is entered.  At sign-in, an account
with it asks for a code after the password; a code is taken once (its time step is remembered), and
five wrong codes in 15 minutes lock the second step like wrong passwords lock the first.  An admin
can reset it for an account whose phone is lost (the account sets it up again).
"""

from __future__ import annotations

import pyotp
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..extensions import db
from ..models import Staff
from ..models.base import utcnow
from . import sessions, throttle
from .admin.audit import AuditAction, record
from .errors import DomainError, InvalidInput, Throttled
from .uow import use_case

ISSUER = "社区云柜"
MAX_FAILURES, LOCK_SECONDS = 5, 15 * 60
WRONG = _l("This code is not right. Enter the six digits your authenticator app shows now.")
LOCKED = _l("Too many wrong codes: try again in 15 minutes, or ask an administrator to reset two-factor sign-in.")


def required(staff: Staff) -> bool:
    roles = {r.strip() for r in (current_app.config.get("TWO_FACTOR_ROLES") or "").split(",")}
    return staff.role.value in roles


def enabled(staff: Staff) -> bool:
    return staff.totp_enabled_at is not None and bool(staff.totp_secret)


def awaiting_code(staff_id, session_version) -> Staff | None:
    """The account a browser gave the right password for, if it (still) signs in with a code and its
    password has not changed since (a reset or a new password ends a sign-in half done too)."""
    from .validation import record_id

    staff = db.session.get(Staff, record_id(staff_id) or 0)
    if staff is None or not staff.active or not enabled(staff) or staff.session_version != session_version:
        return None
    return staff


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(staff: Staff, secret: str) -> str:
    """What the QR code holds: the account and the secret, for any authenticator app."""
    return pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)


def _step(secret: str, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side for a slow clock), or None."""
    code = "".join(ch for ch in (code or "")[:12] if ch.isdigit())
    if len(code) != 6 or not secret:
        return None
    totp, now = pyotp.TOTP(secret), int(utcnow().timestamp())
    for drift in (0, -1, 1):
        at = now + drift * totp.interval
        if totp.verify(code, for_time=at):
            return at // totp.interval
    return None


def check_code(staff: Staff, code: str) -> None:
    """The second step of signing in: ``code`` must be right and not taken before (raises otherwise)."""
    key = f"totp:{staff.id}"
    if throttle.count_attempt(key, LOCK_SECONDS) > MAX_FAILURES:
        raise Throttled(LOCKED)
    step = _step(staff.totp_secret or "", code)
    if step is None or not _take(staff, step):
        raise InvalidInput({"code": str(WRONG)})
    _forget_failures(key)


@use_case
def _take(staff: Staff, step: int) -> bool:
    """Take the code of ``step`` for good, unless it (or a later one) was taken already: one statement,
    so two requests with the same code cannot both pass."""
    taken = db.session.execute(update(Staff).where(Staff.id == staff.id, Staff.totp_last_step < step)
                               .values(totp_last_step=step)).rowcount
    db.session.expire(staff, ["totp_last_step"])
    return bool(taken)


@use_case
def _forget_failures(key: str) -> None:
    throttle.clear(key)


AFRESH = _l("Start again: open this page afresh.")


@use_case
def setup_secret(staff: Staff, token: str | None) -> str:
    """The secret shown while this session sets the app up: made at first sight and kept (sealed) with
    the session on the server until a code confirms it, so reloading the page shows the same one."""
    row = sessions.current(staff, token)
    if row is None:
        raise InvalidInput({"code": str(AFRESH)})
    if not row.two_factor_setup:
        row.two_factor_setup = new_secret()
    return row.two_factor_setup


@use_case
def enable(staff: Staff, token: str | None, code: str) -> None:
    """Keep the secret this session was shown once a code made from it is right (the app is set up)."""
    row = sessions.current(staff, token)
    secret = row.two_factor_setup if row is not None else None
    if not secret:
        raise InvalidInput({"code": str(AFRESH)})
    step = _step(secret, code)
    if step is None:
        raise InvalidInput({"code": str(WRONG)})
    staff.totp_secret, staff.totp_enabled_at, staff.totp_last_step = secret, utcnow(), step
    row.two_factor_setup = None
    record(staff, AuditAction.TWO_FACTOR_ON, "staff", staff.id, name=staff.username, area_id=staff.area_id)


@use_case
def disable(staff: Staff, code: str) -> None:
    """Turn it off with a current code (not for an account whose role must have it)."""
    if required(staff):
        raise DomainError(_l("Your role must sign in with two factors."))
    step = _step(staff.totp_secret or "", code)
    if step is None or not _take(staff, step):  # a code that signed someone in does not turn it off
        raise InvalidInput({"code": str(WRONG)})
    _clear(staff)
    record(staff, AuditAction.TWO_FACTOR_OFF, "staff", staff.id, name=staff.username, area_id=staff.area_id)


def _clear(staff: Staff) -> None:
    staff.totp_secret, staff.totp_enabled_at, staff.totp_last_step = None, None, 0


@use_case
def reset(actor: Staff, staff_id) -> Staff:
    """An admin's reset for a lost phone: the account sets it up again at its next sign-in (if its role
    must have it) or may turn it on again; its sessions end."""
    from . import sessions
    from .admin.accounts import get_account

    staff = get_account(actor, staff_id)
    _clear(staff)
    sessions.end_all(staff, "reset", actor)
    record(actor, AuditAction.TWO_FACTOR_OFF, "staff", staff.id, name=staff.username, area_id=staff.area_id,
           after={"by": "reset"})
    db.session.flush()
    return staff
