"""Consultation slots, bookings and the diary."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.errors import Conflict
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction
from screening.store.outbox import Mail, queue_mail


def add_slots(
    db: Database, slots: list[tuple[str, str]], practitioner: str, audit: AuditEvent, kind: str = "consultation"
) -> int:
    """Publish slots (UTC start and end) of a kind (consultation | treatment); a slot that exists already for that
    practitioner is skipped."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        added = 0
        for starts_at, ends_at in slots:
            added += db.execute(
                "INSERT INTO slot (starts_at, ends_at, practitioner, kind, created_at) SELECT ?, ?, ?, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM slot WHERE starts_at = ? AND practitioner = ?"
                " AND cancelled_at IS NULL)",
                [starts_at, ends_at, practitioner, kind, now, starts_at, practitioner],
            ).rowcount
        append_audit(
            db, AuditEvent(**{**audit.__dict__, "object_type": "slot", "detail": {"added": added, "kind": kind}})
        )
    return added


def existing_slot_starts(db: Database, slots: list[tuple[str, str]], practitioner: str) -> set[str]:
    """The UTC starts among these slots that this practitioner has published already (add_slots skips them)."""
    if not slots:
        return set()
    wanted = {starts_at for starts_at, _ in slots}
    found = db.query(
        "SELECT starts_at FROM slot WHERE practitioner = ? AND cancelled_at IS NULL"
        " AND starts_at >= ? AND starts_at <= ?",
        [practitioner, min(wanted), max(wanted)],
    )
    return {row["starts_at"] for row in found} & wanted


def slots_between(
    db: Database, start: str, end: str, *, free_only: bool = False, kind: str | None = "consultation"
) -> list[dict[str, Any]]:
    """Slots of a kind (None: every kind) starting in [start, end), not cancelled, with the booking (if any) that
    holds each."""
    return list(
        db.query(
            "SELECT slot.*, booking.id AS booking_id, booking.submission_id FROM slot"  # noqa: S608 - fixed text
            " LEFT JOIN booking ON booking.slot_id = slot.id AND booking.cancelled_at IS NULL"
            " WHERE slot.cancelled_at IS NULL AND slot.starts_at >= ? AND slot.starts_at < ?"
            + (" AND slot.kind = ?" if kind else "")
            + (" AND booking.id IS NULL" if free_only else "")
            + " ORDER BY slot.starts_at, slot.practitioner",
            [start, end, *([kind] if kind else [])],
        )
    )


def slots_in_week(db: Database, start: str, end: str) -> list[dict[str, Any]]:
    """Every slot starting in [start, end), withdrawn ones too (cancelled_at set), with the active booking (if any)
    that holds each: what the admin's week grid counts and lists."""
    return list(
        db.query(
            "SELECT slot.*, booking.id AS booking_id, booking.submission_id FROM slot"
            " LEFT JOIN booking ON booking.slot_id = slot.id AND booking.cancelled_at IS NULL"
            " WHERE slot.starts_at >= ? AND slot.starts_at < ? ORDER BY slot.starts_at, slot.practitioner, slot.id",
            [start, end],
        )
    )


def get_slot(db: Database, slot_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM slot WHERE id = ?", [slot_id]), None)


def cancel_slot(db: Database, slot_id: int, audit: AuditEvent) -> dict[str, Any] | None:
    """Withdraw a slot; a booking it held is cancelled by the clinic (returns that booking: id, submission_id, kind,
    treatments)."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute("UPDATE slot SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL", [now, slot_id])
        held = next(
            db.query(
                "SELECT id, submission_id, kind, treatments FROM booking WHERE slot_id = ? AND cancelled_at IS NULL",
                [slot_id],
            ),
            None,
        )
        if held:
            held["treatments"] = json.loads(held["treatments"])
            db.execute("UPDATE booking SET cancelled_at = ?, cancelled_by = 'clinic' WHERE id = ?", [now, held["id"]])
        append_audit(db, _with_object(audit, "slot", slot_id))
    return held


class SlotTaken(Conflict):
    """Someone else booked that slot first (or it was withdrawn)."""

    message = "Sorry, someone booked that time a moment ago. Please choose another."
    back_to = "patient.result"


class AlreadyBooked(Conflict):
    """This screening holds an appointment already; cancel it to choose another."""

    message = "You have an appointment already. Cancel it first to choose another time."
    back_to = "patient.result"


def book_slot(
    db: Database,
    *,
    submission_id: int,
    slot_id: int,
    treatments: list[str],
    audit: AuditEvent,
    mails: tuple[Mail, ...] = (),
    kind: str = "consultation",
) -> int:
    """Book a free slot of this kind; the booking keeps the slot's kind. The partial unique indexes decide races:
    exactly one of two simultaneous attempts wins (one active booking per screening and kind)."""
    try:
        with write_transaction(db):
            slot = next(
                db.query("SELECT id, kind FROM slot WHERE id = ? AND cancelled_at IS NULL", [slot_id]),
                None,
            )
            if slot is None or slot["kind"] != kind:
                raise SlotTaken(slot=slot_id)
            booking_id = db.execute(
                "INSERT INTO booking (slot_id, submission_id, treatments, kind, created_at) VALUES (?, ?, ?, ?, ?)",
                [slot_id, submission_id, json.dumps(treatments), slot["kind"], iso(clock.utc_now())],
            ).lastrowid
            append_audit(db, _with_object(audit, "booking", booking_id))
            queue_mail(db, mails)
    except sqlite3.IntegrityError as error:
        if "booking.submission_id" in str(error):
            raise AlreadyBooked(screening=submission_id) from None
        if "booking.slot_id" in str(error):
            raise SlotTaken(slot=slot_id) from None
        raise
    return booking_id


def active_booking(db: Database, submission_id: int, kind: str = "consultation") -> dict[str, Any] | None:
    """The screening's kept appointment of this kind (the consultation unless asked for the treatment)."""
    row = next(
        db.query(
            "SELECT booking.*, slot.starts_at, slot.ends_at, slot.practitioner FROM booking"
            " JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id = ? AND booking.kind = ?"
            " AND booking.cancelled_at IS NULL",
            [submission_id, kind],
        ),
        None,
    )
    if row:
        row["treatments"] = json.loads(row["treatments"])
    return row


def last_cancelled_by_clinic(db: Database, submission_id: int, kind: str = "consultation") -> dict[str, Any] | None:
    return next(
        db.query(
            "SELECT booking.*, slot.starts_at FROM booking JOIN slot ON slot.id = booking.slot_id"
            " WHERE booking.submission_id = ? AND booking.kind = ? AND booking.cancelled_by = 'clinic'"
            " ORDER BY booking.id DESC LIMIT 1",
            [submission_id, kind],
        ),
        None,
    )


def last_cancellation(db: Database, submission_id: int, kind: str = "consultation") -> dict[str, Any] | None:
    """The screening's most recent cancelled appointment of this kind, whoever cancelled it (`cancelled_by`: clinic
    or patient)."""
    return next(
        db.query(
            "SELECT booking.*, slot.starts_at FROM booking JOIN slot ON slot.id = booking.slot_id"
            " WHERE booking.submission_id = ? AND booking.kind = ? AND booking.cancelled_at IS NOT NULL"
            " ORDER BY booking.id DESC LIMIT 1",
            [submission_id, kind],
        ),
        None,
    )


def cancel_booking(
    db: Database,
    submission_id: int,
    audit: AuditEvent,
    mails: tuple[Mail, ...] = (),
    kind: str = "consultation",
    booking_id: int | None = None,
) -> bool:
    """Cancel the screening's kept appointment of this kind (only booking `booking_id`, when given), as the patient;
    False, and nothing changed, when there is none."""
    with write_transaction(db):
        held = next(
            db.query(
                "SELECT id FROM booking WHERE submission_id = ? AND kind = ? AND cancelled_at IS NULL"
                " AND (? IS NULL OR id = ?)",
                [submission_id, kind, booking_id, booking_id],
            ),
            None,
        )
        if held is None:
            return False
        db.execute(
            "UPDATE booking SET cancelled_at = ?, cancelled_by = 'patient' WHERE id = ?",
            [iso(clock.utc_now()), held["id"]],
        )
        append_audit(db, _with_object(audit, "booking", held["id"]))
        queue_mail(db, mails)
    return True


def bookings_of(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    """Every booking (kept and cancelled) of these screenings, newest first, with its slot."""
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    return list(
        db.query(
            "SELECT booking.*, slot.starts_at, slot.ends_at, slot.practitioner FROM booking"  # noqa: S608 - placeholders only
            f" JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id IN ({marks})"
            " ORDER BY slot.starts_at DESC",
            list(submission_ids),
        )
    )


def diary(db: Database, start: str, end: str, practitioner: str = "") -> list[dict[str, Any]]:
    """Active bookings whose slot starts in [start, end), with the screening they are for and its last record;
    restricted screenings left out (the slot itself stays taken: the admin's slots page says so, without a name)."""
    rows = list(
        db.query(
            "SELECT booking.id AS booking_id, booking.treatments AS booked, booking.kind, slot.starts_at, slot.ends_at,"  # noqa: S608 - fixed text
            " slot.practitioner, submission.id AS submission_id, submission.full_name, submission.outcome,"
            " submission.treatments, submission.review_state,"
            " json_extract(submission.answers, '$.date_of_birth') AS date_of_birth,"
            " json_extract(submission.answers, '$.toxin_areas') AS toxin_areas,"
            " json_extract(submission.answers, '$.filler_areas') AS filler_areas,"
            " (SELECT group_concat(rule_id, ' ') FROM (SELECT rule_id FROM submission_rule"
            "   WHERE submission_id = submission.id AND level = 'caution' ORDER BY position)) AS cautions,"
            " (SELECT attendance FROM consultation WHERE consultation.booking_id = booking.id"
            "   ORDER BY consultation.id DESC LIMIT 1) AS attendance,"
            " (SELECT consulted FROM consultation WHERE consultation.booking_id = booking.id"
            "   ORDER BY consultation.id DESC LIMIT 1) AS consulted"
            " FROM booking JOIN slot ON slot.id = booking.slot_id"
            " JOIN submission ON submission.id = booking.submission_id"
            " WHERE booking.cancelled_at IS NULL AND slot.starts_at >= ? AND slot.starts_at < ?"
            " AND submission.restricted_at IS NULL"
            + (" AND slot.practitioner = ?" if practitioner else "")
            + " ORDER BY slot.starts_at, slot.practitioner",
            [start, end, *([practitioner] if practitioner else [])],
        )
    )
    for row in rows:
        row["booked"] = json.loads(row["booked"])
        row["treatments"] = json.loads(row["treatments"])
        row["cautions"] = (row["cautions"] or "").split()
    return rows


# Slots: overlaps, and withdrawing a booked slot with a reason


def overlapping_slots(db: Database, slots: list[tuple[str, str]], practitioner: str) -> list[dict[str, Any]]:
    """Published slots of this practitioner that overlap any of these (UTC start, end) but do not start with it."""
    found: dict[int, dict[str, Any]] = {}
    for starts_at, ends_at in slots:
        for row in db.query(
            "SELECT * FROM slot WHERE practitioner = ? AND cancelled_at IS NULL AND starts_at < ? AND ends_at > ?"
            " AND NOT (starts_at = ? AND ends_at = ?)",
            [practitioner, ends_at, starts_at, starts_at, ends_at],
        ):
            found[row["id"]] = row
    return sorted(found.values(), key=lambda row: row["starts_at"])


def record_withdraw_reason(db: Database, booking_id: int, reason: str) -> None:
    db.execute("UPDATE booking SET cancel_reason = ? WHERE id = ?", [reason, booking_id])


def slot_with_booking(db: Database, slot_id: int) -> dict[str, Any] | None:
    """A published slot and the active booking that holds it, if any (booking_id, submission_id)."""
    return next(
        db.query(
            "SELECT slot.*, booking.id AS booking_id, booking.submission_id FROM slot"
            " LEFT JOIN booking ON booking.slot_id = slot.id AND booking.cancelled_at IS NULL"
            " WHERE slot.id = ? AND slot.cancelled_at IS NULL",
            [slot_id],
        ),
        None,
    )
