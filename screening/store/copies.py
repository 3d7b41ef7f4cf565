"""The database file as a whole: opened read-only and checked, copied for a backup, copied back in a restore, and
its rows counted. The backup service (services/lifecycle/backup.py) decides what is allowed and says what went wrong;
the SQL it needs is here."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from screening.db import connect


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a database file."""
    # as_uri() percent-encodes the path, so a folder name with "?" or "#" in it cannot change the URI's meaning
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's integrity check: ["ok"], or up to 20 problems. Raises sqlite3.DatabaseError on a file it cannot read."""
    return [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]


def last_audit_hash(db: Database) -> str:
    """The hash of the newest audit row, or "" when there is none."""
    last = next(db.query("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1"), None)
    return last["hash"] if last else ""


def snapshot(source: Database, target: Path) -> None:
    """Copy the live database into the (empty) file `target` as one consistent snapshot, self-contained (no -wal)."""
    copy = sqlite3.connect(target)
    try:
        source.conn.backup(copy, pages=-1)  # one step: a transaction that commits meanwhile makes the copy restart
        copy.execute("PRAGMA journal_mode=DELETE")
        copy.commit()
    finally:
        copy.close()


def copy_into(backup: Path, database: Path) -> None:
    """Copy the backup file into the database through SQLite's locking, in one transaction, and leave it in WAL."""
    source = read_only(backup)
    target = connect(database)
    try:
        source.backup(target.conn, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")  # the copy brought the backup's rollback-journal mode
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        source.close()
        target.close()


def rows_held(database: Path) -> int:
    """Submissions, audit events and drafts in a database file: more than none means it is in use."""
    if not database.exists():
        return 0
    with contextlib.closing(read_only(database)) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        total = 0
        for table in ("submission", "audit_event", "draft"):
            if table in names:
                total += conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
        return total
