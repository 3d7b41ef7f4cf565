"""Consent to treatment, the optional consents' history, the psychological-suitability assessment and the
treatment given."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction

# Every consent column but the PDF's bytes, which only the PDF's own download reads.
_CONSENT_COLUMNS = (
    "id, submission_id, consultation_id, treatment, text_version, text_sha256, clinician_id, clinician_name, register,"
    " register_number, discussed, patient_questions, reasons, hopes, taken_at, signed_name, signed_at, signed_where,"
    " pdf_sha256, withdrawn_at"
)


def consents_for(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    """Every consent taken for these screenings, newest first, without the PDF's bytes."""
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    return list(
        db.query(
            f"SELECT {_CONSENT_COLUMNS} FROM consent WHERE submission_id IN ({marks}) ORDER BY id DESC",  # noqa: S608
            list(submission_ids),
        )
    )


def signed_consent(db: Database, submission_id: int, treatment: str) -> dict[str, Any] | None:
    """The newest signed consent to this treatment for this screening that was not withdrawn."""
    return next(
        db.query(
            f"SELECT {_CONSENT_COLUMNS} FROM consent WHERE submission_id = ? AND treatment = ?"  # noqa: S608 - fixed
            " AND signed_at IS NOT NULL AND withdrawn_at IS NULL ORDER BY id DESC LIMIT 1",
            [submission_id, treatment],
        ),
        None,
    )


def consent_options(db: Database, consent_id: int) -> dict[str, bool]:
    """Each optional consent's standing answer: the newest row per option counts."""
    rows = db.query(
        "SELECT option, given FROM consent_option WHERE id IN"
        " (SELECT max(id) FROM consent_option WHERE consent_id = ? GROUP BY option)",
        [consent_id],
    )
    return {row["option"]: bool(row["given"]) for row in rows}


def assessments_for(db: Database, submission_id: int) -> list[dict[str, Any]]:
    """The psychological-suitability assessments recorded for a screening, newest first."""
    return list(
        db.query("SELECT * FROM suitability_assessment WHERE submission_id = ? ORDER BY id DESC", [submission_id])
    )


def treatments_given(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    return list(
        db.query(
            f"SELECT * FROM treatment_given WHERE submission_id IN ({marks}) ORDER BY id DESC",  # noqa: S608
            list(submission_ids),
        )
    )


def consent_pdf(db: Database, consent_id: int) -> bytes | None:
    """The signed consent's PDF, as made when the patient signed (None before the signature)."""
    row = next(db.query("SELECT pdf FROM consent WHERE id = ?", [consent_id]), None)
    return row["pdf"] if row and row["pdf"] else None


def record_treatment_given(db: Database, values: dict[str, Any], audit: AuditEvent) -> int:
    """Record a treatment given under a signed consent (same_day_reason set only inside the cooling-off); audited in
    the same transaction."""
    with write_transaction(db):
        treatment_id = db.execute(
            "INSERT INTO treatment_given (submission_id, consent_id, booking_id, treatment, clinician_id,"
            " clinician_name, same_day_reason, given_at) VALUES (:submission_id, :consent_id, :booking_id, :treatment,"
            " :clinician_id, :clinician_name, :same_day_reason, :given_at)",
            {"booking_id": None, "same_day_reason": "", "given_at": iso(clock.utc_now()), **values},
        ).lastrowid
        append_audit(db, _with_object(audit, "treatment_given", treatment_id))
    return treatment_id
