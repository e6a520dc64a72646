"""Lists of the administration pages: searched, and shown fifty to a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import func, select

from ...extensions import db
from ..validation import record_id

PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int  # how many match, on every page
    page: int
    pages: int


def paginate(stmt, page, *, size: int = PAGE_SIZE) -> Page:
    """One page of ``stmt``'s rows (``page`` as typed in the address: out of range is the nearest)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // size))
    page = min(max(record_id(page) or 1, 1), pages)
    return Page(list(db.session.scalars(stmt.offset((page - 1) * size).limit(size))), total, page, pages)


def contains(q: str) -> str | None:
    """A LIKE pattern (escaped with \\) for text containing ``q``, or None for an empty search."""
    q = (q or "").strip()[:64]
    if not q:
        return None
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
