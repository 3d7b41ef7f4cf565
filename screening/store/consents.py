"""Consent to treatment, the optional consents' history, the psychological-suitability assessment and the
treatment given."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.errors import Conflict
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction
from screening.store.outbox import Mail, queue_mail
from screening.store.products import insert_treatment_areas

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


def instrument_scores_for(db: Database, submission_id: int) -> list[dict[str, Any]]:
    """The licensed instruments' scores recorded for a screening, newest first."""
    return list(db.query("SELECT * FROM instrument_score WHERE submission_id = ? ORDER BY id DESC", [submission_id]))


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


# --------------------------------------------------------------------------------------------------------------------
# Writes: each one change with its audit event, in one transaction.


def record_instrument_score(db: Database, values: dict[str, Any], audit: AuditEvent) -> int:
    """Store a licensed instrument's score (never its answers); the audit event names the screening."""
    with write_transaction(db):
        score_id = db.execute(
            "INSERT INTO instrument_score"
            " (submission_id, instrument, version, instrument_sha256, score, cut_off, positive, clinician_id,"
            " clinician_name, created_at)"
            " VALUES (:submission_id, :instrument, :version, :instrument_sha256, :score, :cut_off, :positive,"
            " :clinician_id, :clinician_name, :created_at)",
            {**values, "created_at": iso(clock.utc_now())},
        ).lastrowid
        append_audit(db, _with_object(audit, "submission", values["submission_id"]))
    return score_id


def record_assessment(db: Database, values: dict[str, Any], audit: AuditEvent) -> int:
    """Store a psychological-suitability assessment (with the instrument score it followed, if any); the audit event
    names the screening."""
    with write_transaction(db):
        assessment_id = db.execute(
            "INSERT INTO suitability_assessment"
            " (submission_id, clinician_id, clinician_name, outcome, note, instrument, score, positive, created_at)"
            " VALUES (:submission_id, :clinician_id, :clinician_name, :outcome, :note, :instrument, :score,"
            " :positive, :created_at)",
            {"instrument": "", "score": None, "positive": None, **values, "created_at": iso(clock.utc_now())},
        ).lastrowid
        append_audit(db, _with_object(audit, "submission", values["submission_id"]))
    return assessment_id


def take_consent(db: Database, values: dict[str, Any], options: dict[str, bool], audit: AuditEvent) -> int:
    """Store a consent as taken by the practitioner (unsigned), with the optional consents' first answers."""
    now = iso(clock.utc_now())
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with write_transaction(db):
        consent_id = db.execute(
            f"INSERT INTO consent ({columns}, taken_at) VALUES ({marks}, :taken_at)",  # noqa: S608 - our columns
            {**values, "taken_at": now},
        ).lastrowid
        for option, given in options.items():
            _insert_option(db, consent_id, option, given, "clinician", now)
        append_audit(db, _with_object(audit, "consent", consent_id))
    return consent_id


def sign_consent(
    db: Database,
    consent_id: int,
    *,
    signed_name: str,
    signed_where: str,
    signed_at: str,
    pdf: bytes,
    pdf_sha256: str,
    audit: AuditEvent,
    mails: tuple[Mail, ...] = (),
) -> int:
    """Record the patient's signature on a consent not yet signed nor withdrawn, with the signed record's PDF and its
    hash, the audit event that carries the hash and the email that attaches it, in one transaction. Conflict when it
    was signed or withdrawn meanwhile."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE consent SET signed_name = ?, signed_at = ?, signed_where = ?, pdf = ?, pdf_sha256 = ?"
            " WHERE id = ? AND signed_at IS NULL AND withdrawn_at IS NULL",
            [signed_name, signed_at, signed_where, pdf, pdf_sha256, consent_id],
        ).rowcount
        if changed != 1:
            raise Conflict("This consent was signed or withdrawn meanwhile: nothing was changed.")
        append_audit(db, _with_object(audit, "consent", consent_id))
        queue_mail(db, mails)
    return consent_id


def change_consent_option(db: Database, consent_id: int, option: str, given: bool, by: str, audit: AuditEvent) -> int:
    """Add the newest answer to one optional consent (the history is kept: the newest row counts)."""
    with write_transaction(db):
        option_id = _insert_option(db, consent_id, option, given, by, iso(clock.utc_now()))
        append_audit(db, _with_object(audit, "consent", consent_id))
    return option_id


def withdraw_consent(db: Database, consent_id: int, audit: AuditEvent) -> None:
    """Withdraw consent to the treatment. Conflict when it was withdrawn already."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE consent SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
            [iso(clock.utc_now()), consent_id],
        ).rowcount
        if changed != 1:
            raise Conflict("This consent was withdrawn already.")
        append_audit(db, _with_object(audit, "consent", consent_id))


def get_consent(db: Database, consent_id: int) -> dict[str, Any] | None:
    """One consent without its PDF's bytes, or None."""
    return next(db.query(f"SELECT {_CONSENT_COLUMNS} FROM consent WHERE id = ?", [consent_id]), None)  # noqa: S608


def _insert_option(db: Database, consent_id: int, option: str, given: bool, by: str, now: str) -> int:
    return db.execute(
        "INSERT INTO consent_option (consent_id, option, given, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)",
        [consent_id, option, int(given), by, now],
    ).lastrowid


def record_treatment_given(
    db: Database,
    values: dict[str, Any],
    audit: AuditEvent,
    areas: list[dict[str, Any]] | None = None,
    mails: tuple[Mail, ...] = (),
) -> int:
    """Record a treatment given under a signed consent (same_day_reason set only inside the cooling-off), with the
    product, batch and amount per area where given; audited in the same transaction, with the emails it causes (the
    aftercare, the check-in due later)."""
    defaults = {"booking_id": None, "same_day_reason": "", "product_id": None, "batch_id": None, "interval_warning": ""}
    with write_transaction(db):
        treatment_id = db.execute(
            "INSERT INTO treatment_given (submission_id, consent_id, booking_id, treatment, clinician_id,"
            " clinician_name, same_day_reason, given_at, product_id, batch_id, interval_warning) VALUES"
            " (:submission_id, :consent_id, :booking_id, :treatment, :clinician_id, :clinician_name, :same_day_reason,"
            " :given_at, :product_id, :batch_id, :interval_warning)",
            {**defaults, "given_at": iso(clock.utc_now()), **values},
        ).lastrowid
        insert_treatment_areas(db, treatment_id, areas or [])
        append_audit(db, _with_object(audit, "treatment_given", treatment_id))
        queue_mail(db, mails)
    return treatment_id
