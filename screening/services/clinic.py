"""Clinic administration as services, for the admin pages and the CLI alike: publish and withdraw consultation
slots, add and disable clinicians, require a second factor. Each does its work, its audit row and any patient email
in one write transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from .. import auth, clinic_time, mail, store
from ..errors import NotFound, ServiceError


@dataclass(frozen=True)
class ClinicDetails:
    """Who the clinic is and how to reach it: what pages, emails and calendar files say about it."""

    name: str
    address: str
    phone: str
    email: str
    contact: str  # what patients whose treatment cannot be booked online are told
    review_turnaround: str


def details(db: Database, config: dict[str, Any]) -> ClinicDetails:
    """The clinic's details. Today from the instance settings; one place to ask, whatever stores them later."""
    return ClinicDetails(
        name=config["CLINIC_NAME"],
        address=config["CLINIC_ADDRESS"],
        phone=config["CLINIC_PHONE"],
        email=config["CLINIC_EMAIL"],
        contact=config["CLINIC_CONTACT"],
        review_turnaround=config["REVIEW_TURNAROUND"],
    )


class Invalid(ServiceError):
    """Input a form or command must ask again for; `field` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)
        self.field = field


# --------------------------------------------------------------------------------------------------------------------
# Slots


@dataclass(frozen=True)
class Published:
    added: int
    existed: int


def publish_slots(
    db: Database, actor: store.Actor, *, start: datetime, end: datetime, every: timedelta, practitioner: str
) -> Published:
    """Publish back-to-back slots from start to end (aware datetimes in the clinic's zone); existing ones are kept.

    Raises Invalid("end", ...) when no slot fits, the times are the wrong way round or the span is too long."""
    try:
        made = clinic_time.make_slots(start, end, every)
    except clinic_time.TimeInputError as problem:
        raise Invalid("end", str(problem)) from None
    added = store.add_slots(db, made, practitioner.strip(), actor.event("slots_added"))
    return Published(added, len(made) - added)


def withdraw_slot(db: Database, config: dict[str, Any], actor: store.Actor, slot_id: int) -> dict[str, Any] | None:
    """Withdraw a slot; a booking it held is cancelled by the clinic and the patient emailed, in one transaction.
    Returns the booking that was cancelled, if any."""
    slot = store.get_slot(db, slot_id)
    if slot is None:
        raise NotFound(f"no slot has the id {slot_id}")
    when = clinic_time.readable(slot["starts_at"], clinic_time.zone(config["CLINIC_TIMEZONE"]))
    with store.write_transaction(db):
        held = store.cancel_slot(db, slot_id, actor.event("slot_cancelled"))
        if held:
            patient = store.get_submission(db, held["submission_id"])
            link = mail.patient_link(config, config["SECRET_KEY"], patient["submission_key"])
            store.queue_mail(db, (mail.cancelled(config, patient["email"], link, when, by_clinic=True),))
    mail.nudge(config)
    return held


# --------------------------------------------------------------------------------------------------------------------
# Clinicians


def add_clinician(db: Database, actor: store.Actor, *, email: str, name: str, role: str, password: str) -> int:
    """Add an account. Raises Invalid naming the field: a weak password, or an email that is taken."""
    problem = auth.password_problem(password, email=email, name=name)
    if problem:
        raise Invalid("password", problem)
    try:
        return store.add_clinician(
            db,
            email=email,
            name=name,
            role=role,
            password_hash=auth.hash_password(password),
            audit=actor.event("clinician_created", detail={"role": role}),
        )
    except store.DuplicateClinician:
        raise Invalid("email", "A clinician with that email address exists already") from None


def clinician(db: Database, *, clinician_id: int | None = None, email: str = "") -> dict[str, Any]:
    found = store.clinician_by_id(db, clinician_id) if clinician_id is not None else store.clinician_by_email(db, email)
    if found is None:
        raise NotFound(f"no clinician has the email {email.strip().lower()}" if email else "no such clinician")
    return found


def disable_clinician(db: Database, actor: store.Actor, target: dict[str, Any]) -> int:
    """Disable an account and end its sessions at once; returns how many were ended. Nobody disables themselves."""
    if actor.id is not None and target["id"] == actor.id:
        raise ServiceError("You cannot disable your own account; ask another admin.", back_to="review.clinicians")
    with store.write_transaction(db):
        ended = store.disable_clinician(db, target["id"], actor.event("clinician_disabled"))
        if ended:
            store.append_audit(
                db,
                actor.event(
                    "session_revoked", object_type="clinician", object_id=target["id"], detail={"sessions": ended}
                ),
            )
    return ended


def require_code(db: Database, actor: store.Actor, target: dict[str, Any], required: bool) -> None:
    store.set_totp_required(
        db, target["id"], required, actor.event("totp_requirement_changed", detail={"required": required})
    )
