"""Limits on abuse of the public endpoints (Flask-Limiter), beside the per-ticket and per-keypad
counters of the services: submissions per client address (an enrolled terminal counts as itself, as a
queue of residents uses it) and per mobile number, field checks, enrolment codes, ticket look-ups,
and sign-in attempts per address across usernames.

Counts are kept in Redis when ``RATELIMIT_STORAGE_URI`` names it (every worker and server shares
them), in each worker's memory otherwise.  The client address is ``request.remote_addr``, which
``TRUSTED_PROXIES`` lets the proxies set from ``X-Forwarded-For`` and nothing else can (README).
A limit that is hit answers 429 with a page in the person's language that says what to do.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter

limiter = Limiter(key_func=lambda: request.remote_addr or "unknown", strategy="moving-window",
                  headers_enabled=False)


def client() -> str:
    """Who a public request counts against: an enrolled terminal as itself, anyone else by address."""
    from .context import current_terminal

    terminal = current_terminal()
    return f"terminal:{terminal.id}" if terminal is not None else f"address:{request.remote_addr or 'unknown'}"


def mobile() -> str:
    """The mobile number a submission gives, as the ticket would keep it (+86, full-width digits and
    spaces make no other number), so neither another address nor another spelling resets its count.
    The limiter's store (Redis) sees its keyed digest, not the number."""
    from ..models.sealed import lookup
    from ..services.validation import FieldError, clean_mobile

    raw = request.form.get("mobile", "")[:32]
    try:
        number = clean_mobile(raw)
    except FieldError:  # not a number the form would take: counted as typed
        number = "".join(ch for ch in raw if ch.isascii() and ch.isdigit())
    return f"mobile:{lookup(number)}"


def configured(name: str):
    """A limit from the configuration, read at each request (tests and deployments set their own)."""
    return lambda: current_app.config[name]


def _refused(message: str):
    def respond(_limit):
        from .errors import render_error

        response = render_error(429, message())
        response.headers["Retry-After"] = "60"
        return response

    return respond


TOO_MANY_SUBMISSIONS = _refused(lambda: _(
    "Too many requests were sent from here in a short time. Please wait a few minutes and send yours "
    "again (what you typed is still on the previous page), or ask at the service counter."))
TOO_MANY_FOR_MOBILE = _refused(lambda: _(
    "Too many requests have been sent with this mobile number recently. Please ask at the service counter, "
    "or try again later."))
TOO_MANY_ATTEMPTS = _refused(lambda: _("Too many attempts from here. Please wait a few minutes and try again."))


def submission(view):
    """The limits of a resident's submission, at a kiosk, a locker or a phone alike: per terminal or
    address, and per mobile number."""
    view = limiter.shared_limit(configured("LIMIT_SUBMIT_MOBILE"), "submit-mobile", key_func=mobile,
                                methods=["POST"], on_breach=TOO_MANY_FOR_MOBILE)(view)
    return limiter.shared_limit(configured("LIMIT_SUBMIT_CLIENT"), "submit-client", key_func=client,
                                methods=["POST"], on_breach=TOO_MANY_SUBMISSIONS)(view)


def attempts(setting: str, scope: str):
    """A limit on guesses or checks from one address (enrolment codes, look-ups, field checks, sign-in),
    counted together by every route that shares its ``scope``."""
    return limiter.shared_limit(configured(setting), scope, key_func=client, methods=["POST"],
                                on_breach=TOO_MANY_ATTEMPTS)


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
