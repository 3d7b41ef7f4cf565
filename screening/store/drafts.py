"""Drafts: a questionnaire being filled in, kept on the server so no health data sits in a cookie; and the one-time
links that resume one on another device (resume_link)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.core import iso, token_hash, write_transaction
from screening.store.outbox import Mail, queue_mail


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


# --------------------------------------------------------------------------------------------------------------------
# Save and finish later: a one-time link to a draft (only the token's hash is kept; the outbox holds a reference)


@dataclass(frozen=True)
class ResumeLink:
    draft: Draft
    wrong_tries: int


def create_resume_link(db: Database, token: str, draft: Draft, lifetime: timedelta, mails: tuple[Mail, ...]) -> None:
    """Keep a link to the draft for `lifetime`, and count the draft's lifetime from now too (so the draft lives as
    long as the link); queue its email in the same transaction."""
    now = clock.utc_now()
    with write_transaction(db):
        db.execute("UPDATE draft SET updated_at = ? WHERE id = ?", [iso(now), draft.id])
        db.execute(
            "INSERT INTO resume_link (id, draft_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [token_hash(token), draft.id, iso(now), iso(now + lifetime)],
        )
        queue_mail(db, mails)


def live_resume_link(db: Database, token: str, max_age: timedelta) -> ResumeLink | None:
    """The link with this token while it works: not used, not expired, and its draft still fresh."""
    now = clock.utc_now()
    row = next(
        db.query(
            "SELECT resume_link.draft_id, resume_link.wrong_tries, draft.updated_at FROM resume_link"
            " JOIN draft ON draft.id = resume_link.draft_id WHERE resume_link.id = ? AND resume_link.expires_at > ?",
            [token_hash(token), iso(now)],
        ),
        None,
    )
    if row is None or row["updated_at"] < iso(now - max_age):
        return None
    found = next(
        db.query(
            "SELECT id, answers, contact, submission_key, kind, amends, rescreen_of FROM draft WHERE id = ?",
            [row["draft_id"]],
        )
    )
    draft = Draft(
        found["id"],
        json.loads(found["answers"]),
        json.loads(found["contact"]),
        found["submission_key"],
        found["kind"],
        found["amends"],
        found["rescreen_of"],
    )
    return ResumeLink(draft, row["wrong_tries"])


def count_wrong_resume_try(db: Database, token: str, limit: int) -> int | None:
    """One more wrong date of birth for this link; at `limit` the link is spent (deleted). The tries left, or None
    when the link went meanwhile (used or spent by another request)."""
    with write_transaction(db):
        db.execute("UPDATE resume_link SET wrong_tries = wrong_tries + 1 WHERE id = ?", [token_hash(token)])
        row = next(db.query("SELECT wrong_tries FROM resume_link WHERE id = ?", [token_hash(token)]), None)
        if row is None:
            return None
        if row["wrong_tries"] >= limit:
            db.execute("DELETE FROM resume_link WHERE id = ?", [token_hash(token)])
    return max(limit - row["wrong_tries"], 0)


def spend_resume_link(db: Database, token: str, draft_id: str, new_draft_token: str) -> bool:
    """Use the link: every link to the draft is spent, and the draft moves to the new browser's token (the browser
    that saved it no longer holds it). False when another request spent it first."""
    with write_transaction(db):
        if (
            db.execute("DELETE FROM resume_link WHERE id = ? AND draft_id = ?", [token_hash(token), draft_id]).rowcount
            == 0
        ):
            return False
        db.execute("DELETE FROM resume_link WHERE draft_id = ?", [draft_id])
        db.execute(
            "UPDATE draft SET id = ?, updated_at = ? WHERE id = ?",
            [token_hash(new_draft_token), iso(clock.utc_now()), draft_id],
        )
    return True
