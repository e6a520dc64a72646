"""Rendered fragments kept for a short while: parts of a page that are the same for every visitor.

The service catalogue on the kiosk home is the same for everyone who reads the same language, and
changes a few times a year; rendering it (and loading it) on every tap is most of that page's cost.
Each worker keeps it for ``CACHE_SECONDS`` (0 turns this off), so a catalogue change shows
everywhere within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup

_kept: dict[tuple, tuple[float, Markup]] = {}


def render_kept(name: str, template: str, make_context: Callable[[], dict]) -> Markup:
    seconds = current_app.config.get("CACHE_SECONDS", 0)
    key = (current_app.import_name, id(current_app), name, str(get_locale()))
    now = time.monotonic()
    if seconds > 0 and (kept := _kept.get(key)) is not None and kept[0] > now:
        return kept[1]
    html = Markup(render_template(template, **make_context()))
    if seconds > 0:
        _kept[key] = (now + seconds, html)
    return html


def forget() -> None:
    """After a catalogue change made in this process (the others catch up within the TTL)."""
    _kept.clear()
