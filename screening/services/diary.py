"""The diary: today's and the coming week's appointments for every clinician, in the clinic's
time zone, each with who, what, the screening's outcome and decision, the cautions to discuss and whether the
consultation has been recorded. Plain values in and out; no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from screening import clock, store
from screening.domain import Questionnaire
from screening.domain.rule_titles import rule_title
from screening.services.people import STATE_WORDS, age_on, areas

DAYS = 8  # today and the coming week


@dataclass(frozen=True)
class Day:
    day: date
    label: str
    appointments: list[dict[str, Any]]


def consultation_state(row: dict[str, Any]) -> str:
    """What the diary says of an appointment's consultation: consulted, did not attend, or not yet."""
    if row["attendance"] == "did_not_attend":
        return "did not attend"
    if row["consulted"]:
        return "consulted"
    if "toxin" in row["booked"]:
        return "not yet consulted"  # toxin is prescription-only: a face-to-face consultation comes first
    return "not yet recorded"


def week(db: Database, questionnaire: Questionnaire, tz: ZoneInfo, today: date, *, practitioner: str = "") -> list[Day]:
    """Every day from today for a week, with its appointments (empty days included, so the week reads as one)."""
    start = clock.day_start_utc(today, tz)
    end = clock.day_start_utc(today + timedelta(days=DAYS), tz)
    rows = store.diary(db, start, end, practitioner)
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        local = clock.local(row["starts_at"], tz)
        row["time"] = f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
        row["age"] = age_on(row["date_of_birth"], today)
        row["asked"] = [
            {"treatment": t, "level": row["treatments"].get(t, ""), "areas": areas(questionnaire, t, row[f"{t}_areas"])}
            for t in row["booked"]
        ]
        row["decision"] = STATE_WORDS.get(row["review_state"], row["review_state"])
        row["caution_titles"] = [rule_title(r) for r in row["cautions"]]
        row["consultation"] = consultation_state(row)
        by_day.setdefault(local.date(), []).append(row)
    days = []
    for offset in range(DAYS):
        day = today + timedelta(days=offset)
        label = "Today" if offset == 0 else "Tomorrow" if offset == 1 else f"{day:%A}"
        days.append(Day(day, f"{label}, {day.day} {day:%B}", by_day.get(day, [])))
    return days
