"""How long does each migration keep the application waiting? Every migration applied, one at a time,
to a PostgreSQL database that holds a year's tickets, while probes write to the big tables.

    python -m bench.migration_locks postgresql+psycopg://postgres@127.0.0.1:5432/test [--tickets 100000]

The database named is emptied first.  The rows are put in as soon as their table exists (tickets and
their timeline at the first revision, text messages when the outbox arrives), with the columns each
revision has, so every migration meets the rows a live installation would give it.  A probe per big
table keeps changing one row in its own short transaction, as a staff member's click does; the time
each probe waits is the lock a migration held against the application.  Prints, per migration, how
long it took and the longest wait it caused; returns the same as a report.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from dataclasses import dataclass, field

from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Date, DateTime, Integer, MetaData, create_engine, text

# A row's value of each NOT NULL column without a default, for the few columns where any value will
# not do; ``g`` is the row's number (1..n) from generate_series.
VALUES = {
    "areas": {"level": "'community'", "parent_id": "NULL"},
    "tickets": {
        "status": "(ARRAY['submitted','in_progress','needs_info','completed','closed'])[1 + g % 5]",
        "channel": "'kiosk'", "resident_name": "'张三'", "locale": "'zh_CN'",
        "resident_mobile": "'138' || lpad(g::text, 8, '0')", "mobile_last4": "right(lpad(g::text, 8, '0'), 4)",
        "id_number": "CASE WHEN g % 3 = 0 THEN '11010519491231002X' END",
        "details": "'2号楼1单元楼道灯不亮，已经三天了'", "due_date": "current_date + (g % 20 - 10)",
        "created_at": "now() - make_interval(mins => g)",
    },
    "ticket_events": {
        "ticket_id": "(g + 2) / 3",
        "action": "(ARRAY['submitted','rated','result_ready'])[1 + g % 3]",
        "note": "(ARRAY['', '满意: 办得很快', '结果已放入 3 号柜门'])[1 + g % 3]",
        "public": "true", "actor_label": "'resident'",
    },
    "notifications": {
        "ticket_id": "g", "kind": "'issued'", "state": "'sent'",
        "to_mobile": "'138' || lpad(g::text, 8, '0')", "body": "'工单已受理'",
        "created_at": "now() - make_interval(mins => g)",
    },
}
ROWS_PER_TICKET = {"tickets": 1, "ticket_events": 3, "notifications": 1}
REFERENCE = ("areas", "service_categories", "grids", "services", "staff", "terminals", "buildings")
PROBED = ("tickets", "ticket_events", "notifications")


def _value(table: str, column) -> str | None:
    """The SQL for ``column`` of row ``g``; None for a column the database fills itself."""
    if column.name in VALUES.get(table, {}):
        return VALUES[table][column.name]
    if column.nullable or column.server_default is not None:
        return None
    if column.primary_key and isinstance(column.type, Integer):
        return "g"
    if column.foreign_keys:
        return "1"
    if isinstance(column.type, Boolean):
        return "false"
    if isinstance(column.type, Integer):
        return "1"
    if isinstance(column.type, DateTime):
        return "now()"
    if isinstance(column.type, Date):
        return "current_date"
    length = getattr(column.type, "length", None) or 64
    return f"left(md5('{table}.{column.name}' || g), {min(length, 32)})"  # unique, wherever it must be


def fill(connection, table_name: str, rows: int) -> None:
    table = MetaData()
    table.reflect(bind=connection, only=[table_name])
    columns = {c.name: _value(table_name, c) for c in table.tables[table_name].columns}
    columns = {name: sql for name, sql in columns.items() if sql is not None}
    connection.execute(text(f"INSERT INTO {table_name} ({', '.join(columns)}) "
                            f"SELECT {', '.join(columns.values())} FROM generate_series(1, {rows}) AS g"))
    if "id" in columns:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), {rows})"))


@dataclass
class Step:
    revision: str
    seconds: float = 0.0
    waits: dict[str, float] = field(default_factory=dict)  # table -> the longest a probe waited

    @property
    def longest(self) -> tuple[str, float]:
        return max(self.waits.items(), key=lambda kv: kv[1], default=("", 0.0))


class Probes:
    """One thread per big table, each changing a random row in a transaction of its own."""

    def __init__(self, url: str, tickets: int):
        self.engine = create_engine(url, pool_size=len(PROBED), isolation_level="READ COMMITTED")
        self.tickets, self.step, self.stop = tickets, None, threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(name,), daemon=True) for name in PROBED]

    def _run(self, table: str) -> None:
        rows = self.tickets * ROWS_PER_TICKET[table]
        present = False
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                step = self.step
                if step is None:
                    time.sleep(0.01)
                    continue
                if not present:  # a table that is not there yet (the outbox) is not probed
                    present = bool(connection.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}))
                    connection.commit()
                    if not present:
                        time.sleep(0.05)
                        continue
                started = time.perf_counter()
                connection.execute(text(f"UPDATE {table} SET id = id WHERE id = :id"),
                                   {"id": random.randint(1, rows)})
                connection.commit()
                waited = time.perf_counter() - started
                step.waits[table] = max(step.waits.get(table, 0.0), waited)  # the step it began in
                time.sleep(0.01)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()
        self.engine.dispose()


def measure(app, tickets: int = 100_000, echo=print) -> list[Step]:
    """Empty the app's (PostgreSQL) database, then apply every migration over ``tickets`` tickets."""
    import flask_migrate

    from kiosk_app.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        directory = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        revisions = [script.revision for script in reversed(list(directory.walk_revisions()))]
        flask_migrate.upgrade(revision=revisions[0])
        with db.engine.begin() as connection:
            for name in REFERENCE:
                fill(connection, name, 1)
            fill(connection, "tickets", tickets)
            fill(connection, "ticket_events", tickets * ROWS_PER_TICKET["ticket_events"])
        steps = []
        with Probes(url, tickets) as probes:
            for revision in revisions[1:]:
                step = Step(revision)
                probes.step = step
                started = time.perf_counter()
                flask_migrate.upgrade(revision=revision)
                step.seconds = time.perf_counter() - started
                probes.step = None
                time.sleep(0.2)  # a probe let go at the commit reports to the step it began in
                steps.append(step)
                table, waited = step.longest
                echo(f"{revision}: {step.seconds:6.2f} s, longest wait {waited * 1000:7.1f} ms ({table or '-'})")
                if revision == "0007":  # the outbox exists from here on
                    with db.engine.begin() as connection:
                        fill(connection, "notifications", tickets)
        db.engine.dispose()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a PostgreSQL database to empty and use")
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    from kiosk_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "TESTING": True})
    steps = measure(app, args.tickets)
    worst = max(steps, key=lambda s: s.longest[1])
    print(f"{args.tickets} tickets, {len(steps) + 1} migrations in {sum(s.seconds for s in steps):.1f} s; "
          f"longest lock {worst.longest[1] * 1000:.0f} ms ({worst.revision}, {worst.longest[0]})")


if __name__ == "__main__":
    main()
