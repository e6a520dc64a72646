"""The one module that reads and writes htmx's HX-* headers."""

from __future__ import annotations

from flask import make_response, render_template, request


def is_swap() -> bool:
    """True for a real htmx swap: not a boosted navigation, not a history restore."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def is_swap_environ(environ: dict) -> bool:
    """``is_swap`` for a request not yet in Flask's hands (web/status_pages.py), from its WSGI environ."""
    return (environ.get("HTTP_HX_REQUEST") == "true" and environ.get("HTTP_HX_BOOSTED") != "true"
            and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true")


def render(page: str, partial: str, status: int = 200, **context):
    """The partial alone for an htmx swap, else the whole page that includes it."""
    template = partial if is_swap() else page
    response = make_response(render_template(template, **context), status)
    vary(response)
    return response


def partial(template: str, status: int = 200, trigger: str | None = None, **context):
    response = make_response(render_template(template, **context), status)
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return vary(response)


def redirect(location: str, status: int = 303):
    """A full navigation: htmx follows HX-Redirect; a plain form post follows the 303."""
    if is_swap():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
    else:
        response = make_response("", status)
        response.headers["Location"] = location
    return vary(response)


def stop_polling(response):
    """htmx stops an ``every Ns`` trigger when it gets status 286."""
    response.status_code = 286
    return response


def vary(response):
    response.vary.add("HX-Request")
    return response
