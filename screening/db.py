"""One configured SQLite connection per request, as a sqlite_utils.Database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, current_app, g
from sqlite_utils import Database

from .migrations import migrations

# WAL lets readers run beside the one writer; synchronous=FULL makes a committed submission survive a crash or power
# loss; busy_timeout makes a writer wait for the lock instead of failing at once; secure_delete overwrites erased data.
PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=5000",
    "secure_delete=ON",
    "trusted_schema=OFF",
)


def connect(path: str | Path) -> Database:
    """Open the database with every pragma the service relies on."""
    conn = sqlite3.connect(str(path), timeout=5.0)
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    return Database(conn, execute_plugins=False)


def migrate(path: str | Path) -> list[str]:
    """Apply pending migrations; return the names applied."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = connect(path)
    try:
        pending = [migration.name for migration in migrations.pending(db)]
        migrations.apply(db)
        return pending
    finally:
        db.close()


def get_db() -> Database:
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exception: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    migrate(app.config["DATABASE"])
    app.teardown_appcontext(close_db)
