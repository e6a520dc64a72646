"""Backups of the database, and putting one back (``flask backup``, ``flask restore``).

PostgreSQL: ``pg_dump`` in its custom format (compressed, restored table by table with
``pg_restore``); SQLite: the database file copied through SQLite's online backup API (consistent while
the app writes).  Backups go to a folder, named by the time they were made, and only the newest
``BACKUP_KEEP`` are kept.  The key that seals residents' personal data is not in a backup, on purpose
(README, "Backups"): back PERSONAL_DATA_KEYS up apart from it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect, make_url, text

from ..extensions import db

PREFIX = "cloudlocker-"
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}


class BackupError(RuntimeError):
    """A backup or a restore that could not be done, with what to do about it."""


@dataclass(frozen=True)
class Made:
    path: Path
    size: int
    removed: list[Path]


def _backend() -> str:
    return db.engine.dialect.name


def _libpq_url() -> str:
    """The database's address as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(db.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path() -> Path:
    database = make_url(db.engine.url).database
    if not database or database == ":memory:":
        raise BackupError("this SQLite database lives in memory: there is no file to back up")
    return Path(database)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")


def backup(folder: str | os.PathLike, keep: int, now: datetime | None = None) -> Made:
    """Write a backup into ``folder`` (made if missing), then keep only the newest ``keep`` backups."""
    backend = _backend()
    if backend not in SUFFIXES:
        raise BackupError(f"no backup for a {backend} database")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{PREFIX}{stamp}{SUFFIXES[backend]}"
    partial = target.with_name(target.name + ".partial")  # never a half-written file under a backup's name
    if backend == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial), _libpq_url()])
    else:
        source = sqlite3.connect(_sqlite_path())
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    partial.replace(target)
    return Made(target, target.stat().st_size, rotate(folder, SUFFIXES[backend], keep))


def rotate(folder: Path, suffix: str, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups of this kind in ``folder``; returns what went."""
    found = sorted(folder.glob(f"{PREFIX}*{suffix}"))
    old = found[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def _holds_data() -> bool:
    tables = inspect(db.engine).get_table_names()
    if "tickets" not in tables:
        return False
    with db.engine.connect() as connection:
        return bool(connection.execute(text("SELECT 1 FROM tickets LIMIT 1")).first())


def restore(path: str | os.PathLike, *, replace: bool = False) -> None:
    """Put a backup back into the configured database.  An empty database takes it as it is; one that
    holds tickets is replaced only when asked (``replace``), its tables dropped first."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    backend = _backend()
    if path.suffix != SUFFIXES.get(backend):
        raise BackupError(f"{path.name} is not a backup of a {backend} database")
    if _holds_data() and not replace:
        raise BackupError("this database already holds tickets: restore into an empty one, or say --replace")
    db.session.remove()
    db.engine.dispose()  # no connection of ours in the way of dropping and loading tables
    if backend == "postgresql":
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
              "--dbname", _libpq_url(), str(path)])
    else:
        source = sqlite3.connect(path)
        target = sqlite3.connect(_sqlite_path())
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
