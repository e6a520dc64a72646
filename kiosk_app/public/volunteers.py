"""志愿云 on a resident's phone, ``/v/``: register as a volunteer of the community (or sign in again),
the tasks offered, signing up, checking in and out with the task's QR on the spot, and the ledger of
hours.  Not on an enrolled terminal: a shared screen keeps nobody signed in."""

from __future__ import annotations

import re
import secrets
import time

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..services import catalogue, volunteers
from ..services.errors import InvalidInput, Throttled
from ..web import i18n, limits
from ..web.context import choose_community, current_community, current_terminal
from ..web.transactions import reads_only
from .routes import bp

KEY, NUMBER_KEY = "volunteer", "volunteer_number"  # [volunteer id, until]; the number's digest between steps
PAGE_KEY = "code_page"  # a random mark: whose tries are whose (services/codes.redeem)
SIGNED_IN_DAYS = 30


def _volunteer():
    held = session.get(KEY)
    if current_terminal() is not None or not held or held[1] < time.time():
        return None
    volunteer = volunteers.get(held[0])
    community = current_community()
    return volunteer if volunteer is not None and (community is None or volunteer.community_id == community.id) else None


def _page(errors: dict | None = None, form: dict | None = None, status: int = 200, sent: bool = False):
    volunteer = _volunteer()
    lines, minutes = volunteers.ledger(volunteer) if volunteer else ([], 0)
    return render_template("pages/public/volunteer.html", volunteer=volunteer, community=current_community(),
                           shared=current_terminal() is not None, offered=volunteers.offered(volunteer) if volunteer else [],
                           ledger=lines, hours=round(minutes / 60, 1), errors=errors or {}, form=form or {},
                           sent=sent or request.args.get("sent") == "1", then=_then()), status, {"Cache-Control": "no-store"}


def _form() -> dict:
    return {key: request.form.get(key, "")[:300] for key in request.form if key != "csrf_token"}


@bp.get("/v/")
@reads_only
def volunteer_home():
    return _page()


@bp.post("/v/code")
@limits.attempts("LIMIT_RESIDENT_CODES", "resident-code")
def volunteer_code():
    form, community = _form(), current_community()
    if community is None or current_terminal() is not None:
        return _page({"mobile": _("Volunteers register on their own phone, for their community.")}, form, 422)
    if request.form.get("action") != "register":
        form.pop("name", None)
    try:
        volunteers.ask_code(community, form, i18n.select_locale())
    except InvalidInput as invalid:
        return _page(invalid.messages, form, 422)
    except Throttled as wait:  # (asked again too soon: the code sent before still works, its box stays)
        return _page({"mobile": str(wait.message)}, form, 429, sent=NUMBER_KEY in session)
    session[NUMBER_KEY] = volunteers.codes.number_of(form.get("mobile"))
    session.setdefault(PAGE_KEY, secrets.token_hex(8))
    return redirect(url_for("public.volunteer_home", sent=1, then=_then()), code=303)


@bp.post("/v/confirm")
@limits.attempts("LIMIT_RESIDENT_CODES", "resident-code")
def volunteer_confirm():
    community = current_community()
    if community is None or current_terminal() is not None:
        return _page({"code": _("Volunteers register on their own phone, for their community.")}, status=422)
    try:
        volunteer_id = volunteers.confirm(community, session.get(NUMBER_KEY), request.form.get("code", "")[:12],
                                          session.get(PAGE_KEY, ""))
    except InvalidInput as invalid:
        return _page(invalid.messages, status=422, sent=True)
    except Throttled as wait:
        return _page({"code": str(wait.message)}, status=429, sent=True)
    session.pop(NUMBER_KEY, None)
    session[KEY] = [volunteer_id, int(time.time()) + SIGNED_IN_DAYS * 86400]
    return redirect(_then() or url_for("public.volunteer_home"), code=303)


@bp.post("/v/tasks/<int:task_id>/sign-up")
def volunteer_sign_up(task_id: int):
    return _on_task(lambda volunteer: volunteers.sign_up(volunteer, task_id))


@bp.post("/v/tasks/<int:task_id>/withdraw")
def volunteer_withdraw(task_id: int):
    """Take back one's sign-up before checking in."""
    return _on_task(lambda volunteer: volunteers.withdraw(volunteer, task_id), withdrawn=1)


def _on_task(act, **said):
    """A signed-in volunteer's step on a task offered, back to the list (``said``: what the page says)."""
    volunteer = _volunteer()
    if volunteer is None:
        return _page({"task": _("Sign in as a volunteer first.")}, status=422)
    try:
        act(volunteer)
    except InvalidInput as invalid:
        return _page(invalid.messages, status=422)
    return redirect(url_for("public.volunteer_home", **said) + "#offered", code=303)


@bp.get("/v/check/<token>")
@reads_only
def volunteer_check_page(token: str):
    return _check_page(token)


def _then() -> str | None:
    """A task's check-in page to come back to after signing in (its QR was scanned first)."""
    then = (request.values.get("then") or "")[:120]
    return then if re.fullmatch(r"/v/check/[A-Za-z0-9_-]{1,32}", then) else None


def _check_page(token: str, errors: dict | None = None, status: int = 200):
    task = volunteers.task_by_token(token)
    if current_community() is None and current_terminal() is None:  # (scanned first: the task's community)
        choose_community(catalogue.get_community_by_id(task.community_id))
    volunteer = _volunteer()
    shift = next((s for s in volunteers.shifts(task) if volunteer and s.volunteer_id == volunteer.id), None)
    return render_template("pages/public/volunteer_check.html", task=task, volunteer=volunteer, shift=shift,
                           task_open=volunteers.is_open(task), token=token, errors=errors or {}), status, \
        {"Cache-Control": "no-store"}


@bp.post("/v/check/<token>")
def volunteer_check(token: str):
    volunteer = _volunteer()
    if volunteer is None:
        return _check_page(token, {"task": _("Sign in as a volunteer first.")}, 422)
    try:
        volunteers.check(volunteer, token, request.form.get("action", ""))
    except InvalidInput as invalid:
        return _check_page(token, invalid.messages, 422)
    return redirect(url_for("public.volunteer_check_page", token=token), code=303)


@bp.post("/v/leave")
def volunteer_leave():
    """Sign out on this phone; with ``forget``, stop being a volunteer (name and number removed)."""
    volunteer = _volunteer()
    left = volunteer is not None and request.form.get("forget") == "1"
    if left:
        volunteers.leave(volunteer)
    session.pop(KEY, None)
    return redirect(url_for("public.volunteer_home", left=1 if left else None), code=303)
