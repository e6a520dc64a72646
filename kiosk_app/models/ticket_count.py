"""How many tickets each (community, grid, service, channel, status) holds, kept by the database.

The back office's tabs and totals read these rows instead of counting a history that grows by the
year.  Triggers on ``tickets`` keep them (an insert, a delete, a change of status, place, service or
channel moves one count down and another up, in the same transaction as the change), so every way a
ticket changes is counted: the ORM, the one-statement submission, a purge, a bulk load.  Triggers
rather than counting in the unit of work, because nothing can forget them; rather than a
materialized view, because a refreshed view is stale between refreshes and a refresh rereads the
history.  Counts only ever change by one row's worth, so concurrent changes add up (PostgreSQL takes
the two count rows of a change in one order, so two opposite changes cannot deadlock).

SQLite rebuilds a table for some schema changes (batch mode) and drops its triggers with it: a
migration that rebuilds ``tickets`` calls ``create_triggers`` again (and daily.py's, after 0028).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .ticket import Ticket

KEY = ("community_id", "grid_id", "service_id", "channel", "status")


class TicketCount(db.Model):
    __tablename__ = "ticket_counts"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


_COLUMNS = ", ".join(KEY)


def _values(row: str) -> str:
    return ", ".join(f"{row}.{column}" for column in KEY)


POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION ticket_counts_add(c integer, g integer, s integer, ch varchar, st varchar,
        d integer) RETURNS void LANGUAGE sql AS $$
        INSERT INTO ticket_counts ({_COLUMNS}, n) VALUES (c, g, s, ch, st, d)
        ON CONFLICT ({_COLUMNS}) DO UPDATE SET n = ticket_counts.n + EXCLUDED.n $$""",
    f"""CREATE OR REPLACE FUNCTION ticket_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF ({_values('OLD')}) IS NOT DISTINCT FROM ({_values('NEW')}) THEN
                RETURN NULL;
            END IF;
            -- the two rows in one order (by status, then place), whichever way the change goes
            IF (OLD.status, OLD.community_id, OLD.grid_id, OLD.service_id, OLD.channel)
               < (NEW.status, NEW.community_id, NEW.grid_id, NEW.service_id, NEW.channel) THEN
                PERFORM ticket_counts_add({_values('OLD')}, -1);
                PERFORM ticket_counts_add({_values('NEW')}, 1);
            ELSE
                PERFORM ticket_counts_add({_values('NEW')}, 1);
                PERFORM ticket_counts_add({_values('OLD')}, -1);
            END IF;
        ELSIF TG_OP = 'INSERT' THEN
            PERFORM ticket_counts_add({_values('NEW')}, 1);
        ELSE
            PERFORM ticket_counts_add({_values('OLD')}, -1);
        END IF;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS ticket_counts ON tickets",
    f"""CREATE TRIGGER ticket_counts AFTER INSERT OR DELETE OR UPDATE OF {_COLUMNS} ON tickets
        FOR EACH ROW EXECUTE FUNCTION ticket_counts_apply()""",
]


def _sqlite_add(row: str, delta: int) -> str:
    return (f"INSERT INTO ticket_counts ({_COLUMNS}, n) VALUES ({_values(row)}, {delta}) "
            f"ON CONFLICT ({_COLUMNS}) DO UPDATE SET n = n + ({delta});")


SQLITE = [
    "DROP TRIGGER IF EXISTS ticket_counts_insert",
    "DROP TRIGGER IF EXISTS ticket_counts_delete",
    "DROP TRIGGER IF EXISTS ticket_counts_update",
    f"CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets BEGIN {_sqlite_add('NEW', 1)} END",
    f"CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets BEGIN {_sqlite_add('OLD', -1)} END",
    f"""CREATE TRIGGER ticket_counts_update AFTER UPDATE OF {_COLUMNS} ON tickets
        WHEN ({_values('OLD')}) IS NOT ({_values('NEW')})
        BEGIN {_sqlite_add('OLD', -1)} {_sqlite_add('NEW', 1)} END""",
]

RECOUNT = (f"INSERT INTO ticket_counts ({_COLUMNS}, n) "
           f"SELECT {_COLUMNS}, count(*) FROM tickets GROUP BY {_COLUMNS}")


def statements(dialect: str) -> list[str]:
    return POSTGRESQL if dialect == "postgresql" else SQLITE


def create_triggers(connection) -> None:
    """The triggers (again), on the connection's database."""
    for statement in statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def recount(connection) -> None:
    """Every count made again from the tickets (after a bulk load with the triggers off)."""
    connection.exec_driver_sql("DELETE FROM ticket_counts")
    connection.exec_driver_sql(RECOUNT)


@event.listens_for(Ticket.__table__, "after_create")
def _after_create(table, connection, **kw) -> None:
    create_triggers(connection)


__all__ = ["TicketCount", "create_triggers", "recount"]
