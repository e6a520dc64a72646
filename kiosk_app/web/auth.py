"""Staff sessions (Flask-Login): sign-in state, inactivity expiry, and the refusal for anonymous users."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..extensions import login_manager
from ..services import accounts
from . import htmx

SEEN_KEY = "staff_seen"
# Requests a page makes on its own (queue refresh) do not count as activity.
BACKGROUND_HEADER = "X-Background"


@login_manager.user_loader
def load_staff(identity: str):
    return accounts.load_session(identity)


@login_manager.unauthorized_handler
def unauthorized():
    flash(_("Please sign in."), "info")
    target = url_for("staff.login", next=request.full_path if request.method == "GET" else None)
    if htmx.is_swap():
        return htmx.redirect(target)
    return redirect(target)


def mark_signed_in() -> None:
    session[SEEN_KEY] = int(time.time())
    session.permanent = True


def enforce_idle_timeout():
    """Before each staff request: a session idle for longer than STAFF_IDLE_MINUTES ends."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    seen = session.get(SEEN_KEY, 0)
    if now - seen > current_app.config["STAFF_IDLE_MINUTES"] * 60:
        logout_user()
        session.pop(SEEN_KEY, None)
        flash(_("You were signed out after a period of inactivity."), "info")
        target = url_for("staff.login")
        return htmx.redirect(target) if htmx.is_swap() else redirect(target)
    if request.headers.get(BACKGROUND_HEADER) != "1":
        session[SEEN_KEY] = now
    return None
