"""The keys of sealed personal data (models/sealed.py): which key holds how many values, and rotation.

Rotating: put a new key first in PERSONAL_DATA_KEYS (the old one after it) and restart every process;
new values are sealed with the new key at once, and every value opens with either.  ``rotate()`` then
seals each value still under another key (or, from before sealing, in clear) again under the new one,
with its keyed digest, a batch a transaction, so it can run beside residents' requests and be
stopped and started again.  When ``report()`` shows nothing left under the old key, remove it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, bindparam, func, select, type_coerce, update

from ..extensions import db
from ..models.sealed import PREFIX, Sealed, keyring
from .admin.audit import AuditAction, record
from .uow import use_case

BATCH = 500


@dataclass
class ColumnKeys:
    """How the values of one sealed column are held: by key id, in clear, under a key not in the ring."""

    name: str
    by_key: dict[str, int] = field(default_factory=dict)
    clear: int = 0
    unknown: int = 0


def sealed_columns():
    """Every column of type ``Sealed``, with its table."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Sealed):
                yield table, column


def _raw(column):
    return type_coerce(column, String)  # the stored text, not opened


def report() -> list[ColumnKeys]:
    ring = keyring()
    found = []
    for table, column in sealed_columns():
        raw = _raw(column)
        counts = db.session.execute(select(
            func.count().filter(raw.like(f"{PREFIX}:%")),
            func.count().filter(raw.not_like(f"{PREFIX}:%")),
            *(func.count().filter(raw.like(f"{PREFIX}:{key_id}:%")) for key_id in ring.keys),
        ).where(raw.is_not(None), raw != "")).one()
        by_key = dict(zip(ring.keys, counts[2:]))
        found.append(ColumnKeys(f"{table.name}.{column.name}", by_key, counts[1], counts[0] - sum(by_key.values())))
    return found


@use_case
def _rotate_batch(table, column) -> int:
    """Seal again, under the current key, a batch of values held under another key or in clear."""
    raw = _raw(column)
    rows = db.session.execute(select(table.c.id, column).where(
        raw.is_not(None), raw != "", raw.not_like(f"{PREFIX}:{keyring().current.id}:%"))
        .order_by(table.c.id).limit(BATCH)).all()  # opened by the column's type (a missing key raises)
    if not rows:
        return 0
    values = {column.name: bindparam("value", type_=column.type)}
    if column.type.lookup:
        values[column.type.lookup] = bindparam("digest")
    if "updated_at" in table.c:  # a new seal is not a change of the row: its "last changed" stays
        values["updated_at"] = table.c.updated_at
    db.session.execute(update(table).where(table.c.id == bindparam("row_id")).values(**values),
                       [{"row_id": row_id, "value": value, "digest": keyring().lookup(value)} for row_id, value in rows],
                       execution_options={"synchronize_session": False})
    return len(rows)


def rotate() -> dict[str, int]:
    """Seal every value under the ring's current key; returns how many were sealed again, by column."""
    done = {}
    for table, column in sealed_columns():
        total = 0
        while count := _rotate_batch(table, column):
            total += count
        done[f"{table.name}.{column.name}"] = total
    if any(done.values()):
        _record_rotation(done)
    return done


@use_case
def _record_rotation(done: dict[str, int]) -> None:
    record(None, AuditAction.ROTATE_KEY, "personal_data", None, name=keyring().current.id, after=done)
