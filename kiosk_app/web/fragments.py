"""Rendered fragments kept for a short while: parts of a page that are the same for every visitor.

The service catalogue on the kiosk home is the same for everyone who reads the same language, and
changes a few times a year; rendering it (and loading it) on every tap was most of that page's cost.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from ..services.cache import kept


def render_kept(name: str, template: str, make_context: Callable[[], dict]) -> Markup:
    return kept(("fragment", name, str(get_locale())),
                lambda: Markup(render_template(template, **make_context())))
