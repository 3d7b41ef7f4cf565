"""Clinic administration as services, for the admin pages and the CLI alike: publish and withdraw consultation
slots, add and disable clinicians, require a second factor. Each does its work, its audit row and any patient email
in one write transaction."""

from __future__ import annotations

import re
import secrets
import shlex
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain.audit_words import action_words
from screening.errors import FieldError, NotFound, ServiceError
from screening.mail import links
from screening.services import credentials
from screening.services.lifecycle.restriction import withhold


@dataclass(frozen=True)
class ClinicDetails:
    """Who the clinic is and how to reach it: what pages, emails and calendar files say about it."""

    name: str
    address: str
    phone: str
    email: str
    contact: str  # what patients whose treatment cannot be booked online are told
    review_turnaround: str
    notification_email: str = ""  # the clinic's alerts: screenings waiting for review, new bookings and cancellations
    notify_bookings: bool = True


# What an admin may set on the clinic settings page (stored in the database), and the instance setting each falls
# back to. instance/config.py keeps what only the server operator should set (keys, database, mail server, zone).
CLINIC_SETTINGS = {
    "name": "CLINIC_NAME",
    "address": "CLINIC_ADDRESS",
    "phone": "CLINIC_PHONE",
    "email": "CLINIC_EMAIL",
    "contact": "CLINIC_CONTACT",
    "notification_email": "CLINIC_EMAIL",
    "notify_bookings": "",
}


def first_admin_command(db: Database, instance_path: str | Path) -> str | None:
    """While no clinician account exists: the command, to paste in a terminal on the server, that creates the first
    admin in this instance folder (`screening clinician add ... --role admin`, beside this Python); else None."""
    if store.any_clinician(db):
        return None
    screening = Path(sys.executable).parent / "screening"
    return (
        f"SCREENING_INSTANCE_PATH={shlex.quote(str(instance_path))} {shlex.quote(str(screening))}"
        " clinician add you@yourclinic.example --name 'Dr Your Name' --role admin"
    )


SINGLE_LINE_DETAILS = ("name", "phone", "email", "notification_email")
DETAIL_NAMES = {
    "name": "clinic's name",
    "phone": "phone number",
    "email": "email address",
    "notification_email": "notification address",
}


def details(db: Database, config: dict[str, Any]) -> ClinicDetails:
    """The clinic's details: the admin's clinic settings (in the database), else the instance settings."""
    saved = store.clinic_settings(db) if db is not None else {}

    def value(key: str) -> str:
        return saved[key] if key in saved else config[CLINIC_SETTINGS[key]]

    return ClinicDetails(
        name=value("name"),
        address=value("address"),
        phone=value("phone"),
        email=value("email"),
        contact=value("contact"),
        review_turnaround=config["REVIEW_TURNAROUND"],
        notification_email=value("notification_email"),
        notify_bookings=saved.get("notify_bookings", "1") == "1",
    )


def effective_config(db: Database | None, config: dict[str, Any], found: ClinicDetails | None = None) -> dict[str, Any]:
    """The settings with the clinic's own details (from its settings page, or `found` when already read) in place of
    the instance's, for code that reads them from the settings (the emails)."""
    found = found or details(db, config)
    return {
        **config,
        "CLINIC_NAME": found.name,
        "CLINIC_ADDRESS": found.address,
        "CLINIC_PHONE": found.phone,
        "CLINIC_EMAIL": found.email,
        "CLINIC_CONTACT": found.contact,
    }


def save_details(db: Database, actor: store.Actor, values: dict[str, Any]) -> None:
    """Store the clinic's details from the settings page; audited (which settings changed, not their text)."""
    clean = {
        key: ("1" if values[key] else "0") if key == "notify_bookings" else str(values[key] or "").strip()
        for key in CLINIC_SETTINGS
    }
    if not clean["name"]:
        raise FieldError("name", "Enter the clinic's name")
    for key in SINGLE_LINE_DETAILS:  # these reach an email's Subject or To header, or one line of the .ics
        if "\r" in clean[key] or "\n" in clean[key]:
            raise FieldError(key, f"The {DETAIL_NAMES[key]} must be on one line, without a line break")
    if not clean["contact"]:
        raise FieldError("contact", "Enter what these patients are told")
    before = store.clinic_settings(db)
    changed = sorted(key for key, value in clean.items() if before.get(key) != value)
    store.save_clinic_settings(db, clean, actor.id, actor.event("clinic_settings_changed", detail={"changed": changed}))


# The clinic's alerts, all sent to the notification address (never to the address patients write to); the settings
# page lists them from here.
ALERTS = (
    "A screening is waiting for review (each screening that needs a clinician's decision)",
    "New booking, and Booking cancelled (when the box below is ticked)",
)


def alert_address(db: Database, config: dict[str, Any]) -> str:
    """Where the clinic's alerts go: its notification address (empty: no alert is sent)."""
    return details(db, config).notification_email


def booking_notice(db: Database, config: dict[str, Any], what: str, when: str, submission_id: int) -> tuple:
    """The clinic's email about a new booking or a cancellation (when the setting is on): the time and a link, no
    patient name and nothing clinical."""
    found = details(db, config)
    if not found.notify_bookings or not found.notification_email:
        return ()
    return (mail.clinic_booking(config, found.notification_email, what, when, submission_id),)


# --------------------------------------------------------------------------------------------------------------------
# Slots


@dataclass(frozen=True)
class Published:
    added: int
    existed: int
    first: str = ""  # UTC start of the first slot of the run
    last_end: str = ""  # UTC end of the last
    practitioner: str = ""

    def span(self, tz) -> str:
        """'Tuesday 1 December 2026, 9:00am to 5:00pm' in the clinic's zone."""
        return f"{clock.readable(self.first, tz)} to {clock.readable(self.last_end, tz).split(', ')[-1]}"

    def describe(self, tz) -> str:
        """What publishing did, in words: 'Published 16 slots with Dr Ada, Tuesday 1 December 2026, 9:00am to 5:00pm
        (2 existed already).'"""
        who = f" with {self.practitioner}" if self.practitioner else ""
        span = f", {self.span(tz)}" if self.first else ""
        existed = f" ({self.existed} existed already)" if self.existed else ""
        return f"Published {self.added} slot{'s' if self.added != 1 else ''}{who}{span}{existed}."


def publish_slots(
    db: Database, actor: store.Actor, *, start: datetime, end: datetime, every: timedelta, practitioner: str
) -> Published:
    """Publish back-to-back slots from start to end (aware datetimes in the clinic's zone); existing ones are kept.

    Raises FieldError("end", ...) when no slot fits, the times are the wrong way round or the span is too long;
    FieldError("start", ...) for a slot in the past or one overlapping another slot of the same practitioner."""
    try:
        made = clock.make_slots(start, end, every)
    except clock.TimeInputError as problem:
        raise FieldError("end", str(problem)) from None
    practitioner = practitioner.strip()
    tz = start.tzinfo
    if made[0][0] <= clock.to_utc_iso(clock.utc_now()):
        raise FieldError(
            "start",
            f"the first slot, {clock.readable(made[0][0], tz)}, is in the past: publish slots that start"
            " later than now; nothing was published",
        )
    clashes = store.overlapping_slots(db, made, practitioner)
    if clashes:
        first = clashes[0]
        who = f"{practitioner}'s" if practitioner else "an unnamed practitioner's"
        raise FieldError(
            "start",
            f"these times overlap {len(clashes)} of {who} published slot(s), the first at "
            f"{clock.readable(first['starts_at'], tz)} to "
            f"{clock.readable(first['ends_at'], tz).split(', ')[-1]}: nothing was published",
        )
    added = store.add_slots(db, made, practitioner, actor.event("slots_added"))
    return Published(added, len(made) - added, made[0][0], made[-1][1], practitioner)


def withdraw_slot(
    db: Database, config: dict[str, Any], actor: store.Actor, slot_id: int, reason: str = ""
) -> dict[str, Any] | None:
    """Withdraw a slot; a booking it held is cancelled by the clinic and the patient emailed (kindly, with the reason
    and a way to rebook), in one transaction. Returns the booking that was cancelled, if any."""
    slot = store.get_slot(db, slot_id)
    if slot is None or slot["cancelled_at"]:
        raise NotFound(f"no slot has the id {slot_id}" if slot is None else f"slot {slot_id} is withdrawn already")
    config = effective_config(db, config)
    when = clock.readable(slot["starts_at"], clock.zone(config["CLINIC_TIMEZONE"]))
    with store.write_transaction(db):
        held = store.cancel_slot(db, slot_id, actor.event("slot_cancelled", detail={"booked": None}))
        if held:
            store.record_withdraw_reason(db, held["id"], reason.strip())
            patient = store.get_submission(db, held["submission_id"])
            link = mail.patient_link(config, config["SECRET_KEY"], patient["submission_key"])
            store.queue_mail(
                db,
                (
                    mail.slot_withdrawn(
                        config, patient["email"], link, when, reason.strip(), submission_id=patient["id"]
                    ),
                    *booking_notice(db, config, "cancelled", when, patient["id"]),
                ),
            )
    mail.nudge(config)
    return held


# --------------------------------------------------------------------------------------------------------------------
# Clinicians


def add_clinician(db: Database, actor: store.Actor, *, email: str, name: str, role: str, password: str) -> int:
    """Add an account. Raises FieldError naming the field: a weak password, or an email that is taken."""
    problem = credentials.password_problem(password, email=email, name=name)
    if problem:
        raise FieldError("password", problem)
    try:
        return store.add_clinician(
            db,
            email=email,
            name=name,
            role=role,
            password_hash=credentials.hash_password(password),
            audit=actor.event("clinician_created", detail={"role": role}),
            must_change_password=True,  # the admin chose it: its owner chooses their own at first sign-in
        )
    except store.DuplicateClinician:
        raise FieldError("email", "A clinician with that email address exists already") from None


INVITATION_LIFETIME = timedelta(days=3)


def invite_clinician(
    db: Database, config: dict[str, Any], actor: store.Actor, *, email: str, name: str, role: str
) -> int:
    """Add an account and email its owner a one-time link (three days) to choose their own password; no password
    is chosen for them, so none is handed over. The outbox holds the link's nonce, only the token's hash is stored.
    Raises FieldError naming the field when the email is taken."""
    nonce = links.new_reset_nonce()
    try:
        clinician_id = store.add_invited_clinician(
            db,
            email=email,
            name=" ".join(name.split()),
            role=role,
            password_hash=credentials.hash_password(secrets.token_urlsafe(32)),  # a password nobody knows
            token=links.reset_token(config["SECRET_KEY"], nonce),
            lifetime=INVITATION_LIFETIME,
            audit=actor.event("clinician_invited", detail={"role": role}),
            mails=(mail.invitation(config, email.strip().lower(), " ".join(name.split()), nonce, "three days"),),
        )
    except store.DuplicateClinician:
        raise FieldError("email", "A clinician with that email address exists already") from None
    mail.nudge(config)
    return clinician_id


def clinician(db: Database, *, clinician_id: int | None = None, email: str = "") -> dict[str, Any]:
    """One clinician by id or email, for an admin, or NotFound."""
    found = store.clinician_by_id(db, clinician_id) if clinician_id is not None else store.clinician_by_email(db, email)
    if found is None:
        raise NotFound(f"no clinician has the email {email.strip().lower()}" if email else "no such clinician")
    return found


def disable_clinician(db: Database, actor: store.Actor, target: dict[str, Any]) -> int:
    """Disable an account and end its sessions at once; returns how many were ended. Nobody disables themselves."""
    if actor.id is not None and target["id"] == actor.id:
        raise ServiceError("You cannot disable your own account; ask another admin.", back_to="admin.clinicians")
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
    """Require (or stop requiring) a second factor at a clinician's next sign-in (audited)."""
    store.set_totp_required(
        db, target["id"], required, actor.event("totp_requirement_changed", detail={"required": required})
    )


# --------------------------------------------------------------------------------------------------------------------
# What the admin's pages read


def clinicians(db: Database) -> list[dict[str, Any]]:
    """Every clinician account, for the admin's list."""
    return store.list_clinicians(db)


def audit_trail(
    db: Database, *, actor_email: str = "", before: str = "", tz=None, **filters: str
) -> list[dict[str, Any]]:
    """A page of the audit trail, newest first, filtered by action, actor (email), object and dates (the clinic's
    days, in `tz`); each row with its action in plain words (`words`) and its moment in the clinic's time (`when`)."""
    who = store.clinician_by_email(db, actor_email) if actor_email else None
    clean = {name: value.strip() for name, value in filters.items()}
    if tz is not None:
        for name in ("since", "until"):  # a day is the clinic's day, not UTC's
            day = _iso_day(clean.get(name, ""))
            clean[name] = clock.day_start_utc(day, tz) if day else clean.get(name, "")
    rows = store.audit_events(
        db,
        actor_id=who["id"] if who else (-1 if actor_email else None),
        before_id=int(before) if re.fullmatch(r"[0-9]{1,18}", before) else None,
        **clean,
    )
    for row in rows:
        row["words"] = action_words(row["action"])
        row["when"] = clock.stamp(row["ts"], tz) if tz is not None else row["ts"]
    return rows


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        return None


def slots_ahead(db: Database, tz, today, days: int = 28) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """The published slots from today for `days` days, and who booked each booked one (by submission id)."""
    start, end = clock.day_start_utc(today, tz), clock.day_start_utc(today + timedelta(days=days), tz)
    rows = store.slots_between(db, start, end)
    people = store.people_for(db, [row["submission_id"] for row in rows if row["submission_id"]])
    return rows, {submission_id: withhold(person) for submission_id, person in people.items()}


def slot_is_booked(db: Database, slot_id: int) -> bool:
    """Whether a published slot holds a patient's appointment."""
    held = store.slot_with_booking(db, slot_id)
    return bool(held and held["booking_id"])


def slot_to_withdraw(db: Database, slot_id: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A published slot and the screening of the patient booked into it (None for either that is not there)."""
    slot = store.slot_with_booking(db, slot_id)
    if slot is None:
        return None, None
    return slot, withhold(store.get_submission(db, slot["submission_id"])) if slot["booking_id"] else None
