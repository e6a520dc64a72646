"""Languages, parsed once: the pages' and the messages' (a text message is written in its ticket's)."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale


@lru_cache(maxsize=8)
def parsed_locale(code: str) -> Locale:
    """A Locale, parsed once per language (parsing a name scans Babel's data folder)."""
    return Locale.parse(code)
