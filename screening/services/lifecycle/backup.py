"""Backup and restore of the SQLite database.

A backup is an online, consistent copy taken with SQLite's backup API while the server runs: the copy is one
snapshot (a transaction that commits during the copy makes the API restart, so the copy never holds half of one).
It is written beside its final name and renamed into place only once `PRAGMA integrity_check` passes, so a file with
the backup's name is always a whole, checked copy.

A restore checks the backup (integrity, the audit trail's hash chain and head, and every screening's seal against the
audit trail's record of it) before anything is changed, then copies it
into the configured database with the same backup API, through SQLite's own locking: the target's WAL and readers
stay coherent, and a failure part-way leaves the target as it was (the copy is one transaction).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from screening import store
from screening.db import connect, create_private, make_private
from screening.services import integrity
from screening.store import audit_key, copies


class BackupError(Exception):
    """A backup or restore refused or failed; the message names the file and what is wrong. Nothing was changed."""


@dataclass(frozen=True)
class Summary:
    path: str
    submissions: int
    audit_events: int
    last_audit_hash: str
    chain_broken_at: int | None
    chain_problem: str
    size_bytes: int
    seal_problems: tuple[str, ...] = ()  # each names the screening (services/integrity.py)
    awaiting_key: int = 0  # plain seals from before seals were keyed: keyed at the next start

    @property
    def trustworthy(self) -> bool:
        return self.chain_broken_at is None and not self.seal_problems

    def lines(self) -> list[str]:
        chain = (
            f"the audit chain is whole: {self.audit_events} events"
            if self.chain_broken_at is None
            else f"the audit chain is broken at event {self.chain_broken_at}: {self.chain_problem}"
        )
        if self.seal_problems:
            seals = [f"{len(self.seal_problems)} problem(s) with screenings:", *_first(self.seal_problems)]
        else:
            seals = ["every screening's seal checks out and agrees with the audit trail"]
            if self.awaiting_key:
                seals.append(f"{self.awaiting_key} screening(s) sealed before seals were keyed: keyed at next start")
        return [
            f"{self.path}: integrity check ok, {self.size_bytes:,} bytes",
            f"submissions: {self.submissions}",
            chain,
            *seals,
            f"last audit hash: {self.last_audit_hash or '(no events)'}",
        ]


SHOWN = 20  # problems named in full (the rest are counted); `screening audit verify` on a live database names all


def _first(problems: tuple[str, ...]) -> list[str]:
    shown = list(problems[:SHOWN])
    if len(problems) > SHOWN:
        shown.append(f"and {len(problems) - SHOWN} more")
    return shown


def _open_checked(path: Path) -> sqlite3.Connection:
    """A read-only connection to a backup file, after checking that it is one."""
    if not path.exists():
        raise BackupError(f"{path}: no such backup file")
    if not path.is_file():
        raise BackupError(f"{path}: not a file")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path}: not an SQLite database")
    conn = copies.read_only(path)
    try:
        problems = copies.integrity_problems(conn)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise BackupError(f"{path}: fails the integrity check: {error}") from None
    if problems != ["ok"]:
        conn.close()
        raise BackupError(f"{path}: fails the integrity check: {'; '.join(problems[:5])}")
    return conn


def summarise(path: Path, chain_key: audit_key.ChainKey | None = None) -> Summary:
    """Check a backup file (integrity, the audit chain and its head, every screening's seal against the audit trail)
    and say what it holds. Raises BackupError only when the file cannot be read as a screening database.

    A copy is checked with the key of the database it was taken from (or is restored into): the chain is keyed by the
    instance's AUDIT_KEY, which is not in the file."""
    conn = _open_checked(path)
    try:
        db = Database(conn, execute_plugins=False)
        tables = set(db.table_names())
        if not {"submission", "audit_event"} <= tables:
            raise BackupError(f"{path}: not a screening database (no submission or audit_event table)")
        report = integrity.check(db, chain_key)
        chain = report.chain
        return Summary(
            path=str(path),
            submissions=store.count_rows(db, "submission"),
            audit_events=chain.rows,
            last_audit_hash=copies.last_audit_hash(db),
            chain_broken_at=chain.first_broken,
            chain_problem=chain.reason,
            size_bytes=path.stat().st_size,
            seal_problems=tuple(report.problem_lines()),
            awaiting_key=report.awaiting_key,
        )
    finally:
        conn.close()


def take_backup(database: str | Path, target: str | Path) -> Summary:
    """Copy the live database to `target` (which must not exist), check the copy, and summarise it."""
    database, target = Path(database), Path(target)
    if not database.exists():
        raise BackupError(f"{database}: no database to back up")
    if target.exists():
        raise BackupError(f"{target}: exists already; choose a new name (for example with the date in it)")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = connect(database)  # the service's pragmas: busy_timeout waits for a writer instead of failing
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # health data: owner only
        os.close(descriptor)
        copies.snapshot(source, partial)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{target}: backup failed: {error}") from None
    finally:
        source.close()
    try:
        summary = summarise(partial, audit_key.key_for_path(str(database)))
    except BackupError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{target}: the copy failed its check ({error}); nothing was kept") from None
    os.replace(partial, target)
    return Summary(**{**summary.__dict__, "path": str(target)})


# --------------------------------------------------------------------------------------------------------------------
# Is a server running on this database?


def live_lock_path(database: str | Path) -> Path:
    """The lock file every running server holds beside its database."""
    return Path(f"{database}.server-lock")


class ServerLock:
    """Held (shared) by every server process on a database while it runs, so a restore can tell that one is live.

    An flock is released by the kernel when the process ends, however it ends, so a crashed server leaves no stale
    lock behind."""

    def __init__(self, database: str | Path):
        self.path = live_lock_path(database)
        self.handle = None

    def acquire(self) -> None:
        self.handle = self.path.open("a")
        fcntl.flock(self.handle, fcntl.LOCK_SH)

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def server_running(database: str | Path) -> bool:
    """Whether a server is running on this database now, so that a restore refuses to overwrite it."""
    path = live_lock_path(database)
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


# --------------------------------------------------------------------------------------------------------------------
# Restore


@dataclass(frozen=True)
class RestoreReport:
    backup: Summary
    restored: Summary
    replaced_rows: int  # submissions, audit events and drafts the target held before (0 unless --force)
    seconds: float


def restore(backup: str | Path, database: str | Path, *, force: bool = False) -> RestoreReport:
    """Restore `backup` into `database`. Refuses a running server's database or one holding data, unless forced.

    The backup is checked first (integrity, audit chain); a bad backup changes nothing."""
    started = time.monotonic()
    backup, database = Path(backup), Path(database)
    summary = summarise(backup, audit_key.key_for_path(str(database)))
    if summary.chain_broken_at is not None:
        raise BackupError(
            f"{backup}: the audit chain is broken at event {summary.chain_broken_at} ({summary.chain_problem});"
            " not restored"
        )
    if summary.seal_problems:
        raise BackupError(f"{backup}: {'; '.join(_first(summary.seal_problems))}; not restored")
    if not force:
        if server_running(database):
            raise BackupError(f"{database}: a server is running on this database; stop it, or use --force")
        held = copies.rows_held(database)
        if held:
            raise BackupError(f"{database}: holds data already ({held} rows); use --force to replace it")
    before = copies.rows_held(database) if database.exists() else 0
    database.parent.mkdir(parents=True, exist_ok=True)
    create_private(database)
    make_private(database)  # a database made before files were created private (or by hand) is closed up first
    try:
        copies.copy_into(backup, database)
    except sqlite3.Error as error:
        raise BackupError(f"{database}: restore failed, the database is as it was: {error}") from None
    make_private(database)
    restored = summarise(database, audit_key.key_for_path(str(database)))
    if not restored.trustworthy or restored.last_audit_hash != summary.last_audit_hash:
        raise BackupError(f"{database}: the restored audit chain does not match the backup's")
    return RestoreReport(summary, restored, before, time.monotonic() - started)
