"""The diary: a week's appointments (this week is today and the six days after it) for every clinician, in the clinic's
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
from screening.domain.cooling_off import DEFAULT_COOLING_OFF_HOURS
from screening.domain.rule_titles import rule_title
from screening.services import treatment
from screening.services.people import STATE_WORDS, age_on, areas

DAYS = 7  # a week: seven days from its first
WEEKEND = (5, 6)  # Saturday and Sunday: shown only when they hold appointments
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the weeks one may ask for (a far date would overflow the next week's link)


@dataclass(frozen=True)
class Week:
    """The week a page shows: its first day, and what is wrong with the one asked for (then it is this week)."""

    start: date
    today: date
    problem: str = ""

    @property
    def end(self) -> date:
        return self.start + timedelta(days=DAYS - 1)

    @property
    def previous(self) -> date:
        return self.start - timedelta(days=DAYS)

    @property
    def next(self) -> date:
        return self.start + timedelta(days=DAYS)

    @property
    def is_this_week(self) -> bool:
        return self.start == self.today

    def label(self) -> str:
        """'Monday 14 to Sunday 20 December 2026' (the month and year said once where they are the same)."""
        first, last = self.start, self.end
        if (first.year, first.month) == (last.year, last.month):
            head = f"{first:%A} {first.day}"
        elif first.year == last.year:
            head = f"{first:%A} {first.day} {first:%B}"
        else:
            head = f"{first:%A} {first.day} {first:%B %Y}"
        return f"{head} to {last:%A} {last.day} {last:%B %Y}"


def chosen_week(text: str | None, today: date) -> Week:
    """The week asked for as ?week=YYYY-MM-DD: seven days from that date. None or empty is this week (today and the
    six days after it); anything else that is not a date from 2000 to 2100 is this week, with the reason."""
    text = (text or "").strip()
    if not text:
        return Week(today, today)
    try:
        start = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        start = None
    if start is None:
        return Week(today, today, f"“{text[:20]}” is not a date like {today.isoformat()}: showing this week instead.")
    if not FIRST_YEAR <= start.year <= LAST_YEAR - 1:
        return Week(today, today, f"Choose a week from {FIRST_YEAR} to {LAST_YEAR - 1}: showing this week instead.")
    return Week(start, today)


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


def week(
    db: Database,
    questionnaire: Questionnaire,
    tz: ZoneInfo,
    today: date,
    *,
    practitioner: str = "",
    first: date | None = None,
    cooling_off_hours: int = DEFAULT_COOLING_OFF_HOURS,
) -> list[Day]:
    """Every day of the week from `first` (today when not given), with its appointments: weekdays always, so the
    week reads as one, a Saturday or Sunday only when it holds appointments. A treatment appointment is marked with
    its consent's state ("consented", "cooling off until ...", "no consent"; the clinic's cooling-off given)
    instead of the consultation's."""
    first = first or today
    start = clock.day_start_utc(first, tz)
    end = clock.day_start_utc(first + timedelta(days=DAYS), tz)
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
        row["consent_mark"] = ""
        if row["kind"] == "treatment":
            row["consent_mark"] = treatment.diary_mark(db, tz, cooling_off_hours, row["submission_id"], row["booked"])
        by_day.setdefault(local.date(), []).append(row)
    days = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        if day.weekday() in WEEKEND and not by_day.get(day):
            continue
        label = "Today" if day == today else "Tomorrow" if day == today + timedelta(days=1) else f"{day:%A}"
        days.append(Day(day, f"{label}, {day.day} {day:%B}", by_day.get(day, [])))
    return days
