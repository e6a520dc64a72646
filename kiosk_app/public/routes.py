"""Addresses anyone may open: the landing page, a ticket's status, look-up, preferences, health."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from .. import __version__
from ..extensions import db
from ..models import RATING_LABELS, TerminalKind, TicketView
from ..services import catalogue, tickets
from ..services.errors import DomainError, InvalidInput, Throttled
from ..services.ticket_status import public_timeline, status_by_id, status_by_token
from ..web import htmx, i18n, limits, status_pages
from ..web.transactions import reads_only
from ..web.context import current_terminal, door_page_url, phone_terminal

bp = Blueprint("public", __name__)


@bp.get("/")
@reads_only
def landing():
    terminal = current_terminal()
    if terminal is not None:
        return redirect(url_for("terminal.home" if terminal.kind == TerminalKind.LOCKER else "kiosk.home"))
    return render_template("pages/public/landing.html", communities=catalogue.communities())


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for at this address (pages name the SVG one); 4 KB, kept in memory."""
    response = current_app.response_class(_favicon(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public, response.cache_control.max_age = True, 7 * 24 * 3600
    return response


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    return (Path(current_app.static_folder) / "favicon.ico").read_bytes()


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # noqa: BLE001 - the watchdog wants a state, not a traceback
        current_app.logger.warning("health check: database unavailable: %s", error)
        db.session.rollback()
        database = "unavailable"
    healthy = database == "ok"
    body = {"status": "ok" if healthy else "degraded"}
    if current_user.is_authenticated and current_user.role.is_admin:  # anyone else learns nothing of the server
        body.update(database=database, database_backend=db.engine.dialect.name, version=__version__)
        if healthy:  # the periodic work (flask worker): when each job last succeeded, and whether it is late
            from ..services import scheduler

            body["jobs"] = {job.name: {"last_ok": job.last_ok_at.isoformat() if job.last_ok_at else None,
                                       "late": job.late, "last_error": job.last_error}
                            for job in scheduler.status()}
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/t/<token>")
@reads_only
def ticket_status(token: str):
    ticket = status_by_token(token)
    mark = status_pages.CSRF_MARK if status_pages.render_with_mark(request.environ) else None
    response = _status_response(ticket, csrf=mark)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if htmx.is_swap() and ticket.status.is_final:
        return htmx.stop_polling(response)
    return response


def _status_response(ticket: TicketView, status: int = 200, rating_errors: dict | None = None, *,
                     by_lookup: bool = False, csrf: str | None = None):
    """The status page.  Reached by number + last four digits (``by_lookup``) instead of the ticket's own
    link, it shows the progress but no pickup code, no door to open and no rating form: 10,000 endings
    are far easier to guess than the link or the code."""
    from ..services import locker, ratings, ticket_help

    rating = ratings.rating_of(ticket)
    pickup = locker.pickup_code_for_ticket(ticket)
    check_token = None if by_lookup else ticket_help.check_token_for_resident(ticket)
    return htmx.render(
        "pages/public/status.html",
        "partials/public/status_body.html",
        status,
        ticket=ticket,
        timeline=public_timeline(ticket),
        pickup=None if by_lookup else pickup,
        result_waiting=by_lookup and pickup is not None,
        by_lookup=by_lookup,
        phone_at=phone_terminal(),
        rating=rating,
        can_rate=not by_lookup and ratings.can_rate(ticket, rating),
        rating_labels=RATING_LABELS,
        rating_errors=rating_errors or {},
        volunteer_qr=_volunteer_qr(check_token) if check_token else None,
        **({"csrf_token": lambda: csrf} if csrf is not None else {}),  # kept: the reader's token is put in later
    )


def _volunteer_qr(check_token: str):
    """The QR a volunteer who comes to help scans on the resident's page, to check in and out."""
    from ..services import qr, urls

    return qr.svg(urls.public_url(url_for("public.volunteer_check_page", token=check_token)),
                  _("Volunteers: check in and out here"))


@bp.post("/t/<token>/rating")
def ticket_rate(token: str):
    """好差评: the resident rates the service once the request is done (changeable for a week)."""
    from ..services import ratings

    ticket = tickets.get_by_token(token)
    try:
        ratings.rate(ticket, request.form.get("level"), request.form.get("comment", ""))
    except InvalidInput as error:
        response = _status_response(status_by_token(ticket.token), 422, rating_errors=error.errors)
        response.headers["Cache-Control"] = "no-store"
        return response
    return htmx.redirect(url_for("public.ticket_status", token=ticket.token) + "#rating")


@bp.post("/t/<token>/pickup")
def ticket_pickup(token: str):
    """Open the result's door from the status page, on a phone that has just scanned the locker's QR."""
    from ..services import locker

    ticket = tickets.get_by_token(token)
    terminal = phone_terminal()
    if terminal is None:
        raise DomainError(_("Scan the code on the locker's screen first, then press the button again."))
    item = locker.pick_up_from_phone(terminal, ticket)
    return redirect(door_page_url(item), code=303)


@bp.get("/t/")
def ticket_lookup():
    return render_template("pages/public/lookup.html", errors={}, form={})


@bp.post("/t/")
@limits.attempts("LIMIT_LOOKUP", "lookup")
def ticket_lookup_submit():
    form = {"number": request.form.get("number", ""), "last4": request.form.get("last4", "")}
    try:
        ticket = tickets.find_for_resident(
            form["number"],
            form["last4"],
            client=request.remote_addr or "unknown",
            limit=current_app.config["LOOKUP_MAX_FAILURES"],
            window_seconds=current_app.config["LOOKUP_WINDOW_SECONDS"],
        )
    except InvalidInput as error:
        errors = error.messages
        return htmx.render("pages/public/lookup.html", "partials/public/lookup_form.html", 422,
                           errors=errors, form=form)
    except Throttled as error:
        return htmx.render("pages/public/lookup.html", "partials/public/lookup_form.html", error.status_code,
                           errors={"number": str(error.message)}, form=form)
    # The ticket's own link (its token) is not handed out for a number and four digits.
    session[FOUND_KEY] = {"id": ticket.id, "at": int(time.time())}
    return htmx.redirect(url_for("public.ticket_found"))


FOUND_KEY = "found_ticket"


@bp.get("/t/found")
@reads_only
def ticket_found():
    """The ticket this browser found by number and last four digits, for LOOKUP_WINDOW_SECONDS."""
    found = session.get(FOUND_KEY)
    if not isinstance(found, dict) or not isinstance(found.get("id"), int) or not isinstance(found.get("at"), int) \
            or time.time() - found["at"] > current_app.config["LOOKUP_WINDOW_SECONDS"]:
        return redirect(url_for("public.ticket_lookup"))
    ticket = status_by_id(found["id"])
    response = _status_response(ticket, by_lookup=True)
    response.headers["Cache-Control"] = "no-store"
    if htmx.is_swap() and ticket.status.is_final:
        return htmx.stop_polling(response)
    return response


@bp.post("/prefs")
def preferences():
    i18n.set_preferences(lang=request.form.get("lang"), large=request.form.get("large"))
    return redirect(_local_path(request.form.get("next")), code=303)


def _local_path(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.isprintable():
        return url_for("public.landing")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("public.landing")
    return target
from . import consultations as _consultation_pages  # noqa: E402,F401  (its routes join this blueprint)
from . import volunteers as _volunteer_pages  # noqa: E402,F401  (its routes join this blueprint)
