"""One-time codes texted to a resident's mobile, for a purpose: to take part in a consultation
("consultation:<id>"), to register as a volunteer ("volunteer:<community id>").

A code is six digits, valid ``CODE_MINUTES``, used once.  Only its keyed digest is kept, bound to the
purpose and the number (itself kept as its keyed digest: a page carries that between "text me a code"
and "confirm", never the number).  Asking is spaced by growing waits per number and purpose; guesses
are counted before they are checked (services/throttle.py), per number and purpose and per code, and a
code is spent after ``TRIES_PER_CODE`` tries.  The texts go through the outbox, within a number's share
of texts (services/notifications.py); they are purged a day after (services/privacy.py).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import ResidentCode
from ..models.base import utcnow
from ..models.sealed import lookup
from . import notifications, throttle
from .errors import InvalidInput, Throttled
from .uow import use_case
from .validation import FieldError, clean_mobile

CODE_MINUTES = 10
TRIES_PER_CODE = 5
TRIES_PER_HOUR = 10  # per number and purpose, across codes
SEND_WAITS = (0, 60, 120, 300, 600, 1800)  # seconds before each next code to one number (the last for any more)
ANY_PURPOSE_WAITS = (0, 30, 60, 300, 900, 1800)  # the same, whatever the purpose
TRIES_PER_NUMBER = 50  # an hour, from every page together (one page's are TRIES_PER_HOUR)
KINDS = ("resident_code", "kiosk_vote", "volunteer_code")  # the texts purged a day after


def clean(mobile: str | None) -> str:
    try:
        return clean_mobile(mobile)
    except FieldError as error:
        raise InvalidInput({"mobile": error.message}) from None


def number_of(mobile: str | None) -> str:
    """The number's keyed digest, as a page keeps it between asking and confirming."""
    return lookup(clean(mobile))


def _digest(purpose: str, number: str, code: str) -> str:
    return lookup(f"resident-code:{purpose}:{number}:{code}")


def may_ask(purpose: str, mobile: str) -> None:
    """Count the asking (its own write, before the use case that writes the code); refuse while the
    number must wait — for this purpose, and for any (a form of one community cannot be used to spend a
    number's share of texts, or to text it again and again, through another)."""
    for key, waits in ((f"code-send:{purpose}:{lookup(mobile)}", SEND_WAITS),
                       (f"code-send:{lookup(mobile)}", ANY_PURPOSE_WAITS)):
        count, retry_at = throttle.count_spaced_attempt(key, 24 * 3600, waits)
        if count is None:
            seconds = max(int((retry_at - utcnow()).total_seconds()), 1)
            raise Throttled(_l("A code was sent to this number a moment ago. You can ask for another in %(s)d "
                               "seconds.", s=seconds))


def write(purpose: str, mobile: str, text, *, kind: str, member_id: int | None = None, subject_id: int | None = None,
          texted: bool = True, consultation_id: int | None = None) -> None:
    """A code for the number (in the caller's unit of work), and its text if ``texted`` and the number
    has texts left: ``text(code)`` gives the body and the gateway's parameters.  The row is written
    whether or not a text goes, so that both take the same work."""
    code = f"{secrets.randbelow(10 ** 6):06d}"
    now, number = utcnow(), lookup(mobile)
    if texted:
        body, params = text(code)
        texted = notifications.enqueue_text(mobile, kind, body, params, consultation_id=consultation_id)
    db.session.add(ResidentCode(purpose=purpose, mobile_lookup=number, member_id=member_id, subject_id=subject_id,
                                code_digest=_digest(purpose, number, code), created_at=now, texted=texted,
                                expires_at=now + timedelta(minutes=CODE_MINUTES)))


WRONG = _l("This code is wrong, used or expired. Ask for a new one.")


def redeem(purpose: str, number: str | None, code: str | None, page: str = "") -> ResidentCode:
    """The code row, spent now, if ``code`` is the latest texted to the number for the purpose, in time
    and unused (InvalidInput otherwise; Throttled after too many tries).  ``page``: who is trying (a
    random mark the page keeps): one page's wrong tries do not lock the number's owner out, all pages'
    together are bounded too."""
    number = (number or "")[:64]
    key = f"code-try:{purpose}:{number}:{(page or '')[:32]}"
    if (throttle.count_attempt(key, 3600) > TRIES_PER_HOUR
            or throttle.count_attempt(f"code-try:{purpose}:{number}", 3600) > TRIES_PER_NUMBER):
        raise Throttled(_l("Too many wrong codes for this number. Please try again in an hour, or take part at "
                           "the community centre's kiosk."))
    found = db.session.scalar(select(ResidentCode).where(ResidentCode.purpose == purpose,
                                                         ResidentCode.mobile_lookup == number)
                              .order_by(ResidentCode.id.desc()).limit(1))
    if found is None or found.used_at is not None or found.expires_at <= utcnow() or not found.texted:
        raise InvalidInput({"code": WRONG})
    if throttle.count_attempt(f"code:{found.id}", CODE_MINUTES * 60) > TRIES_PER_CODE:
        raise InvalidInput({"code": WRONG})
    digits = "".join(ch for ch in (code or "")[:12] if ch.isdigit())
    if not hmac.compare_digest(found.code_digest, _digest(purpose, number, digits)) or not _spend(found.id, key):
        raise InvalidInput({"code": WRONG})
    return found


@use_case
def _spend(code_id: int, tries_key: str) -> bool:
    """Mark the code used, once: of two requests with the same code, one gets it (and the number's count
    of tries starts again)."""
    spent = db.session.execute(update(ResidentCode).where(ResidentCode.id == code_id, ResidentCode.used_at.is_(None))
                               .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        return False
    throttle.clear(tries_key)
    return True
