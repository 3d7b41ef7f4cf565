"""The consultation record: at the appointment the practitioner records whether the patient came,
the identity document seen and the date of birth on it, whether the screening answers were confirmed or changed, and
that the in-person consultation took place, with their professional register and number. Audited.

A date of birth on the document that makes the patient under 18 today, or one that differs from the screening's,
stops a record of confirmed answers: nothing is stored but a refused-record audit row, and the practitioner is told
why (the age first: it is the reason the law gives). With "Changed: screen again" the document's date corrects the
screening: the record is stored, and the new version takes the document's date and is run through the rules again
(an under-18 date gives the age reason there). A record is made on the appointment's day or later; with no
appointment, only when the practitioner says the patient came without one (a walk-in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from screening import clock, store
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
    corrected_date_of_birth: date | None = None  # the document's, when it differs from the screening's


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
    appointment_day: date | None = None,
    walk_in: bool = False,
) -> None:
    """Raise FieldError for anything that stops the record."""
    if attendance not in ("attended", "did_not_attend"):
        raise FieldError("attendance", "Say whether the patient came")
    if attendance == "did_not_attend":
        check_day(today, appointment_day, attendance=attendance, walk_in=walk_in)
        return
    if id_document not in ID_DOCUMENTS:
        raise FieldError("id_document", "Choose the identity document you saw")
    if id_date_of_birth is None:
        raise FieldError("id_date_of_birth", "Enter the date of birth on the identity document")
    screened = found["answers"].get("date_of_birth")
    mismatch = bool(screened) and id_date_of_birth.isoformat() != screened
    if answers == "changed":
        # The practitioner corrects the screening from the document in hand: the new version takes the document's
        # date of birth and is run through the rules again, where an under-18 date gives the age reason.
        check_day(today, appointment_day, attendance=attendance, walk_in=walk_in)
        check_consulted(clinician, consulted)
        return
    if age_in_years(id_date_of_birth, today) < 18:
        also = " It does not match the screening's date of birth either." if mismatch else ""
        raise FieldError(
            "id_date_of_birth",
            "The patient is under 18 by their identity document. Stop: the law does not allow this treatment, or "
            f"arranging it, for anyone under 18.{also}",
            stop=True,
            reason="under_18",
        )
    if mismatch:
        raise FieldError(
            "id_date_of_birth",
            f"The date of birth on the document ({readable_date(id_date_of_birth)}) does not match the screening "
            f"({readable_date(date.fromisoformat(screened))}). Stop: do not treat until you know who the patient is "
            'and their screening is theirs. If it is theirs and the date was mistyped, choose "Changed: screen the '
            "new answers again\": the new version takes the document's date and is screened again",
            stop=True,
            reason="date_of_birth_mismatch",
        )
    check_day(today, appointment_day, attendance=attendance, walk_in=walk_in)  # after identity: under 18 comes first
    if answers not in ("confirmed", "changed"):
        raise FieldError("answers", "Say whether the patient confirmed their answers or changed them")
    check_consulted(clinician, consulted)


def check_consulted(clinician: dict[str, Any], consulted: bool) -> None:
    """The practitioner saw the patient face to face, and their register and number are on their profile."""
    if not consulted:
        raise FieldError("consulted", "Confirm that you saw and examined the patient face to face")
    if not clinician.get("register") or not clinician.get("register_number"):
        raise FieldError(
            "consulted",
            "Add your professional register and number to your profile (Your account) before recording a consultation",
        )


def check_day(today: date, appointment_day: date | None, *, attendance: str, walk_in: bool) -> None:
    """A consultation is recorded on its appointment's day or after it, or as an explicit walk-in."""
    if walk_in:
        if attendance != "attended":
            raise FieldError("walk_in", "A walk-in is a patient who came: choose Attended, or untick walk-in")
        return
    if appointment_day is None:
        raise FieldError(
            "walk_in",
            "There is no appointment booked for this screening. If the patient came without one, tick walk-in",
        )
    if today < appointment_day:
        raise FieldError(
            "attendance",
            f"The appointment is on {readable_date(appointment_day)}: record the consultation on that day. If you "
            "are seeing the patient now, without their appointment, tick walk-in",
        )


def appointment_day(booking: dict[str, Any] | None, zone: ZoneInfo) -> date | None:
    """The clinic's date of the appointment held, or None without one."""
    return clock.local(booking["starts_at"], zone).date() if booking else None


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
    zone: ZoneInfo,
    walk_in: bool = False,
) -> Recorded:
    """Check and store the record with its audit row. A refusal is audited (without any personal detail) and
    stores nothing else."""
    booking = None if walk_in else store.active_booking(db, found["id"])
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
            appointment_day=appointment_day(booking, zone),
            walk_in=walk_in,
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
                    detail={"reason": refused.detail["reason"]},
                ),
            )
        raise
    attended = attendance == "attended"
    screened = found["answers"].get("date_of_birth")
    corrected = (
        id_date_of_birth
        if attended and answers == "changed" and id_date_of_birth and id_date_of_birth.isoformat() != screened
        else None
    )
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
            detail={
                "attendance": attendance,
                "answers": values["answers"],
                "consulted": bool(values["consulted"]),
                "walk_in": walk_in,
                "date_of_birth_corrected": corrected is not None,
            },
        ),
    )
    return Recorded(consultation_id, attended and answers == "changed", corrected)


def later_version(db: Database, submission_id: int) -> int | None:
    """The screening made from this one after its answers changed at the consultation (the newest), if any."""
    return store.latest_rescreen_of(db, submission_id)
