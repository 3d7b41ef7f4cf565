"""The cooling-off between consent and treatment: from when a treatment may be booked and given."""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_COOLING_OFF_HOURS = 48  # the Health and Social Care Committee (2022): 48 hours between consent and procedure
MAX_COOLING_OFF_HOURS = 336  # two weeks: a longer wait is the practitioner's own advice, not a clinic setting


def treatment_opens_at(consultation_at: datetime, signed_at: datetime, hours: int) -> datetime:
    """The first moment a treatment may be booked or given: the later of the consultation's record and the consent's
    signature, plus the cooling-off. Both readings of "between consent and procedure" hold: the wait runs from the
    last of the two stages, so a consent signed long after the consultation still waits its full hours."""
    if hours < 0:
        raise ValueError("a cooling-off cannot be negative")
    return max(consultation_at, signed_at) + timedelta(hours=hours)


def cooling_off_passed(opens_at: datetime, now: datetime) -> bool:
    """Whether `now` (or a slot's start) is at or after the moment the cooling-off ends."""
    return now >= opens_at
