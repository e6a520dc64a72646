"""Staff sign-in, lockout and passwords.

Failed sign-ins are counted per username (known or not, so the behaviour reveals nothing);
five in a row lock the account for 15 minutes.  Passwords are hashed with scrypt (Werkzeug's
default).  A sign-in starts a session kept on the server (``sessions``); changing a password ends
every session of the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Staff
from ..models.base import utcnow
from . import sessions, throttle, two_factor
from .admin.audit import AuditAction, record
from .errors import InvalidInput, Throttled, Unauthorized
from .uow import separate, unit_of_work, use_case

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
PASSWORD_MIN = 10
PASSWORD_MAX = 256
# Compared against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")

WRONG = _l("Wrong username or password.")
LOCKED = _l("This account is locked for 15 minutes after 5 wrong passwords. Try again later, or ask an administrator.")


def _key(username: str) -> str:
    return f"login:{username.strip().lower()[:64]}"


@dataclass(frozen=True)
class SignedIn:
    staff: Staff
    token: str | None  # the new session's, for the cookie (services.sessions); None: a code is asked first


def authenticate(username: str, password: str, *, address: str = "", user_agent: str = "") -> SignedIn:
    """Sign in: the account, with a new session; a refusal (wrong, unknown, disabled or locked) says
    the same for every username, and every attempt is in the audit trail."""
    username = (username or "").strip()
    key = _key(username)
    # Count the attempt first (atomically): parallel guesses cannot slip past the limit.
    attempts = throttle.count_attempt(key, LOCK_SECONDS)
    staff = None
    if attempts <= MAX_FAILURES:
        staff = db.session.scalar(db.select(Staff).filter_by(username=username)) if username else None
        valid = check_password_hash(staff.password_hash if staff else _DUMMY_HASH, password or "")
        if not (valid and staff and staff.active):
            staff = None
    if staff is None:
        with separate("a refused sign-in, in the audit trail whatever follows"):
            record(None, AuditAction.SIGN_IN_FAILED, "sign_in", None, name=username[:64],
                   actor_label=username[:64] or "—", after={"address": address[:45]})
        raise Throttled(LOCKED) if attempts >= MAX_FAILURES else Unauthorized(WRONG)
    with unit_of_work():
        throttle.clear(key)
        if two_factor.enabled(staff):  # the password was right: the code comes next (finish_sign_in)
            return SignedIn(staff, None)
        return finish_sign_in(staff, address=address, user_agent=user_agent)


@use_case
def finish_sign_in(staff: Staff, *, address: str = "", user_agent: str = "") -> SignedIn:
    """The account is who it says (its password, and its code if it has two factors): a new session."""
    staff.last_login_at = utcnow()
    token = sessions.start(staff, address=address, user_agent=user_agent)
    record(staff, AuditAction.SIGN_IN, "staff", staff.id, name=staff.username, area_id=staff.area_id,
           after={"address": address[:45]})
    return SignedIn(staff, token)


# Words a guesser tries first here, besides the account's own names.
PRODUCT_WORDS = ("cloudlocker", "cloud-locker", "shequyungui", "yungui", "社区云柜", "云柜")


def password_problem(password: str, username: str = "", display_name: str = "") -> str | None:
    """Why a password someone chose is refused, or None: too short or too long, made of the username,
    the person's name or the product's, or easy to guess (zxcvbn's estimate: its dictionaries of
    common passwords, keyboard runs, repeats and sequences; a score below 3 of 4)."""
    from zxcvbn import zxcvbn

    password = password or ""
    if len(password) < PASSWORD_MIN:
        return str(_l("A password needs at least %(min)d characters.", min=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        return str(_l("A password can have at most %(max)d characters.", max=PASSWORD_MAX))
    lowered = password.lower()
    names = [n.lower() for n in (username, display_name, *PRODUCT_WORDS) if n and len(n) >= 3]
    if any(name in lowered for name in names):
        return str(_l("A password may not contain your username, your name or the product's name."))
    if zxcvbn(password[:100], user_inputs=names)["score"] < 3:
        return str(_l("This password is too easy to guess (a common password, a keyboard run, a repeat or a "
                      "sequence). Try a few unrelated words together."))
    return None


def change_password(staff: Staff, current: str, new: str, repeat: str) -> None:
    errors = {}
    if not check_password_hash(staff.password_hash, current or ""):
        errors["current"] = str(_l("The current password is not right."))
    if problem := password_problem(new, staff.username, staff.display_name):
        errors["new"] = problem
    elif new == current:
        errors["new"] = str(_l("Choose a password different from the current one."))
    elif new != repeat:
        errors["repeat"] = str(_l("The two new passwords differ."))
    if errors:
        raise InvalidInput(errors)
    set_password(staff, new)


@use_case
def set_password(staff: Staff, password: str) -> None:
    staff.password_hash = generate_password_hash(password)
    staff.must_change_password = False
    sessions.end_all(staff, "password")
