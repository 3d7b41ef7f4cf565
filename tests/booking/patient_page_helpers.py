"""Booking by day, as a patient does it: the days offered, the times on a day, choose and confirm."""

from __future__ import annotations

import re

from tests.booking.booking_helpers import RESULT
from tests.web.web_helpers import csrf_token

_DAY = re.compile(r'name="day" type="radio" value="([0-9-]+)"')
_SLOT = re.compile(r'name="slot" type="radio" value="(\d+)"')


def offered_days(patient) -> list[str]:
    return _DAY.findall(patient.get(RESULT).get_data(as_text=True))


def offered_times(patient, day: str) -> list[int]:
    page = patient.get(f"/your-result/times?day={day}")
    assert page.status_code == 200, page.status_code
    return [int(found) for found in _SLOT.findall(page.get_data(as_text=True))]


def offered(patient) -> list[int]:
    """Every time offered, day by day (what the flat list used to show)."""
    return [slot for day in offered_days(patient) for slot in offered_times(patient, day)]


def book_by_day(patient, day: str, index: int = 0):
    """Choose a day, a time on it, open the confirmation and confirm; returns the confirming POST's response."""
    slot = offered_times(patient, day)[index]
    confirm = patient.get(f"/your-result/book?day={day}&slot={slot}")
    assert confirm.status_code == 200, confirm.status_code
    return patient.post("/your-result/book", data={"slot": str(slot), "csrf_token": csrf_token(confirm)})
