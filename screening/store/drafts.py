"""Drafts: a questionnaire being filled in, kept on the server so no health data sits in a cookie."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.core import iso, token_hash


@dataclass(frozen=True)
class Draft:
    id: str
    answers: dict[str, Any]
    contact: dict[str, str]
    submission_key: str
    kind: str = "new"  # "amendment": answering a clinician's question; "rescreen": a returning patient
    amends: int | None = None
    rescreen_of: int | None = None


def create_draft(
    db: Database,
    draft_token: str,
    submission_key: str,
    *,
    answers: dict[str, Any] | None = None,
    contact: dict[str, str] | None = None,
    amends: int | None = None,
    rescreen_of: int | None = None,
) -> Draft:
    now = iso(clock.utc_now())
    kind = "amendment" if amends is not None else "rescreen" if rescreen_of is not None else "new"
    db.execute(
        "INSERT INTO draft (id, submission_key, answers, contact, kind, amends, rescreen_of, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            token_hash(draft_token),
            submission_key,
            json.dumps(answers or {}),
            json.dumps(contact or {}),
            kind,
            amends,
            rescreen_of,
            now,
            now,
        ],
    )
    return Draft(token_hash(draft_token), answers or {}, contact or {}, submission_key, kind, amends, rescreen_of)


def get_draft(db: Database, draft_token: str, max_age: timedelta) -> Draft | None:
    cutoff = iso(clock.utc_now() - max_age)
    row = next(
        db.query(
            "SELECT id, answers, contact, submission_key, kind, amends, rescreen_of FROM draft"
            " WHERE id = ? AND updated_at >= ?",
            [token_hash(draft_token), cutoff],
        ),
        None,
    )
    if row is None:
        return None
    return Draft(
        row["id"],
        json.loads(row["answers"]),
        json.loads(row["contact"]),
        row["submission_key"],
        row["kind"],
        row["amends"],
        row["rescreen_of"],
    )


@contextlib.contextmanager
def draft_durability(db: Database) -> Iterator[None]:
    """Commit a draft save without waiting for the disk (synchronous=NORMAL), then go back to FULL.

    In WAL mode a NORMAL commit keeps the database consistent, but a power cut (not a crash of the process) may undo
    the last few such commits. A lost draft step costs the patient one page; a submission, decision, booking, outbox
    message or audit row is always committed with FULL, and its fsync also makes every earlier draft frame durable.
    """
    if db.conn.in_transaction:  # part of a larger unit: that unit's durability applies
        yield
        return
    db.conn.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        db.conn.execute("PRAGMA synchronous=FULL")


def save_draft_answers(db: Database, draft: Draft, answers: dict[str, Any]) -> None:
    with draft_durability(db):
        db.execute(
            "UPDATE draft SET answers = ?, updated_at = ? WHERE id = ?",
            [json.dumps(answers), iso(clock.utc_now()), draft.id],
        )


def save_draft_contact(db: Database, draft: Draft, contact: dict[str, str]) -> None:
    with draft_durability(db):
        db.execute(
            "UPDATE draft SET contact = ?, updated_at = ? WHERE id = ?",
            [json.dumps(contact), iso(clock.utc_now()), draft.id],
        )


def touch_draft(db: Database, draft_id: str) -> None:
    """The patient is still filling it in (a reception tablet's "I am still here"): its last change is now."""
    with draft_durability(db):
        db.execute("UPDATE draft SET updated_at = ? WHERE id = ?", [iso(clock.utc_now()), draft_id])


def draft_updated_at(db: Database, draft_id: str) -> str | None:
    """When the draft last changed (or was touched), as stored; None for no such draft."""
    row = next(db.query("SELECT updated_at FROM draft WHERE id = ?", [draft_id]), None)
    return None if row is None else row["updated_at"]


def delete_draft(db: Database, draft_id: str) -> None:
    db.execute("DELETE FROM draft WHERE id = ?", [draft_id])


def purge_stale_drafts(db: Database, max_age: timedelta) -> int:
    """Forget questionnaires abandoned part-way; they were never submitted, so no clinic record is lost."""
    cursor = db.execute("DELETE FROM draft WHERE updated_at < ?", [iso(clock.utc_now() - max_age)])
    return cursor.rowcount
