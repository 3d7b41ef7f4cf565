"""The one clock of the app, the CLI and the tests: UTC now, and today in the clinic's time zone.

Nothing else calls date.today() or datetime.now(): code that needs the time asks this module (as `clock.utc_now()`,
never a copied reference), so a test that moves `screening.clock.utc_now` moves every part of the product at once.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """How moments are stored: UTC, microseconds, a Z (sorts as text, compares as time)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(utc_now())


def ago_iso(span: timedelta) -> str:
    return iso(utc_now() - span)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date where the clinic is (a screening on the evening of the 31st in London is dated the 31st)."""
    return (now or utc_now()).astimezone(tz).date()


# --------------------------------------------------------------------------------------------------------------------
# Times in the clinic's own time zone (set in instance config): what people type and read. UTC is what we store.


_EVERY = re.compile(r"(\d{1,3})\s*(m|min|h)")


class TimeInputError(ValueError):
    """A time, date or interval that cannot be used, with a message for the person who typed it."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeInputError(f"unknown time zone {name!r} (for example Europe/London)") from None


def parse_local(text: str, tz: ZoneInfo) -> datetime:
    """'2026-12-01T09:00' (or with a space) in the clinic's zone, as an aware datetime."""
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise TimeInputError(f"{text!r} is not a date and time like 2026-12-01T09:00") from None
    if moment.tzinfo is not None:
        raise TimeInputError(f"{text!r}: give the clinic's local time without a zone")
    return moment.replace(tzinfo=tz)


def parse_every(text: str) -> timedelta:
    match = _EVERY.fullmatch(text.strip().lower())
    if match is None:
        raise TimeInputError(f"{text!r} is not an interval like 30m or 1h")
    amount = int(match.group(1)) * (60 if match.group(2) == "h" else 1)
    if not 5 <= amount <= 480:
        raise TimeInputError("slots must be between 5 minutes and 8 hours long")
    return timedelta(minutes=amount)


def to_utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_utc_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local(text: str, tz: ZoneInfo) -> datetime:
    return from_utc_iso(text).astimezone(tz)


def readable(text: str, tz: ZoneInfo) -> str:
    """'Tuesday 1 December 2026, 9:00am' in the clinic's zone."""
    moment = local(text, tz)
    hour = moment.hour % 12 or 12
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {hour}:{moment:%M}{'am' if moment.hour < 12 else 'pm'}"


def readable_in(text: str, tz: ZoneInfo, language: str) -> str:
    """A moment in the clinic's zone in a patient's language: English as `readable`, another language in its own
    words from Babel's data ('martes, 1 de diciembre de 2026, 9:00')."""
    if _is_english(language):
        return readable(text, tz)
    moment = local(text, tz)
    locale = Locale.parse(language)
    return f"{babel_dates.format_date(moment.date(), 'full', locale=locale)}, " + babel_dates.format_time(
        moment.time(), "short", locale=locale
    )


def readable_date_in(day: date, language: str) -> str:
    """A day in a patient's language: 'Saturday 7 June 2025' in English, 'sábado, 7 de junio de 2025' in Spanish."""
    if _is_english(language):
        return f"{day:%A} {day.day} {day:%B %Y}"
    return babel_dates.format_date(day, "full", locale=Locale.parse(language))


def day_words_in(day: date, language: str) -> str:
    """A day without its weekday in a patient's language: '1 December 2026', '1 de diciembre de 2026'."""
    if _is_english(language):
        return f"{day.day} {day:%B %Y}"
    return babel_dates.format_date(day, "long", locale=Locale.parse(language))


def _is_english(language: str) -> bool:
    """Plain English (the clinic's own wording); an English in another script (a test's pseudo-locale) is not."""
    locale = Locale.parse(language or "en")
    return locale.language == "en" and not locale.script


def stamp(text: str, tz: ZoneInfo) -> str:
    """'Wed 4 Jun 2025, 11:00:05' in the clinic's zone: a moment to the second, for the audit trail."""
    moment = local(text, tz)
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M:%S}"


def local_iso(text: str, tz: ZoneInfo) -> str:
    """A stored UTC moment as ISO 8601 in the clinic's zone with its offset ('2025-06-04T11:00:00+01:00'): it sorts
    and reads as the clinic's time, and says exactly which moment it is."""
    return local(text, tz).isoformat(timespec="seconds")


def day_start_utc(day: date, tz: ZoneInfo) -> str:
    return to_utc_iso(datetime(day.year, day.month, day.day, tzinfo=tz))


def group_by_day(rows: list[dict], tz: ZoneInfo, key: str = "starts_at") -> list[tuple[str, list[dict]]]:
    """Rows with a UTC start, grouped by their day in the clinic's zone, in order: [('Tuesday 1 December', rows)]."""
    days: dict[date, list[dict]] = {}
    for row in rows:
        days.setdefault(local(row[key], tz).date(), []).append(row)
    return [(f"{day:%A} {day.day} {day:%B %Y}", found) for day, found in sorted(days.items())]


def span_in_words(span: timedelta, language: str = "en") -> str:
    """A length of time as a patient reads it: '24 hours', '2 days', '90 minutes', '1 hour'; in another language,
    Babel's words for it ('24 horas')."""
    if not _is_english(language):
        return babel_dates.format_timedelta(span, threshold=1.5, locale=Locale.parse(language))
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 and (unit != "day" or seconds // size >= 2):
            count = seconds // size
            return f"{count:,} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:,} second{'s' if seconds != 1 else ''}"
