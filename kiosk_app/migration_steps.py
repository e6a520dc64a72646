"""Steps the migrations share, so that upgrading a live PostgreSQL database keeps the application
waiting for milliseconds rather than for as long as a big table takes (bench/migration_locks.py
measures it, tests/integration/test_migration_locks.py keeps it so).

A lock that a migration's statement takes lasts until its transaction ends.  So on PostgreSQL a
migration that changes rows commits its quick schema change first, then changes the rows a batch at a
time, each batch its own short transaction, and builds indexes CONCURRENTLY (writes go on meanwhile).
A migration stopped half way (the server restarted) runs again from the start: its steps are written
so that a second run finds what the first did and goes on.  SQLite is upgraded with the app stopped
(README, "Upgrading"): there these steps are the plain ones, in the migration's one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

BATCH = 500  # rows a batch changes: a write that meets one waits for one batch at most


def live() -> bool:
    return op.get_context().dialect.name == "postgresql"


def commit() -> None:
    """End the migration's transaction here (on PostgreSQL), and the locks it holds with it."""
    if live():
        with op.get_context().autocommit_block():
            pass


def has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def create_index(name: str, table: str, columns: list[str], **kw) -> None:
    """An index built while the table stays writable; one a stopped run left half built is rebuilt."""
    if not live():
        op.create_index(name, table, columns, **kw)
        return
    with op.get_context().autocommit_block():
        op.execute(sa.text(  # an index CONCURRENTLY left invalid by a stopped run is built again
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            f"WHERE c.relname = '{name}' AND NOT i.indisvalid) THEN EXECUTE 'DROP INDEX {name}'; END IF; END $$"))
        op.create_index(name, table, columns, postgresql_concurrently=True, if_not_exists=True, **kw)


def drop_index(name: str, table: str) -> None:
    if not live():
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)


def batches(table: sa.TableClause, *where, size: int = BATCH) -> Iterator[list]:
    """The rows of ``table`` (which has an integer ``id``) that meet ``where``, ``size`` at a time in
    the order of their ids; what the caller changed in a batch is committed before the next one."""
    last = 0
    while True:
        rows = op.get_bind().execute(sa.select(table).where(table.c.id > last, *where)
                                     .order_by(table.c.id).limit(size)).mappings().all()
        if not rows:
            return
        last = rows[-1]["id"]
        yield rows
        commit()


def update_rows(table: sa.TableClause, changes: list[dict]) -> None:
    """Each ``{"id": …, column: value, …}`` written to its row, rows changing the same columns sent in
    one go (one statement per row is a round trip per row)."""
    by_columns: dict[tuple, list[dict]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(k for k in change if k != "id")), []).append(
            {("row_id" if k == "id" else k): v for k, v in change.items()})
    for columns, rows in by_columns.items():
        if columns:
            op.get_bind().execute(sa.update(table).where(table.c.id == sa.bindparam("row_id"))
                                  .values({c: sa.bindparam(c) for c in columns}), rows)


def update_ranges(table: str, assignments: str, size: int = 5000) -> None:
    """``UPDATE table SET assignments`` for every row, ``size`` ids at a time, each range committed."""
    connection = op.get_bind()
    highest = connection.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0
    for start in range(0, highest, size):
        op.get_bind().execute(sa.text(f"UPDATE {table} SET {assignments} WHERE id > :a AND id <= :b"),
                              {"a": start, "b": start + size})
        commit()
