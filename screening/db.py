"""SQLite connections: one per thread, opened once with every pragma the service relies on, and kept.

Opening a connection per request cost a third of the server's CPU per request (six pragmas, and closing the last WAL
connection checkpoints). Waitress serves each request on one of a fixed set of threads, so each thread keeps its own
connection to each database it uses; all of them are closed cleanly when the process exits. A connection is never
shared between threads, and a request that fails mid-transaction leaves no transaction open behind it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from flask import Flask, current_app
from sqlite_utils import Database as _SqliteUtilsDatabase
from sqlite_utils.utils import dedupe_keys

from screening.migrations import migrations

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
# A thread keeps connections to this many databases at most (a server uses one; a test run makes many apps).
KEPT_PER_THREAD = 4

_local = threading.local()
_every_connection: set[Database] = set()
_registry_lock = threading.Lock()


PRIVATE = 0o600  # the database holds health data: owner only; SQLite gives its -wal and -shm the same mode


def create_private(path: str | Path) -> None:
    """Create the database file for its owner only, if it does not exist yet (SQLite would create it 0644)."""
    if str(path) == ":memory:":
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # there already, or no folder: SQLite says so
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))


def make_private(path: str | Path) -> None:
    """Give the database file and its -wal and -shm, where they exist, to their owner only."""
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(name, PRIVATE)


class Database(_SqliteUtilsDatabase):
    """sqlite-utils' Database, with a SELECT run as it is. sqlite-utils 4 runs every `query()` inside a savepoint
    (SAVEPOINT, the statement, RELEASE), so that a statement that turns out to return no rows can be rolled back
    before it refuses it; a SELECT always returns rows and changes nothing, so here it runs alone: one statement
    instead of three, for the three to ten reads of every page. Its rows are the same dictionaries, named the same
    way (a repeated column name gets sqlite-utils' suffix), fetched lazily as before. Anything else goes through
    sqlite-utils unchanged."""

    def query(self, sql: str, params=None):
        if self._tracer or sql.lstrip()[:6].upper() != "SELECT":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
        keys = [column[0] for column in cursor.description]
        if len(set(keys)) != len(keys):
            keys = dedupe_keys(keys)
        return (dict(zip(keys, row, strict=True)) for row in cursor)


def connect(path: str | Path) -> Database:
    """Open the database with every pragma the service relies on (the caller closes it); a new file is private."""
    create_private(path)
    conn = sqlite3.connect(str(path), timeout=5.0, check_same_thread=False)
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


def thread_db(path: str) -> Database:
    """This thread's connection to the database at `path`, opened on first use and kept."""
    kept: OrderedDict[str, Database] = getattr(_local, "kept", None) or OrderedDict()
    _local.kept = kept
    db = kept.get(path)
    if db is None:
        db = connect(path)
        kept[path] = db
        with _registry_lock:
            _every_connection.add(db)
        while len(kept) > KEPT_PER_THREAD:
            _close(kept.popitem(last=False)[1])
    else:
        kept.move_to_end(path)
    return db


def get_db() -> Database:
    return thread_db(current_app.config["DATABASE"])


def release_db(exception: BaseException | None = None) -> None:
    """After each request: no transaction may outlive it (an error part-way leaves nothing half-done behind)."""
    kept = getattr(_local, "kept", None)
    if not kept:
        return
    db = kept.get(current_app.config["DATABASE"])
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def forget_thread_connections(path: str | None = None) -> None:
    """Close this thread's kept connections (to one database, or all), e.g. before the file is replaced."""
    kept = getattr(_local, "kept", None) or {}
    for key in [k for k in kept if path is None or k == path]:
        _close(kept.pop(key))


def _close(db: Database) -> None:
    with _registry_lock:
        _every_connection.discard(db)
    with contextlib.suppress(sqlite3.Error):  # closing must never fail the exit
        db.close()


@atexit.register
def close_all() -> None:
    """At shutdown, close every kept connection (the last one to close checkpoints the WAL into the database)."""
    with _registry_lock:
        everything = list(_every_connection)
        _every_connection.clear()
    for db in everything:
        _close(db)


def init_app(app: Flask) -> None:
    migrate(app.config["DATABASE"])
    app.teardown_appcontext(release_db)
