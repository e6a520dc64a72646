from __future__ import annotations

import enum
from datetime import datetime, timezone

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Enum, String, Text, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Enums as plain strings, so a new value is a simple migration on every database."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class Size(enum.StrEnum):
    """A locker compartment's size (and the least size a service's papers need)."""

    S = "S"
    M = "M"
    L = "L"

    @property
    def rank(self) -> int:
        return "SML".index(self.value)

    @property
    def label(self) -> str:
        """小格 / 中格 / 大格 in Chinese; the letter is for the wiring sheet, not for people."""
        return str(SIZE_LABELS[self])


SIZE_LABELS = {Size.S: _l("Small (S)"), Size.M: _l("Medium (M)"), Size.L: _l("Large (L)")}


def in_reader_language(zh: str, en: str) -> str:
    """The Chinese or the English of a text, as the reader's language asks (the Chinese when there is
    no English)."""
    if str(get_locale() or "zh_CN").startswith("en"):
        return en or zh
    return zh


class Bilingual:
    """Mixin for rows with ``name_zh``/``name_en`` (and similar) columns."""

    def localized(self, field: str) -> str:
        return in_reader_language(getattr(self, f"{field}_zh"), getattr(self, f"{field}_en"))

    @property
    def name(self) -> str:
        return self.localized("name")


def render_migration_item(type_, obj, autogen_context):
    """Autogenerate writes our column types as plain SQLAlchemy ones, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, TypeDecorator) and isinstance(obj.impl, Text):  # models/sealed.py
        return "sa.Text()"
    if type_ == "type" and isinstance(obj, TypeDecorator) and isinstance(obj.impl, String):
        return f"sa.String(length={obj.impl.length})"
    return False
