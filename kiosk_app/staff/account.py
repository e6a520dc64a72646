"""The back office's own account pages: signing in and out (with a code from an authenticator app, for
an account with two factors), the password, two-factor sign-in, and the account's sessions (where it
is signed in, ending one, signing out everywhere)."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import accounts, qr, sessions, two_factor
from ..services.errors import DomainError, InvalidInput
from ..web import auth, limits
from .routes import bp



@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(_local_next(request.args.get("next")))
    return render_template("pages/staff/login.html", error=None, username="")


@bp.post("/login")
@limits.attempts("LIMIT_SIGN_IN", "sign-in")
def login_submit():
    username = request.form.get("username", "")[:64]
    try:
        signed_in = accounts.authenticate(username, request.form.get("password", "")[:256],
                                          address=request.remote_addr or "", user_agent=request.user_agent.string)
    except DomainError as error:  # a wrong password 401, a locked account 429
        return render_template("pages/staff/login.html", error=str(error.message),
                               username=username), error.status_code
    target = _local_next(request.args.get("next"))
    if signed_in.token is None:  # the password was right; a code from the authenticator app comes next
        auth.end_here()  # whoever was signed in on this browser before
        session.clear()
        session[PENDING] = {"id": signed_in.staff.id, "v": signed_in.staff.session_version, "at": int(time.time()),
                            "next": target}
        return redirect(url_for("staff.login_code"), code=303)
    auth.begin(signed_in)
    return redirect(target, code=303)


PENDING = "pending_sign_in"  # an account whose password was right, asked for its code (5 minutes)


def _pending():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > 300:
        return None
    return two_factor.awaiting_code(pending.get("id"), pending.get("v"))


@bp.get("/login/code")
def login_code():
    if _pending() is None:
        flash(_("Please sign in."), "info")
        return redirect(url_for("staff.login"))
    return render_template("pages/staff/login_code.html", error=None)


@bp.post("/login/code")
@limits.attempts("LIMIT_SIGN_IN", "sign-in")
def login_code_submit():
    staff = _pending()
    if staff is None:
        flash(_("Please sign in."), "info")
        return redirect(url_for("staff.login"), code=303)
    try:
        two_factor.check_code(staff, request.form.get("code", ""))
    except DomainError as error:  # a wrong code 422, too many 429
        message = error.errors["code"] if isinstance(error, InvalidInput) else str(error.message)
        return render_template("pages/staff/login_code.html", error=message), error.status_code
    target = session[PENDING]["next"]
    auth.begin(accounts.finish_sign_in(staff, address=request.remote_addr or "",
                                       user_agent=request.user_agent.string))
    return redirect(target, code=303)


def _local_next(target: str | None) -> str:
    """Only a staff path of this site (the back office, or the staff page of a terminal's screen,
    where staff signed in to collect papers), with nothing that could split a header."""
    from urllib.parse import urlsplit

    if target and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        staff_path = parts.path.startswith("/staff/") or parts.path == "/terminal/staff" \
            or parts.path.startswith("/terminal/staff/")
        if staff_path and not parts.scheme and not parts.netloc and target.startswith(parts.path):
            return target
    return url_for("staff.queue_page")


def _signed_out(message: str):
    auth.end_here()
    session.clear()
    flash(message, "info")
    return redirect(url_for("staff.login"), code=303)


@bp.post("/logout")
@login_required
def logout():
    return _signed_out(_("You have signed out."))


@bp.get("/password")
@login_required
def password_form():
    return render_template("pages/staff/password.html", errors={})


@bp.post("/password")
@login_required
def password_submit():
    try:
        accounts.change_password(current_user, request.form.get("current", ""), request.form.get("new", ""),
                                 request.form.get("repeat", ""))
    except InvalidInput as error:
        return render_template("pages/staff/password.html", errors=error.errors), 422
    return _signed_out(_("Your password was changed. Every session has been signed out; please sign in again."))



@bp.get("/security")
@login_required
def security_page():
    token = session.get(auth.SESSION_TOKEN)
    return render_template("pages/staff/security.html", sessions=sessions.active(current_user),
                           is_current=lambda row: sessions.is_current(row, token),
                           two_factor_on=two_factor.enabled(current_user),
                           two_factor_required=two_factor.required(current_user))


@bp.get("/security/two-factor")
@login_required
def two_factor_setup(error=None, status=200):
    if two_factor.enabled(current_user):
        return redirect(url_for("staff.security_page"))
    try:
        secret = two_factor.setup_secret(current_user, session.get(auth.SESSION_TOKEN))
    except InvalidInput:  # not a session on the server (cannot be: every sign-in starts one)
        return redirect(url_for("staff.login"))
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template("pages/staff/two_factor.html", secret=secret, qr_svg=qr.svg(uri, _("QR code for the authenticator app")), error=error,
                           required=two_factor.required(current_user)), status


@bp.post("/security/two-factor")
@login_required
@limits.attempts("LIMIT_SIGN_IN", "sign-in")
def two_factor_enable():
    try:
        two_factor.enable(current_user, session.get(auth.SESSION_TOKEN), request.form.get("code", ""))
    except InvalidInput as error:
        return two_factor_setup(error=error.errors["code"], status=422)
    flash(_("Two-factor sign-in is on: from now on you sign in with your password and a code from the app."), "ok")
    return redirect(url_for("staff.security_page"), code=303)


@bp.post("/security/two-factor/off")
@login_required
@limits.attempts("LIMIT_SIGN_IN", "sign-in")
def two_factor_disable():
    try:
        two_factor.disable(current_user, request.form.get("code", ""))
    except InvalidInput as error:
        flash(error.errors["code"], "error")
        return redirect(url_for("staff.security_page"), code=303)
    flash(_("Two-factor sign-in is off."), "ok")
    return redirect(url_for("staff.security_page"), code=303)


@bp.post("/security/sessions/<int:session_id>/end")
@login_required
def session_end(session_id: int):
    token = session.get(auth.SESSION_TOKEN)
    row_is_this_one = any(row.id == session_id and sessions.is_current(row, token)
                          for row in sessions.active(current_user))
    sessions.end_own(current_user, session_id)
    if row_is_this_one:
        return _signed_out(_("You have signed out."))
    flash(_("That session has ended: its browser must sign in again."), "ok")
    return redirect(url_for("staff.security_page"), code=303)


@bp.post("/security/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    sessions.end_everywhere(current_user)
    return _signed_out(_("Every session of your account has ended, this one too."))
