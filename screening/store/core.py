"""Units of work and what every table family shares: the write transaction, token hashes, row counts."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Iterator

from sqlite_utils import Database

from screening import clock

iso = clock.iso


def token_hash(token: str) -> str:
    """Tokens are stored only as hashes, so a copy of the database does not open anyone's screening."""
    return hashlib.sha256(token.encode()).hexdigest()


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One unit of work that takes the write lock at once (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY when another writer got in
    between; an immediate one waits for the lock (busy_timeout) and then sees the latest data, which the audit hash
    chain and the decision race rely on. Nested use is a savepoint inside the outer transaction (as sqlite-utils'
    atomic() does): a failure rolls back the inner part only, and the outer unit decides whether anything commits.
    """
    if db.conn.in_transaction:
        name = f"unit_{secrets.token_hex(4)}"
        db.conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            db.conn.execute(f"ROLLBACK TO {name}")
            db.conn.execute(f"RELEASE {name}")
            raise
        else:
            db.conn.execute(f"RELEASE {name}")
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


@contextlib.contextmanager
def read_snapshot(db: Database) -> Iterator[Database]:
    """Several reads that must see one moment of the database (a row and the seal over it, say): a deferred
    transaction, whose first read fixes the snapshot under WAL, so a writer committing in between is not half seen.
    Inside an outer transaction it is that transaction's view already."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.conn.execute("COMMIT")


def count_rows(db: Database, table: str) -> int:
    if table not in ("draft", "submission", "submission_rule", "clinician", "decision", "audit_event", "outbox"):
        raise ValueError(table)
    return next(db.query(f"SELECT count(*) AS n FROM {table}"))["n"]  # noqa: S608 - table checked above
