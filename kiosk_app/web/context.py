"""Which terminal and which community a request comes from.

An enrolled kiosk carries its device credential in a cookie; it fixes the community and turns on
kiosk behaviour (idle reset, no history).  A phone or an ordinary browser picks a community once,
and it is kept in the session.
"""

from __future__ import annotations

from flask import current_app, g, session
from flask_babel import gettext as _

from ..models import Terminal
from ..services import catalogue, terminals, urls
from ..services.catalogue import CommunityRef

TERMINAL_COOKIE = "kiosk_terminal"


def current_terminal() -> Terminal | None:
    if "terminal" not in g:
        from flask import request

        g.terminal = terminals.authenticate(request.cookies.get(TERMINAL_COOKIE))
    return g.terminal


def current_community() -> CommunityRef | None:
    if "community" not in g:
        terminal = current_terminal() or phone_terminal()
        if terminal is not None:
            g.community = catalogue.get_community_by_id(terminal.community_id)
        else:
            community_id = session.get("community_id")
            g.community = catalogue.get_community_by_id(community_id) if isinstance(community_id, int) else None
    return g.community


PHONE_LINK_KEY = "phone_terminal"


def bind_phone(terminal) -> None:
    """A phone that scanned a locker's rotating QR acts at that locker for a short while."""
    import time

    session[PHONE_LINK_KEY] = {"id": terminal.id, "at": int(time.time())}


def phone_terminal():
    """The locker a phone scanned within PHONE_LINK_SECONDS, or None."""
    import time

    if "phone_terminal" not in g:
        link = session.get(PHONE_LINK_KEY) or {}
        terminal = None
        if isinstance(link, dict) and isinstance(link.get("id"), int) and isinstance(link.get("at"), int) \
                and time.time() - link["at"] <= current_app.config["PHONE_LINK_SECONDS"]:
            from ..extensions import db
            from ..models import Terminal

            candidate = db.session.get(Terminal, link["id"])
            if candidate is not None and candidate.revoked_at is None and candidate.device_secret_hash:
                terminal = candidate
        g.phone_terminal = terminal
    return g.phone_terminal


def choose_community(community: CommunityRef) -> None:
    session["community_id"] = community.id
    g.community = community


def set_terminal_cookie(response, credential: str) -> None:
    days = current_app.config["TERMINAL_COOKIE_DAYS"]
    response.set_cookie(
        TERMINAL_COOKIE,
        credential,
        max_age=days * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )


def init_app(app) -> None:
    init_links(app)

    @app.context_processor
    def _where():
        return {
            "kiosk_mode": current_terminal() is not None,
            "community": _community_to_show(),
        }


def _community_to_show() -> CommunityRef | None:
    """The community in the top bar: the one this request already works with, else the one this
    terminal or phone belongs to."""
    if "community" in g or current_terminal() is not None or phone_terminal() is not None:
        return current_community()
    community_id = session.get("community_id")
    return catalogue.get_community_by_id(community_id) if isinstance(community_id, int) else None


def status_url(ticket) -> str:
    """The absolute address inside a ticket's QR code."""
    return urls.ticket_status(ticket.token)


def local_time(value, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in Asia/Shanghai as digits (2026-11-26 18:49): the same in every language, so it
    needs none of Babel's formatting, which costs more than the rest of a timeline line."""
    from ..services.workdays import LOCAL_TZ

    return value.astimezone(LOCAL_TZ).strftime(pattern) if value is not None else ""


def init_links(app) -> None:
    from ..services import event_texts, qr, ticket_status, validation

    @app.template_global()
    def ticket_qr(ticket):
        return qr.svg(status_url(ticket), _("QR code: scan it to see how your request is going"))

    app.add_template_global(status_url)

    @app.template_global()
    def phone_link_qr(terminal):
        from flask import url_for

        from ..services import terminals

        return qr.svg(urls.public_url(url_for("terminal.phone_link", token=terminals.phone_link_token(terminal))),
                      _("QR code: scan it to use this locker from your phone"))
    app.add_template_global(ticket_status.event_label)
    app.add_template_global(event_texts.event_note)
    app.add_template_filter(validation.mask_name, "mask_name")
    app.add_template_filter(validation.mask_mobile, "mask_mobile")
    app.add_template_filter(validation.mask_id_number, "mask_id_number")

    @app.template_global()
    def now_utc():
        from ..models.base import utcnow

        return utcnow()

    @app.template_global()
    def now_local() -> str:
        from ..models.base import utcnow

        return local_time(utcnow(), "%H:%M")

    app.add_template_filter(local_time, "local_time")

    @app.template_global()
    def lock_board_faults(terminal):
        from ..services import locker

        return locker.board_faults(terminal)

    @app.template_global()
    def keypad_alert(terminal):
        from ..services import locker

        return locker.keypad_alert(terminal)


# ---------------------------------------------------------------- locker items this browser made

ITEMS_KEY = "locker_items"
ITEMS_KEPT = 10


def door_page_url(item) -> str:
    """The door page of an item this browser has just made or opened (a drop-off, a pickup, a
    collection): the browser is remembered as its owner, and only its owner reaches it."""
    from flask import url_for

    kept = [t for t in session.get(ITEMS_KEY, []) if isinstance(t, str) and t != item.token]
    session[ITEMS_KEY] = (kept + [item.token])[-ITEMS_KEPT:]
    return url_for("terminal.item_page", token=item.token)


def forget_items() -> None:
    """The screen's next resident reaches none of the last one's doors."""
    session.pop(ITEMS_KEY, None)


def forget_voters() -> None:
    """Nobody speaks for the last resident's household in a consultation (public/consultations.py)."""
    session.pop("voters", None)
    session.pop("code_number", None)
    session.pop("volunteer", None)
    session.pop("volunteer_number", None)


def owns_item(item) -> bool:
    tokens = session.get(ITEMS_KEY, [])
    return isinstance(tokens, list) and item.token in tokens
