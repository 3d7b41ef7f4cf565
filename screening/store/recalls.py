"""The clinic's own record of treatments it gave, as the rules and recalls read it; reminder consent on a screening;
and the recall written once per treatment given."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.audit import AuditEvent, append_audit
from screening.store.core import iso, write_transaction
from screening.store.outbox import Mail, queue_mail
from screening.store.submissions import create_return_link


def treatments_given_with_people(db: Database, treatment: str) -> list[dict[str, Any]]:
    """Every treatment of this kind the clinic recorded, newest first, with the contact details and date of birth of
    its screening (what a new screening is matched to the same person on)."""
    return list(
        db.query(
            "SELECT treatment_given.id, treatment_given.submission_id, treatment_given.given_at,"
            " treatment_given.treatment, submission.email, submission.phone,"
            " json_extract(submission.answers, '$.date_of_birth') AS date_of_birth"
            " FROM treatment_given JOIN submission ON submission.id = treatment_given.submission_id"
            " WHERE treatment_given.treatment = ? ORDER BY treatment_given.given_at DESC, treatment_given.id DESC",
            [treatment],
        )
    )


def treatments_not_recalled(db: Database) -> list[dict[str, Any]]:
    """Treatments given that have no recall yet, oldest first, with their screening's consent to reminders."""
    return list(
        db.query(
            "SELECT treatment_given.id, treatment_given.submission_id, treatment_given.given_at,"
            " treatment_given.treatment, submission.reminders_at, submission.restricted_at, submission.email,"
            " submission.phone, submission.language,"
            " json_extract(submission.answers, '$.date_of_birth') AS date_of_birth"
            " FROM treatment_given JOIN submission ON submission.id = treatment_given.submission_id"
            " WHERE NOT EXISTS (SELECT 1 FROM recall WHERE recall.treatment_given_id = treatment_given.id)"
            " ORDER BY treatment_given.given_at, treatment_given.id"
        )
    )


def set_reminders(db: Database, submission_ids: list[int], agreed: bool, audit: AuditEvent) -> int:
    """Record the patient's consent to reminders on these screenings (agreed), or withdraw it; audited in the same
    transaction. Returns how many screenings changed."""
    changed = 0
    with write_transaction(db):
        for submission_id in submission_ids:
            if agreed:
                changed += db.execute(
                    "UPDATE submission SET reminders_at = ? WHERE id = ? AND reminders_at IS NULL",
                    [iso(clock.utc_now()), submission_id],
                ).rowcount
            else:
                changed += db.execute(
                    "UPDATE submission SET reminders_at = NULL WHERE id = ? AND reminders_at IS NOT NULL",
                    [submission_id],
                ).rowcount
        if changed:
            append_audit(db, audit)
    return changed


def submission_ids_with_reminders(db: Database, email: str) -> list[int]:
    """The screenings with this email whose patient agreed to reminders."""
    return [
        row["id"]
        for row in db.query(
            "SELECT id FROM submission WHERE lower(email) = ? AND reminders_at IS NOT NULL ORDER BY id",
            [email.strip().lower()],
        )
    ]


def record_recall(
    db: Database,
    treatment: dict[str, Any],
    *,
    due_on: str,
    outcome: str,
    audit: AuditEvent | None = None,
    return_link: tuple[str, int, Any] | None = None,
    mails: tuple[Mail, ...] = (),
) -> bool:
    """Write the one recall of a treatment given, with its return link, its email and its audit row, in one
    transaction; False (nothing written) when another round recalled it first."""
    try:
        with write_transaction(db):
            db.execute(
                "INSERT INTO recall (treatment_given_id, submission_id, treatment, due_on, outcome, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    treatment["id"],
                    treatment["submission_id"],
                    treatment["treatment"],
                    due_on,
                    outcome,
                    iso(clock.utc_now()),
                ],
            )
            if return_link is not None:
                token, submission_id, lifetime = return_link
                create_return_link(db, token, submission_id, lifetime, mails)
            elif mails:
                queue_mail(db, mails)
            if audit is not None:
                append_audit(db, audit)
    except sqlite3.IntegrityError:
        return False
    return True


def recalls_of(db: Database, submission_id: int) -> list[dict[str, Any]]:
    """The recalls of the treatments given on this screening."""
    return list(db.query("SELECT * FROM recall WHERE submission_id = ? ORDER BY id", [submission_id]))
