"""Every failure becomes a clear page (or fragment) in the user's language; never a bare 500."""

from __future__ import annotations

import logging

from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..services.errors import DomainError
from . import htmx

log = logging.getLogger(__name__)


def _messages():
    return {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You may not do this here."),
        404: _("We could not find this page."),
        405: _("This page cannot be used that way."),
        413: _("What you sent is too large. Please shorten it and try again."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing you entered has been lost; please try again."),
    }


def render_error(status: int, message: str):
    response = htmx.render(
        "pages/error.html",
        "partials/error.html",
        status=status,
        status_code=status,
        message=message,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_nul_characters():
    """A NUL character is never part of real input, and PostgreSQL refuses it in text: stop it here."""
    from flask import abort

    values = list((request.view_args or {}).values()) + list(request.args.values())
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.values())
    if any(isinstance(v, str) and "\x00" in v for v in values):
        abort(400)


def init_app(app) -> None:
    app.before_request(_refuse_nul_characters)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return render_error(error.status_code, str(error.message))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error(
            400, _("This form had expired or was sent from elsewhere. Please open it again and resend it.")
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if request.path.startswith("/static/"):
            return error
        if error.response is not None:  # the page made for this refusal (a limit's, in web/limits.py)
            return error.response
        message = _messages().get(error.code or 500)
        if message is None:
            return error
        return render_error(error.code, message)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from ..extensions import db

        db.session.rollback()
        return render_error(500, _messages()[500])
