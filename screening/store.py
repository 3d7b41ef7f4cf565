"""The only module that reads and writes tables. Every function takes the database first and returns plain data."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from .domain import Answers, Evaluation


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token_hash(token: str) -> str:
    """Tokens are stored only as hashes, so a copy of the database does not open anyone's screening."""
    return hashlib.sha256(token.encode()).hexdigest()


# --------------------------------------------------------------------------------------------------------------------
# Drafts: a questionnaire being filled in, kept on the server so no health data sits in a cookie


@dataclass(frozen=True)
class Draft:
    id: str
    answers: dict[str, Any]
    contact: dict[str, str]
    submission_key: str


def create_draft(db: Database, draft_token: str, submission_key: str) -> Draft:
    now = iso(utc_now())
    db.execute(
        "INSERT INTO draft (id, submission_key, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [token_hash(draft_token), submission_key, now, now],
    )
    return Draft(token_hash(draft_token), {}, {}, submission_key)


def get_draft(db: Database, draft_token: str, max_age: timedelta) -> Draft | None:
    cutoff = iso(utc_now() - max_age)
    row = next(
        db.query(
            "SELECT id, answers, contact, submission_key FROM draft WHERE id = ? AND updated_at >= ?",
            [token_hash(draft_token), cutoff],
        ),
        None,
    )
    if row is None:
        return None
    return Draft(row["id"], json.loads(row["answers"]), json.loads(row["contact"]), row["submission_key"])


def save_draft_answers(db: Database, draft: Draft, answers: dict[str, Any]) -> None:
    db.execute(
        "UPDATE draft SET answers = ?, updated_at = ? WHERE id = ?",
        [json.dumps(answers), iso(utc_now()), draft.id],
    )


def save_draft_contact(db: Database, draft: Draft, contact: dict[str, str]) -> None:
    db.execute(
        "UPDATE draft SET contact = ?, updated_at = ? WHERE id = ?",
        [json.dumps(contact), iso(utc_now()), draft.id],
    )


def purge_stale_drafts(db: Database, max_age: timedelta) -> int:
    """Forget questionnaires abandoned part-way; they were never submitted, so no clinic record is lost."""
    cursor = db.execute("DELETE FROM draft WHERE updated_at < ?", [iso(utc_now() - max_age)])
    return cursor.rowcount


# --------------------------------------------------------------------------------------------------------------------
# Submissions


class DuplicateSubmission(Exception):
    """The one-time submission key was used already: the submission it stored stands."""

    def __init__(self, submission_id: int):
        self.submission_id = submission_id
        super().__init__(f"submission key already used by submission {submission_id}")


def checksum(answers: dict[str, Any], outcome: str, rule_ids: list[str], ruleset_version: str) -> str:
    canonical = json.dumps(
        {"answers": answers, "outcome": outcome, "rules": rule_ids, "ruleset": ruleset_version},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_submission(
    db: Database,
    *,
    submission_key: str,
    access_token: str,
    answers: Answers,
    evaluation: Evaluation,
    contact: dict[str, str],
    attested_name: str,
    ruleset_version: str,
    draft_id: str | None = None,
) -> int:
    """Store a submission with its fired rules, and forget its draft, in one transaction.

    Returns the new id only after the commit, so an acknowledged submission is on disk. Raises DuplicateSubmission
    when the key was used already (a double click or a retried POST), leaving the first submission as it was.
    """
    values = answers.values
    row = {
        "submission_key": submission_key,
        "access_token_hash": token_hash(access_token),
        "created_at": iso(utc_now()),
        "screening_date": answers.screening_date.isoformat(),
        "ruleset_version": ruleset_version,
        "answers": json.dumps(values),
        "full_name": contact["full_name"],
        "email": contact["email"],
        "phone": contact.get("phone", ""),
        "attested_name": attested_name,
        "outcome": evaluation.outcome,
        "treatments": json.dumps(evaluation.treatments),
        "messages": json.dumps(list(evaluation.messages)),
        "engine_errors": json.dumps(list(evaluation.engine_errors)),
        "checksum": checksum(values, evaluation.outcome, evaluation.rule_ids, ruleset_version),
    }
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    try:
        with db.atomic():
            # The INSERT comes first so the transaction takes the write lock at once (no read-then-write upgrade).
            submission_id = db.execute(f"INSERT INTO submission ({columns}) VALUES ({placeholders})", row).lastrowid  # noqa: S608 - column names are ours
            for position, fired in enumerate(evaluation.fired, start=1):
                rule = fired.rule
                db.execute(
                    "INSERT INTO submission_rule (submission_id, position, rule_id, level, applies, patient_message,"
                    " rationale, sources, trigger_questions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        submission_id,
                        position,
                        rule.id,
                        rule.level,
                        rule.applies,
                        fired.message,
                        rule.rationale,
                        json.dumps([{"key": s.key, "title": s.title, "urls": list(s.urls)} for s in rule.sources]),
                        json.dumps(list(rule.trigger_questions)),
                    ],
                )
            if draft_id is not None:
                db.execute("DELETE FROM draft WHERE id = ?", [draft_id])
    except sqlite3.IntegrityError:
        existing = submission_id_for_key(db, submission_key)
        if existing is None:
            raise
        raise DuplicateSubmission(existing) from None
    return submission_id


def submission_id_for_key(db: Database, submission_key: str) -> int | None:
    row = next(db.query("SELECT id FROM submission WHERE submission_key = ?", [submission_key]), None)
    return None if row is None else row["id"]


def submission_for_token(db: Database, access_token: str) -> dict[str, Any] | None:
    row = next(
        db.query("SELECT id FROM submission WHERE access_token_hash = ?", [token_hash(access_token)]),
        None,
    )
    return None if row is None else get_submission(db, row["id"])


def get_submission(db: Database, submission_id: int) -> dict[str, Any] | None:
    row = next(db.query("SELECT * FROM submission WHERE id = ?", [submission_id]), None)
    if row is None:
        return None
    for field in ("answers", "treatments", "messages", "engine_errors"):
        row[field] = json.loads(row[field])
    row["rules"] = [
        {**rule, "sources": json.loads(rule["sources"]), "trigger_questions": json.loads(rule["trigger_questions"])}
        for rule in db.query(
            "SELECT rule_id, level, applies, patient_message, rationale, sources, trigger_questions"
            " FROM submission_rule WHERE submission_id = ? ORDER BY position",
            [submission_id],
        )
    ]
    return row


def count_rows(db: Database, table: str) -> int:
    if table not in ("draft", "submission", "submission_rule"):
        raise ValueError(table)
    return next(db.query(f"SELECT count(*) AS n FROM {table}"))["n"]  # noqa: S608 - table checked above
