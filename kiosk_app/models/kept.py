"""Counts a database keeps by itself: a summary table whose rows triggers move as the rows they count
change, in the same transaction, on PostgreSQL and SQLite alike (the figures' daily summaries).

A ``Kept`` says which rows of a table count (``when``) and under which key (an expression for each
column of the summary); from it come the trigger function and trigger on PostgreSQL, the three
triggers on SQLite, and the statement that counts everything again.  Why triggers and not counting
in the unit of work or a materialized view: ticket_count.py says it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Expression = Callable[[str, str], str]  # (row, dialect) -> SQL


def column(name: str) -> Expression:
    return lambda row, dialect: f"{row}.{name}"


def local_date(name: str, grain: str = "day") -> Expression:
    """The local (Asia/Shanghai, UTC+8 all year) date of a UTC timestamp column, or (``grain`` "month")
    the first day of its month."""
    def expression(row: str, dialect: str) -> str:
        if dialect == "postgresql":
            local = f"({row}.{name} AT TIME ZONE 'Asia/Shanghai')"
            return f"date_trunc('month', {local})::date" if grain == "month" else f"{local}::date"
        month = ", 'start of month'" if grain == "month" else ""
        return f"date({row}.{name}, '+8 hours'{month})"
    return expression


def constant(value: str) -> Expression:
    return lambda row, dialect: f"'{value}'"


@dataclass(frozen=True)
class Kept:
    name: str  # of the triggers and function
    table: str  # the summary
    source: str  # the rows counted
    key: tuple[tuple[str, Expression], ...]  # summary column and its value for a source row
    when: Callable[[str], str]  # whether a source row counts
    watched: tuple[str, ...]  # source columns whose change can move a count

    def columns(self) -> str:
        return ", ".join(name for name, _ in self.key)

    def values(self, row: str, dialect: str) -> str:
        return ", ".join(expression(row, dialect) for _, expression in self.key)

    def add(self, row: str, delta: int, dialect: str) -> str:
        table = self.table if dialect == "postgresql" else ""
        n = f"{table}.n" if table else "n"
        return (f"INSERT INTO {self.table} ({self.columns()}, n) VALUES ({self.values(row, dialect)}, {delta}) "
                f"ON CONFLICT ({self.columns()}) DO UPDATE SET n = {n} + ({delta});")

    def postgresql(self) -> list[str]:
        old, new = (f"ROW({self.values(row, 'postgresql')})" for row in ("OLD", "NEW"))
        return [
            f"""CREATE OR REPLACE FUNCTION {self.name}_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE was boolean := false; now_in boolean := false;
            BEGIN
                IF TG_OP <> 'INSERT' THEN was := {self.when('OLD')}; END IF;
                IF TG_OP <> 'DELETE' THEN now_in := {self.when('NEW')}; END IF;
                IF was AND now_in THEN
                    IF {old} IS NOT DISTINCT FROM {new} THEN RETURN NULL; END IF;
                    -- the two rows in one order whichever way the change goes: no deadlock
                    IF {old} < {new} THEN
                        {self.add('OLD', -1, 'postgresql')} {self.add('NEW', 1, 'postgresql')}
                    ELSE
                        {self.add('NEW', 1, 'postgresql')} {self.add('OLD', -1, 'postgresql')}
                    END IF;
                ELSIF was THEN {self.add('OLD', -1, 'postgresql')}
                ELSIF now_in THEN {self.add('NEW', 1, 'postgresql')}
                END IF;
                RETURN NULL;
            END $$""",
            f"DROP TRIGGER IF EXISTS {self.name} ON {self.source}",
            f"""CREATE TRIGGER {self.name} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(self.watched)}
                ON {self.source} FOR EACH ROW EXECUTE FUNCTION {self.name}_apply()""",
        ]

    def sqlite(self) -> list[str]:
        def moved(row: str, delta: int) -> str:
            # INSERT … SELECT … WHERE: counted only when the row counts (an UPSERT needs the WHERE)
            return (f"INSERT INTO {self.table} ({self.columns()}, n) SELECT {self.values(row, 'sqlite')}, {delta} "
                    f"WHERE {self.when(row)} ON CONFLICT ({self.columns()}) DO UPDATE SET n = n + ({delta});")
        return [
            *(f"DROP TRIGGER IF EXISTS {self.name}_{kind}" for kind in ("insert", "delete", "update")),
            f"CREATE TRIGGER {self.name}_insert AFTER INSERT ON {self.source} BEGIN {moved('NEW', 1)} END",
            f"CREATE TRIGGER {self.name}_delete AFTER DELETE ON {self.source} BEGIN {moved('OLD', -1)} END",
            f"""CREATE TRIGGER {self.name}_update AFTER UPDATE OF {', '.join(self.watched)} ON {self.source}
                BEGIN {moved('OLD', -1)} {moved('NEW', 1)} END""",
        ]

    def drop(self, dialect: str) -> list[str]:
        if dialect == "postgresql":
            return [f"DROP TRIGGER IF EXISTS {self.name} ON {self.source}", f"DROP FUNCTION IF EXISTS {self.name}_apply()"]
        return [f"DROP TRIGGER IF EXISTS {self.name}_{kind}" for kind in ("insert", "delete", "update")]

    def recount(self, dialect: str) -> str:
        values = self.values(self.source, dialect)
        positions = ", ".join(str(i + 1) for i in range(len(self.key)))  # PostgreSQL: no constants in GROUP BY
        return (f"INSERT INTO {self.table} ({self.columns()}, n) SELECT {values}, count(*) FROM {self.source} "
                f"WHERE {self.when(self.source)} GROUP BY {positions} "
                f"ON CONFLICT ({self.columns()}) DO UPDATE SET n = {self.table}.n + excluded.n")


def create_triggers(connection, kept: list[Kept]) -> None:
    dialect = connection.dialect.name
    for item in kept:
        for statement in item.postgresql() if dialect == "postgresql" else item.sqlite():
            connection.exec_driver_sql(statement)


def recount(connection, kept: list[Kept]) -> None:
    """Every count made again from the rows (after a bulk load with the triggers quiet)."""
    for table in dict.fromkeys(item.table for item in kept):
        connection.exec_driver_sql(f"DELETE FROM {table}")
    for item in kept:
        connection.exec_driver_sql(item.recount(connection.dialect.name))
