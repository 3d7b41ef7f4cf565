"""Treatments the clinic gave, written as the practitioner's page leaves them: a consultation, a signed consent and
the treatment given at the clock's moment (for the interval rule from the record and for recalls)."""

from __future__ import annotations

from screening import clock, store
from tests.factories import consult, db_connection, signed_consent_row


def give(db_path, submission_id: int, treatment: str = "toxin") -> int:
    """The clinic records `treatment` given on this screening now (the clock's moment), by Pat; returns its id."""
    with db_connection(db_path) as db:
        consultation_id = consult(db, submission_id)
        consent_id = signed_consent_row(db, submission_id, consultation_id, None, treatment, store.iso(clock.utc_now()))
        pat = next(db.query("SELECT id FROM clinician WHERE email = 'pat@clinic.example'"))["id"]
        return store.record_treatment_given(
            db,
            {
                "submission_id": submission_id,
                "consent_id": consent_id,
                "treatment": treatment,
                "clinician_id": pat,
                "clinician_name": "Pat",
            },
            store.AuditEvent(action="treatment_recorded", actor_role="clinician", actor_id=pat),
        )
