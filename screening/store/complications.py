"""Problems reported after a treatment (`complication`): the report, with the email to the clinic an urgent one
causes, the clinician's follow-up, and the open reports the queue lists first."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.errors import Conflict
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction
from screening.store.outbox import Mail, queue_mail, withdraw_check_in

_JOINED = (
    "SELECT complication.*, treatment_given.treatment, treatment_given.given_at,"
    " treatment_given.clinician_name AS treated_by FROM complication"
    " JOIN treatment_given ON treatment_given.id = complication.treatment_given_id"
)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "symptoms": json.loads(row["symptoms"] or "[]"), "urgent": bool(row["urgent"])}


def record_complication(db: Database, values: dict[str, Any], audit: AuditEvent, mails: tuple[Mail, ...] = ()) -> int:
    """Store a reported problem with its audit event and any email to the clinic, in one transaction, and withdraw
    the treatment's check-in if it is still unsent (the patient has already told the clinic how it went); the audit
    detail says whether one was withdrawn (`check_in_withdrawn`)."""
    with write_transaction(db):
        complication_id = db.execute(
            "INSERT INTO complication (submission_id, treatment_given_id, what, started, symptoms, urgent,"
            " reported_by, reporter_id, reported_at) VALUES (:submission_id, :treatment_given_id, :what, :started,"
            " :symptoms, :urgent, :reported_by, :reporter_id, :reported_at)",
            {
                "reporter_id": None,
                "reported_at": iso(clock.utc_now()),
                **values,
                "symptoms": json.dumps(list(values.get("symptoms") or [])),
                "urgent": int(bool(values["urgent"])),
            },
        ).lastrowid
        withdrawn = withdraw_check_in(db, values["treatment_given_id"])
        detail = {**(audit.detail or {}), "check_in_withdrawn": bool(withdrawn)}
        append_audit(db, _with_object(replace(audit, detail=detail), "complication", complication_id))
        queue_mail(db, mails)
    return complication_id


def complications_for(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    """The problems reported for these screenings, urgent and open first, then newest first, with the treatment
    given they follow."""
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    return [
        _decoded(row)
        for row in db.query(
            f"{_JOINED} WHERE complication.submission_id IN ({marks})"  # noqa: S608 - placeholders only
            " ORDER BY complication.followed_up_at IS NOT NULL, complication.urgent DESC, complication.id DESC",
            list(submission_ids),
        )
    ]


def get_complication(db: Database, complication_id: int) -> dict[str, Any] | None:
    """One reported problem with the treatment given it follows, or None."""
    row = next(db.query(f"{_JOINED} WHERE complication.id = ?", [complication_id]), None)  # noqa: S608
    return _decoded(row) if row else None


def open_complications(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """Problems not yet followed up, on screenings that are not restricted: urgent first, then the longest waiting."""
    return [
        _decoded(row)
        for row in db.query(
            f"{_JOINED} JOIN submission ON submission.id = complication.submission_id"  # noqa: S608
            " WHERE complication.followed_up_at IS NULL AND submission.restricted_at IS NULL"
            " ORDER BY complication.urgent DESC, complication.reported_at, complication.id LIMIT ?",
            [limit],
        )
    ]


def follow_up_complication(db: Database, complication_id: int, values: dict[str, Any], audit: AuditEvent) -> int:
    """Record the clinician's follow-up (outcome, and the product and batch they typed), audited; a later follow-up
    replaces the earlier one's words (the audit trail keeps that each happened)."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE complication SET outcome = :outcome, product = :product, batch = :batch,"
            " followed_up_by = :followed_up_by, followed_up_name = :followed_up_name,"
            " followed_up_at = :followed_up_at WHERE id = :id",
            {"followed_up_at": iso(clock.utc_now()), **values, "id": complication_id},
        ).rowcount
        if changed != 1:
            raise Conflict("This report no longer exists: nothing was recorded.")
        append_audit(db, _with_object(audit, "complication", complication_id))
    return complication_id
