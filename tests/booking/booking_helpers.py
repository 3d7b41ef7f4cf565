"""Helpers for booking tests: publish slots, read a patient's page, choose and confirm a slot."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from screening import store
from tests.review.review_helpers import db_connection, rows
from tests.web.web_helpers import csrf_token

RESULT = "/your-result"
_SLOT = re.compile(r'name="slot" type="radio" value="(\d+)"')


def publish(
    db_path: Path, count: int = 4, *, now: datetime, days_ahead: int = 2, practitioner: str = "Dr Ada"
) -> list[int]:
    """Publish `count` half-hour slots from 9:00 UTC `days_ahead` days after `now` (the test's `clock.now()`);
    returns their ids in time order."""
    start = now.astimezone(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
    slots = [
        (
            store.iso(start + timedelta(minutes=30 * n))[:19] + "Z",
            store.iso(start + timedelta(minutes=30 * n + 30))[:19] + "Z",
        )
        for n in range(count)
    ]
    with db_connection(db_path) as db:
        store.add_slots(db, slots, practitioner, store.AuditEvent(action="slots_added", actor_role="system"))
    return [r["id"] for r in rows(db_path, "SELECT id FROM slot ORDER BY starts_at")][-count:]


def offered(patient) -> list[int]:
    """Every time offered, day by day (the page offers days, then the times of the day chosen)."""
    from tests.booking.patient_page_helpers import offered as day_by_day  # it builds on RESULT from here

    return day_by_day(patient)


def book(patient, slot_id: int):
    """Choose a slot, open the confirmation page, confirm; returns the confirming POST's response."""
    confirm = patient.get(f"/your-result/book?slot={slot_id}")
    assert confirm.status_code == 200, confirm.status_code
    return patient.post("/your-result/book", data={"slot": str(slot_id), "csrf_token": csrf_token(confirm)})


def active_bookings(db_path: Path) -> list[dict]:
    return rows(db_path, "SELECT * FROM booking WHERE cancelled_at IS NULL")
