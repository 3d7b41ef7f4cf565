"""The consultation record: at the appointment the practitioner records whether the patient came,
the identity document seen and the date of birth on it, whether the screening answers were confirmed or changed, and
that the in-person consultation took place, with their professional register and number. Audited.

A date of birth on the document that differs from the screening's, or one that makes the patient under 18 today,
stops the record: nothing is stored but a refused-record audit row, and the practitioner is told why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from screening import store
from screening.domain.questionnaire import age_in_years
from screening.domain.rules import readable_date
from screening.errors import FieldError

# The identity documents a consultation may record as seen (the form's choices, and the record's words).
ID_DOCUMENTS = {
    "passport": "Passport",
    "driving_licence": "Photocard driving licence",
    "national_id": "National identity card",
    "residence_permit": "Biometric residence permit",
    "pass_card": "PASS proof-of-age card",
}


@dataclass(frozen=True)
class Recorded:
    consultation_id: int
    answers_changed: bool


def check(
    found: dict[str, Any],
    clinician: dict[str, Any],
    today: date,
    *,
    attendance: str,
    id_document: str,
    id_date_of_birth: date | None,
    answers: str,
    consulted: bool,
) -> None:
    """Raise FieldError for anything that stops the record."""
    if attendance == "did_not_attend":
        return
    if attendance != "attended":
        raise FieldError("attendance", "Say whether the patient came")
    if id_document not in ID_DOCUMENTS:
        raise FieldError("id_document", "Choose the identity document you saw")
    if id_date_of_birth is None:
        raise FieldError("id_date_of_birth", "Enter the date of birth on the identity document")
    screened = found["answers"].get("date_of_birth")
    if screened and id_date_of_birth.isoformat() != screened:
        raise FieldError(
            "id_date_of_birth",
            f"The date of birth on the document ({readable_date(id_date_of_birth)}) does not match the screening "
            f"({readable_date(date.fromisoformat(screened))}). Stop: do not treat until you know who the patient is "
            "and their screening is theirs",
            stop=True,
        )
    if age_in_years(id_date_of_birth, today) < 18:
        raise FieldError(
            "id_date_of_birth",
            "The patient is under 18 by their identity document. Stop: the law does not allow this treatment, or "
            "arranging it, for anyone under 18",
            stop=True,
        )
    if answers not in ("confirmed", "changed"):
        raise FieldError("answers", "Say whether the patient confirmed their answers or changed them")
    if not consulted:
        raise FieldError("consulted", "Confirm that you saw and examined the patient face to face")
    if not clinician.get("register") or not clinician.get("register_number"):
        raise FieldError(
            "consulted",
            "Add your professional register and number to your profile (Your account) before recording a consultation",
        )


def record(
    db: Database,
    actor: store.Actor,
    found: dict[str, Any],
    clinician: dict[str, Any],
    today: date,
    *,
    attendance: str,
    id_document: str,
    id_date_of_birth: date | None,
    answers: str,
    consulted: bool,
    note: str,
) -> Recorded:
    """Check and store the record with its audit row. A refusal is audited (without any personal detail) and
    stores nothing else."""
    try:
        check(
            found,
            clinician,
            today,
            attendance=attendance,
            id_document=id_document,
            id_date_of_birth=id_date_of_birth,
            answers=answers,
            consulted=consulted,
        )
    except FieldError as refused:
        if refused.detail.get("stop"):
            store.append_audit(
                db,
                actor.event(
                    "consultation_stopped",
                    outcome="failure",
                    object_type="submission",
                    object_id=found["id"],
                    detail={"reason": "under_18" if "under 18" in refused.message else "date_of_birth_mismatch"},
                ),
            )
        raise
    booking = store.active_booking(db, found["id"])
    attended = attendance == "attended"
    values = {
        "submission_id": found["id"],
        "booking_id": booking["id"] if booking else None,
        "clinician_id": clinician["id"],
        "clinician_name": clinician["name"],
        "register": clinician.get("register", ""),
        "register_number": clinician.get("register_number", ""),
        "attendance": attendance,
        "id_document": id_document if attended else "",
        "id_date_of_birth": id_date_of_birth.isoformat() if attended and id_date_of_birth else "",
        "answers": answers if attended else "",
        "consulted": int(bool(consulted) and attended),
        "note": note.strip(),
    }
    consultation_id = store.record_consultation(
        db,
        values,
        actor.event(
            "consultation_recorded",
            detail={"attendance": attendance, "answers": values["answers"], "consulted": bool(values["consulted"])},
        ),
    )
    return Recorded(consultation_id, attended and answers == "changed")


def later_version(db: Database, submission_id: int) -> int | None:
    """The screening made from this one after its answers changed at the consultation (the newest), if any."""
    return store.latest_rescreen_of(db, submission_id)
