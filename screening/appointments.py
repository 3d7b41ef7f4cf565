"""A submission's booking status: the gate for each treatment, the appointment it holds, the slots it may choose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlite_utils import Database

from . import clinic_time, mail, store
from .db import get_db
from .domain.booking import Gate, bookable_window, booking_gates


@dataclass(frozen=True)
class Status:
    gates: list[Gate]
    booking: dict[str, Any] | None
    window: tuple[date, date] | None  # the days an appointment may fall on, when something is bookable
    cancelled_by_clinic: dict[str, Any] | None

    @property
    def bookable_treatments(self) -> list[str]:
        return [gate.treatment for gate in self.gates if gate.bookable]


def status_of(db: Database, submission: dict[str, Any], *, today: date, valid_days: int) -> Status:
    decisions = store.decisions_for(db, submission["id"])
    approved = frozenset(t for d in decisions if d["action"] == "approve" for t in d["treatments"])
    deferrals = [d["defer_until"] for d in decisions if d["action"] == "defer" and d["defer_until"]]
    last_toxin = submission["answers"].get("last_toxin_date")
    gates = booking_gates(
        treatments=submission["treatments"],
        review_state=submission["review_state"],
        approved=approved,
        deferred_until=date.fromisoformat(deferrals[-1]) if deferrals else None,
        screened_on=date.fromisoformat(submission["screening_date"]),
        today=today,
        valid_days=valid_days,
        last_toxin_date=date.fromisoformat(last_toxin) if last_toxin else None,
        amended=submission["kind"] == "amendment",
    )
    booking = store.active_booking(db, submission["id"])
    return Status(
        gates=gates,
        booking=booking,
        window=bookable_window(gates, today),
        cancelled_by_clinic=None if booking else store.last_cancelled_by_clinic(db, submission["id"]),
    )


def free_slots(db: Database, window: tuple[date, date], tz: ZoneInfo, *, now_utc: str) -> list[dict[str, Any]]:
    """Free slots on the days of the window (from now on), in the clinic's zone."""
    first, last = window
    start = max(clinic_time.day_start_utc(first, tz), now_utc)
    end = clinic_time.day_start_utc(last + timedelta(days=1), tz)
    return store.slots_between(db, start, end, free_only=True)


def clinic_cancellation(slot_id: int):
    """Messages for the patient whose appointment the clinic withdraws (for store.cancel_slot's mails_for)."""
    config, secret = current_app.config, current_app.secret_key
    slot = store.get_slot(get_db(), slot_id)
    when = clinic_time.readable(slot["starts_at"], clinic_time.zone(config["CLINIC_TIMEZONE"]))

    def mails_for(submission_id: int):
        held = store.get_submission(get_db(), submission_id)
        link = mail.patient_link(config, secret, held["submission_key"])
        return (mail.cancelled(config, held["email"], link, when, by_clinic=True),)

    return mails_for
