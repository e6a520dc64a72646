"""Pickup codes: derived from the app's secret, stored only as a hash (the keypad is ``pickup.py``)."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from ...models import LockerItem

CODE_DIGITS = 8


def pickup_code(item: LockerItem) -> str:
    """The item's 8-digit code, derived from the app's secret: the database holds only its hash,
    and the status page (which only the ticket's QR reaches) can still show it."""
    key = current_app.config["SECRET_KEY"].encode()
    moment = int(item.held_at.timestamp() * 1_000_000)
    digest = hmac.new(key, f"pickup:{item.id}:{item.ticket.token}:{moment}".encode(), "sha256")
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 10 ** CODE_DIGITS:0{CODE_DIGITS}d}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{code}".encode()).hexdigest()
