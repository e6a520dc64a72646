"""Terminals as devices: enrolment with a one-time code, then a device secret of their own.

An admin issues a code for a terminal (``flask terminal-enrolment CODE``); the browser on that
kiosk opens the enrolment page and types it once; from then on the browser carries a long-lived
cookie with the terminal's id and secret.  Only hashes of the code and of the secret are stored,
and a revoked terminal is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Terminal
from ..models.base import utcnow
from .errors import Forbidden, Gone, NotFound
from .uow import use_case

ENROLMENT_VALID_FOR = timedelta(hours=24)
# No 0/O, 1/I/L: codes are read off one screen and typed on another.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def get_by_code(code: str) -> Terminal:
    terminal = db.session.scalar(db.select(Terminal).filter_by(code=code))
    if terminal is None:
        raise NotFound(_l("No such terminal."))
    return terminal


@use_case
def issue_enrolment_code(terminal: Terminal) -> str:
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    terminal.enrolment_code_hash = _digest(code)
    terminal.enrolment_expires_at = utcnow() + ENROLMENT_VALID_FOR
    return code


@use_case
def enrol(code: str) -> tuple[Terminal, str]:
    """Trade a one-time enrolment code for the device's own credential ``"<id>.<secret>"``."""
    normalised = "".join(code.split()).upper()
    terminal = None
    if normalised:
        terminal = db.session.scalar(
            db.select(Terminal).filter_by(enrolment_code_hash=_digest(normalised))
        )
    if terminal is None or terminal.enrolment_expires_at is None or terminal.enrolment_expires_at < utcnow():
        raise Forbidden(_l("This enrolment code is not valid. Ask an administrator for a new one."))
    secret = secrets.token_urlsafe(32)
    terminal.device_secret_hash = _digest(secret)
    terminal.enrolment_code_hash = None
    terminal.enrolment_expires_at = None
    terminal.enrolled_at = utcnow()
    terminal.revoked_at = None
    return terminal, f"{terminal.id}.{secret}"


def authenticate(credential: str | None) -> Terminal | None:
    """The terminal a device credential belongs to, or None (unknown, wrong or revoked)."""
    if not credential or "." not in credential:
        return None
    from .validation import record_id

    raw_id, secret = credential.split(".", 1)
    terminal_id = record_id(raw_id)
    if terminal_id is None:
        return None
    terminal = db.session.get(Terminal, terminal_id)
    if terminal is None or terminal.device_secret_hash is None or terminal.revoked_at is not None:
        return None
    if not hmac.compare_digest(terminal.device_secret_hash, _digest(secret)):
        return None
    return terminal


@use_case
def revoke(terminal: Terminal) -> None:
    terminal.revoked_at = utcnow()
    terminal.device_secret_hash = None


# ---------------------------------------------------------------- the rotating QR on a locker's screen

PHONE_SALT = "terminal-phone-link"


def _phone_serializer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=PHONE_SALT)


def phone_link_token(terminal: Terminal) -> str:
    """A signed token naming the terminal and the minute it was shown; the screen shows a new one
    every minute, so a photo of an old screen opens nothing."""
    import time

    return _phone_serializer().dumps({"t": terminal.id, "m": int(time.time() // 60)})


STALE_LINK = _l("This code has expired or is not valid. Scan the code on the locker's screen again.")


def terminal_from_phone_link(token: str, max_age: int) -> Terminal:
    from itsdangerous import BadData

    try:
        data = _phone_serializer().loads(token or "", max_age=max_age)
        terminal = db.session.get(Terminal, int(data["t"]))
    except (BadData, KeyError, TypeError, ValueError):
        terminal = None
    if terminal is None or terminal.kind.value != "locker" or terminal.revoked_at is not None \
            or terminal.device_secret_hash is None:
        raise Gone(STALE_LINK)
    return terminal
