"""Clinic administration as services, for the admin pages and the CLI alike: publish and withdraw consultation
slots, add and disable clinicians, require a second factor. Each does its work, its audit row and any patient email
in one write transaction."""

from __future__ import annotations

import re
import secrets
import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain.audit_words import action_words
from screening.domain.cooling_off import DEFAULT_COOLING_OFF_HOURS, MAX_COOLING_OFF_HOURS
from screening.errors import FieldError, NotFound, ServiceError
from screening.mail import links
from screening.services import credentials
from screening.services.lifecycle.restriction import withhold

DEFAULT_FILLER_RECALL_MONTHS = 9  # a dermal filler's refresh reminder, months after the treatment given
MAX_FILLER_RECALL_MONTHS = 36


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
    cooling_off_hours: int = DEFAULT_COOLING_OFF_HOURS  # between consent and treatment, from the later stage
    same_day_treatment: bool = False  # a treatment inside the cooling-off, by the treating practitioner, with a reason
    filler_recall_months: int = DEFAULT_FILLER_RECALL_MONTHS  # a filler refresh is due this long after the treatment


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
    "cooling_off_hours": "",
    "same_day_treatment": "",
    "filler_recall_months": "",
}
_FLAGS = ("notify_bookings", "same_day_treatment")  # ticked boxes, kept as "1" or "0"


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
        cooling_off_hours=int(saved.get("cooling_off_hours") or DEFAULT_COOLING_OFF_HOURS),
        same_day_treatment=saved.get("same_day_treatment", "0") == "1",
        filler_recall_months=int(saved.get("filler_recall_months") or DEFAULT_FILLER_RECALL_MONTHS),
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
        key: ("1" if values.get(key) else "0") if key in _FLAGS else str(values.get(key) or "").strip()
        for key in CLINIC_SETTINGS
    }
    hours = clean["cooling_off_hours"] or str(DEFAULT_COOLING_OFF_HOURS)
    if not (hours.isascii() and hours.isdigit()) or int(hours) > MAX_COOLING_OFF_HOURS:
        raise FieldError(
            "cooling_off_hours",
            f"Enter the cooling-off as a whole number of hours from 0 to {MAX_COOLING_OFF_HOURS}, like 48",
        )
    clean["cooling_off_hours"] = str(int(hours))
    months = clean["filler_recall_months"] or str(DEFAULT_FILLER_RECALL_MONTHS)
    if not (months.isascii() and months.isdigit()) or not 1 <= int(months) <= MAX_FILLER_RECALL_MONTHS:
        raise FieldError(
            "filler_recall_months",
            f"Enter the filler reminder as a whole number of months from 1 to {MAX_FILLER_RECALL_MONTHS}, like 9",
        )
    clean["filler_recall_months"] = str(int(months))
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


def booking_notice(
    db: Database, config: dict[str, Any], what: str, when: str, submission_id: int, kind: str = "consultation"
) -> tuple:
    """The clinic's email about a new booking or a cancellation of a consultation or a treatment (`kind`), when the
    setting is on: the time and a link, no patient name and nothing clinical."""
    found = details(db, config)
    if not found.notify_bookings or not found.notification_email:
        return ()
    return (mail.clinic_booking(config, found.notification_email, what, when, submission_id, kind),)


# --------------------------------------------------------------------------------------------------------------------
# Slots


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years slots may be published in (a far one overflows a date)


def clock_time(moment: time) -> str:
    """'9:00am', '1:30pm': a time of day as the pages say it."""
    return f"{moment.hour % 12 or 12}:{moment:%M}{'am' if moment.hour < 12 else 'pm'}"


@dataclass(frozen=True)
class PublishedDay:
    day: date
    first: str  # UTC start of the day's first slot
    last_end: str  # UTC end of its last
    made: int  # slots of the template on this day
    added: int  # of which were new (the others existed already and were skipped)


@dataclass(frozen=True)
class Published:
    added: int
    existed: int
    practitioner: str = ""
    days: tuple[PublishedDay, ...] = ()
    opens: time | None = None
    closes: time | None = None  # the end of the day's last slot
    breaks: tuple[time, time] | None = None

    def hours(self) -> str:
        """'9:00am to 5:00pm' (with ', break 1:00pm to 2:00pm'), the same on every day."""
        if self.opens is None or self.closes is None:
            return ""
        pause = f", break {clock_time(self.breaks[0])} to {clock_time(self.breaks[1])}" if self.breaks else ""
        return f"{clock_time(self.opens)} to {clock_time(self.closes)}{pause}"

    def day_names(self) -> str:
        """'Monday 14, Tuesday 15 and Friday 18 December 2026' (each month and year said once, at its end)."""
        names = []
        for index, found in enumerate(self.days):
            later = self.days[index + 1].day if index + 1 < len(self.days) else None
            name = f"{found.day:%A} {found.day.day}"
            if later is None or (later.month, later.year) != (found.day.month, found.day.year):
                name += f" {found.day:%B}"
            if later is None or later.year != found.day.year:
                name += f" {found.day.year}"
            names.append(name)
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    def describe(self) -> str:
        """What publishing did, in words: 'Published 16 slots with Dr Ada on Monday 14 December 2026, 9:00am to
        5:00pm (2 existed already and were skipped).'"""
        who = f" with {self.practitioner}" if self.practitioner else ""
        each = " each day" if len(self.days) > 1 else ""
        existed = (
            f" {self.existed} existed already and {'was' if self.existed == 1 else 'were'} skipped."
            if self.existed
            else ""
        )
        return (
            f"Published {self.added} slot{'s' if self.added != 1 else ''}{who} on {self.day_names()},"
            f" {self.hours()}{each}.{existed}"
        )

    def day_lines(self) -> list[str]:
        """One line a day: 'Monday 14 December 2026: 9:00am to 5:00pm, 16 slot(s)'."""
        return [
            f"{found.day:%A} {found.day.day} {found.day:%B %Y}: {self.hours()}, {found.added} slot(s)"
            + (f" ({found.made - found.added} existed already)" if found.made != found.added else "")
            for found in self.days
        ]


def _day_slots(day: date, tz, opens: time, closes: time, breaks, every: timedelta) -> list[tuple[str, str]]:
    """Back-to-back slots on one day in the clinic's zone, within the hours and outside the break (UTC ISO)."""
    periods = [(opens, breaks[0]), (breaks[1], closes)] if breaks else [(opens, closes)]
    made = []
    for begin, finish in periods:
        cursor, stop = datetime.combine(day, begin, tz), datetime.combine(day, finish, tz)
        while cursor + every <= stop:  # wall-clock steps: 9:00am is 9:00am on either side of a change of the clocks
            made.append((clock.to_utc_iso(cursor), clock.to_utc_iso(cursor + every)))
            cursor += every
    return made


# What a published slot is for: the face-to-face consultation, or a treatment after consent and the cooling-off.
SLOT_KINDS = {"consultation": "Consultation", "treatment": "Treatment"}


def publish_schedule(
    db: Database,
    actor: store.Actor,
    tz,
    *,
    first_day: date,
    last_day: date,
    opens: time,
    closes: time,
    every: timedelta,
    practitioner: str,
    weekdays: Iterable[int] = range(7),
    break_from: time | None = None,
    break_until: time | None = None,
    kind: str = "consultation",
) -> Published:
    """Publish back-to-back slots on each chosen weekday (0 is Monday) from first_day to last_day, within the daily
    hours opens-closes (the clinic's zone) and outside the break; slots that exist already are skipped and counted.

    Raises FieldError naming what is wrong: "closes" (hours the wrong way round, no slot fits, too long a span),
    "days" (no day chosen), "break_from"/"break_until" (half a break, or one outside the hours), "week" (a slot in the
    past, or one overlapping another slot of the same practitioner). Nothing is published then."""
    practitioner, weekdays = practitioner.strip(), set(weekdays)
    if kind not in SLOT_KINDS:
        raise FieldError("kind", "choose a consultation or a treatment slot; nothing was published")
    if first_day.year < FIRST_YEAR or last_day.year > LAST_YEAR:
        raise FieldError("week", f"publish slots from {FIRST_YEAR} to {LAST_YEAR}; nothing was published")
    if (break_from is None) != (break_until is None):
        raise FieldError(
            "break_until" if break_until is None else "break_from",
            "give both the start and the end of the break, or neither",
        )
    breaks = (break_from, break_until) if break_from is not None and break_until is not None else None
    if closes <= opens:
        raise FieldError(
            "closes", f"the end must be after the start ({clock_time(opens)} to {clock_time(closes)} each day)"
        )
    if last_day < first_day:
        raise FieldError("closes", "the end must be after the start: the last day is before the first")
    if (last_day - first_day).days > 31:
        raise FieldError("closes", "publish at most 31 days of slots at once")
    if breaks is not None:
        if breaks[1] <= breaks[0]:
            raise FieldError("break_until", "the break must end after it starts")
        if breaks[0] <= opens or breaks[1] >= closes:
            raise FieldError(
                "break_from",
                f"the break ({clock_time(breaks[0])} to {clock_time(breaks[1])}) must be within the opening hours"
                f" ({clock_time(opens)} to {clock_time(closes)})",
            )
    chosen = [
        first_day + timedelta(days=n)
        for n in range((last_day - first_day).days + 1)
        if (first_day + timedelta(days=n)).weekday() in weekdays
    ]
    if not chosen:
        raise FieldError("days", "tick at least one day of the week")
    per_day = [(day, _day_slots(day, tz, opens, closes, breaks, every)) for day in chosen]
    made = [slot for _, slots in per_day for slot in slots]
    if not made:
        raise FieldError("closes", "no slot of that length fits between the start and the end")
    if made[0][0] <= clock.to_utc_iso(clock.utc_now()):
        raise FieldError(
            "week",
            f"the first slot, {clock.readable(made[0][0], tz)}, is in the past: publish slots that start"
            " later than now; nothing was published",
        )
    clashes = store.overlapping_slots(db, made, practitioner)
    if clashes:
        first = clashes[0]
        who = f"{practitioner}'s" if practitioner else "an unnamed practitioner's"
        raise FieldError(
            "week",
            f"these times overlap {len(clashes)} of {who} published slot(s), the first at "
            f"{clock.readable(first['starts_at'], tz)} to "
            f"{clock.readable(first['ends_at'], tz).split(', ')[-1]}: nothing was published",
        )
    existing = store.existing_slot_starts(db, made, practitioner)
    added = store.add_slots(db, made, practitioner, actor.event("slots_added"), kind=kind)
    days = tuple(
        PublishedDay(day, slots[0][0], slots[-1][1], len(slots), sum(1 for s in slots if s[0] not in existing))
        for day, slots in per_day
        if slots
    )
    last_end = clock.local(days[0].last_end, tz).time()
    return Published(added, len(made) - added, practitioner, days, opens, last_end, breaks)


LARGEST_ID = 2**63 - 1  # SQLite's largest integer: a bigger id names no slot (and cannot be asked for)


def _withdraw(db: Database, config: dict[str, Any], actor: store.Actor, slot: dict[str, Any], reason: str):
    """Inside the caller's transaction: withdraw one slot, and cancel the booking it held with the patient's email
    (kindly, with the reason and a way to rebook) and the clinic's notice. Returns the booking cancelled, if any."""
    when = clock.readable(slot["starts_at"], clock.zone(config["CLINIC_TIMEZONE"]))
    held = store.cancel_slot(db, slot["id"], actor.event("slot_cancelled", detail={"booked": None}))
    if held:
        store.record_withdraw_reason(db, held["id"], reason.strip())
        patient = store.get_submission(db, held["submission_id"])
        link = mail.patient_link(config, config["SECRET_KEY"], patient["submission_key"])
        kind = held.get("kind") or "consultation"
        store.queue_mail(
            db,
            (
                mail.slot_withdrawn(
                    config,
                    patient["email"],
                    link,
                    clock.readable_in(
                        slot["starts_at"], clock.zone(config["CLINIC_TIMEZONE"]), mail.language_of(patient)
                    ),
                    reason.strip(),
                    submission_id=patient["id"],
                    kind=kind,
                    treatments=held.get("treatments") or (),
                    language=mail.language_of(patient),
                ),
                *booking_notice(db, config, "cancelled", when, patient["id"], kind),
            ),
        )
    return held


def slots_ahead(db: Database, tz, days: int) -> list[dict[str, Any]]:
    """The slots from the start of the clinic's today for `days` days, each with the booking that holds it, if any."""
    today = clock.today_in(tz)
    return store.slots_between(
        db, clock.day_start_utc(today, tz), clock.day_start_utc(today + timedelta(days=days), tz), kind=None
    )


def withdraw_slot(
    db: Database, config: dict[str, Any], actor: store.Actor, slot_id: int, reason: str = ""
) -> dict[str, Any] | None:
    """Withdraw a slot; a booking it held is cancelled by the clinic and the patient emailed (kindly, with the reason
    and a way to rebook), in one transaction. Returns the booking that was cancelled, if any."""
    slot = store.get_slot(db, slot_id)
    if slot is None or slot["cancelled_at"]:
        raise NotFound(f"no slot has the id {slot_id}" if slot is None else f"slot {slot_id} is withdrawn already")
    config = effective_config(db, config)
    with store.write_transaction(db):
        held = _withdraw(db, config, actor, slot, reason)
    mail.nudge(config)
    return held


@dataclass(frozen=True)
class Withdrawn:
    withdrawn: int
    cancelled_bookings: int
    not_found: int  # chosen, but not published any more (withdrawn already, or never there)

    def describe(self) -> str:
        """'Withdrew 3 slots; 2 patients' appointments were cancelled and they have been emailed ...'"""
        text = f"Withdrew {self.withdrawn} slot{'s' if self.withdrawn != 1 else ''}."
        if self.cancelled_bookings:
            who = (
                "1 patient's appointment was"
                if self.cancelled_bookings == 1
                else (f"{self.cancelled_bookings} patients' appointments were")
            )
            text += f" {who} cancelled; each patient has been emailed, kindly, with your reason and a way to choose"
            text += " another time."
        if self.not_found:
            text += f" {self.not_found} of the chosen slots had been withdrawn already."
        return text


def withdraw_slots(
    db: Database, config: dict[str, Any], actor: store.Actor, slot_ids: Iterable[int], reason: str = ""
) -> Withdrawn:
    """Withdraw many slots in one transaction, one audit event a slot; every booking they held is cancelled and its
    patient emailed as withdraw_slot does. Booked slots need the reason the patients will read.

    Raises FieldError("slots", ...) when none is chosen or none is still published, FieldError("reason", ...) when
    a chosen slot is booked and no reason is given; nothing is withdrawn then."""
    ids = sorted(set(slot_ids))
    if not ids:
        raise FieldError("slots", "choose at least one slot to withdraw")
    live = [
        slot
        for slot in (store.slot_with_booking(db, slot_id) for slot_id in ids if 0 < slot_id <= LARGEST_ID)
        if slot is not None
    ]
    if not live:
        raise FieldError("slots", "none of the chosen slots is published any more; nothing was withdrawn")
    booked = sum(1 for slot in live if slot["booking_id"])
    if booked and not reason.strip():
        raise FieldError(
            "reason",
            f"{booked} of the chosen slots {'is' if booked == 1 else 'are'} booked: enter a reason, which"
            f" {'the patient reads' if booked == 1 else 'each patient reads'} in their email; nothing was withdrawn",
        )
    config = effective_config(db, config)
    with store.write_transaction(db):
        cancelled = sum(1 for slot in live if _withdraw(db, config, actor, slot, reason))
    mail.nudge(config)
    return Withdrawn(len(live), cancelled, len(ids) - len(live))


def withdraw_day(
    db: Database, config: dict[str, Any], actor: store.Actor, tz, day: date, reason: str = ""
) -> Withdrawn:
    """Withdraw every published slot of one day in the clinic's zone, as withdraw_slots does."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FieldError("day", f"choose a day from {FIRST_YEAR} to {LAST_YEAR}; nothing was withdrawn")
    start, end = clock.day_start_utc(day, tz), clock.day_start_utc(day + timedelta(days=1), tz)
    found = [row["id"] for row in store.slots_between(db, start, end, kind=None)]
    if not found:
        raise FieldError("slots", f"no slot is published on {day:%A} {day.day} {day:%B %Y}; nothing was withdrawn")
    return withdraw_slots(db, config, actor, found, reason)


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


def reset_code(db: Database, actor: store.Actor, target: dict[str, Any]) -> int:
    """A clinician's lost or replaced authenticator: forget the old code and end their sessions; the next sign-in
    sets up a new one (audited as totp_reset). Returns how many sessions were ended."""
    return store.reset_totp(db, target["id"], actor.event("totp_reset"))


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


@dataclass(frozen=True)
class GridDay:
    """One day of the admin's week grid: its published slots (each with its time, state and who booked it) and how
    many are free, booked and withdrawn."""

    day: date
    slots: list[dict[str, Any]]
    withdrawn: int

    @property
    def free(self) -> int:
        return sum(1 for slot in self.slots if not slot["booking_id"])

    @property
    def booked(self) -> int:
        return sum(1 for slot in self.slots if slot["booking_id"])


def week_grid(db: Database, tz, first: date, days: int = 7) -> list[GridDay]:
    """The slots of the week from `first`, day by day in the clinic's zone: every day, with its published slots
    (and who booked each, restricted screenings without a name) and the count of those withdrawn."""
    start, end = clock.day_start_utc(first, tz), clock.day_start_utc(first + timedelta(days=days), tz)
    rows = store.slots_in_week(db, start, end)
    people = store.people_for(db, [row["submission_id"] for row in rows if row["submission_id"]])
    grid = {first + timedelta(days=n): GridDay(first + timedelta(days=n), [], 0) for n in range(days)}
    withdrawn: dict[date, int] = {}
    for row in rows:
        moment = clock.local(row["starts_at"], tz)
        if row["cancelled_at"]:
            withdrawn[moment.date()] = withdrawn.get(moment.date(), 0) + 1
            continue
        row["time"] = clock_time(moment.time())
        row["patient"] = withhold(people[row["submission_id"]]) if row["submission_id"] in people else None
        grid[moment.date()].slots.append(row)
    return [GridDay(day.day, day.slots, withdrawn.get(day.day, 0)) for day in grid.values()]


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
