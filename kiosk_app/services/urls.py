"""The public addresses the services print and send, from configuration.

A ticket's status page (inside every ticket QR code, text message and receipt) and the locker's own
page are stable addresses (they outlive releases on paper), built from PUBLIC_BASE_URL: the address
phones reach the server by, with any path prefix it is served under.  Without it (a demo, a test) a
request's own address is used, and outside a request (the message worker) the local server's.  The
web layer builds its links with ``url_for``; these are the addresses that leave the server.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

LOCAL = "http://127.0.0.1:5000"


def base() -> str:
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    return (request.url_root if has_request_context() else LOCAL).rstrip("/")


def public_url(path: str) -> str:
    """An absolute address for ``path`` ("/t/…"), for a QR code or a message."""
    return base() + path


def ticket_status(token: str) -> str:
    """A ticket's status page: the address inside its QR code (DESIGN, "Stable addresses")."""
    return public_url(f"/t/{token}")
