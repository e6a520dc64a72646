"""Staff sessions (Flask-Login): sign-in state, inactivity expiry, and the refusal for anonymous users."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import login_manager
from ..services import sessions
from . import htmx

SEEN_KEY = "staff_seen"
# Requests a page makes on its own (queue refresh) do not count as activity.
BACKGROUND_HEADER = "X-Background"


SESSION_TOKEN = "staff_session"  # the session kept on the server (services.sessions): its token


@login_manager.user_loader
def load_staff(identity: str):
    return sessions.load(identity, session.get(SESSION_TOKEN))


@login_manager.unauthorized_handler
def unauthorized():
    flash(_("Please sign in."), "info")
    target = url_for("staff.login", next=request.full_path if request.method == "GET" else None)
    if htmx.is_swap():
        return htmx.redirect(target)
    return redirect(target)


def begin(signed_in) -> None:
    """A new sign-in (``accounts.SignedIn``): a fresh cookie session (no fixation) holding its token; the
    session this browser had before ends (a copy of its old cookie would otherwise stay signed in)."""
    sessions.end(session.get(SESSION_TOKEN), "signed_out")
    session.clear()
    session[SESSION_TOKEN] = signed_in.token
    login_user(signed_in.staff)
    session[SEEN_KEY] = int(time.time())
    session.permanent = True


def end_here(reason: str = "signed_out") -> None:
    """End this browser's staff session, on the server too (every copy of its cookie stops working)."""
    sessions.end(session.pop(SESSION_TOKEN, None), reason)
    logout_user()
    session.pop(SEEN_KEY, None)


def enforce_idle_timeout():
    """Before each staff request: a session idle for longer than STAFF_IDLE_MINUTES ends."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    seen = session.get(SEEN_KEY, 0)
    if now - seen > current_app.config["STAFF_IDLE_MINUTES"] * 60:
        end_here("idle")
        flash(_("You were signed out after a period of inactivity."), "info")
        target = url_for("staff.login")
        return htmx.redirect(target) if htmx.is_swap() else redirect(target)
    if request.headers.get(BACKGROUND_HEADER) != "1":
        session[SEEN_KEY] = now
    return None


# ---------------------------------------------------------------- staff at a terminal's screen
#
# A kiosk's or locker terminal's screen is shared: whoever stands at it next must not find a member
# of staff still signed in (and doors they could open).  There a staff session ends after
# TERMINAL_STAFF_IDLE_SECONDS without a touch, and whenever the screen goes home: the idle reset, or
# the home page shown on the screen itself.  A phone or PC without the terminal cookie keeps the
# back office's STAFF_IDLE_MINUTES.

# The requests with which a terminal's screen returns home.
SCREEN_HOME_ENDPOINTS = frozenset({"kiosk.reset", "kiosk.home", "terminal.home"})


def sign_out_here() -> None:
    """End the staff session of this browser, keeping what a resident's visit holds (language); the doors
    staff opened here (collections, returns) are no longer reachable from this screen."""
    from .context import forget_items

    end_here()
    forget_items()


def enforce_terminal_staff_limits():
    """Before every request: on a terminal's own screen, staff leave when idle or when it goes home.

    The request then goes on as anyone's: a resident's page is shown as usual, and a staff page asks
    for the password again."""
    from .context import TERMINAL_COOKIE, current_terminal

    # Cheap checks first: most requests are static files or come from no terminal at all.
    if request.endpoint == "static" or not request.cookies.get(TERMINAL_COOKIE):
        return None
    if not current_user.is_authenticated or current_terminal() is None:
        return None
    now = int(time.time())
    if request.endpoint in SCREEN_HOME_ENDPOINTS \
            or now - session.get(SEEN_KEY, 0) > current_app.config["TERMINAL_STAFF_IDLE_SECONDS"]:
        sign_out_here()
        return None
    if request.headers.get(BACKGROUND_HEADER) != "1":
        session[SEEN_KEY] = now
    return None


# What an account that must change its password may still reach.
OWN_PASSWORD_ENDPOINTS = frozenset({"staff.password_form", "staff.password_submit", "staff.logout", "staff.login",
                                    "staff.login_submit", "terminal.staff_sign_out", "static"})


def require_own_password():
    """Before every request: an account given a one-time password by an administrator (a new account,
    a reset) reaches nothing but the password page until it has chosen its own."""
    if "_user_id" not in session or request.endpoint in OWN_PASSWORD_ENDPOINTS:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    flash(_("Please choose your own password before you go on."), "info")
    target = url_for("staff.password_form")
    return htmx.redirect(target) if htmx.is_swap() else redirect(target, code=303)


# What an account whose role must sign in with two factors may reach before it has set them up.
TWO_FACTOR_ENDPOINTS = OWN_PASSWORD_ENDPOINTS | {"staff.two_factor_setup", "staff.two_factor_enable"}


def require_two_factor():
    """Before every request: an account whose role must sign in with two factors (TWO_FACTOR_ROLES)
    reaches nothing but the set-up page until it has (its password first, if that is a one-time one)."""
    if "_user_id" not in session or request.endpoint in TWO_FACTOR_ENDPOINTS:
        return None
    from ..services import two_factor

    if not current_user.is_authenticated or two_factor.enabled(current_user) \
            or not two_factor.required(current_user):
        return None
    target = url_for("staff.two_factor_setup")
    return htmx.redirect(target) if htmx.is_swap() else redirect(target, code=303)


def init_app(app) -> None:
    app.before_request(enforce_terminal_staff_limits)
    app.before_request(require_own_password)
    app.before_request(require_two_factor)
