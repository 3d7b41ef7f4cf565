"""The one clock of the app, the CLI and the tests: UTC now, and today in the clinic's time zone.

Nothing else calls date.today() or datetime.now(): code that needs the time asks this module (as `clock.utc_now()`,
never a copied reference), so a test that moves `screening.clock.utc_now` moves every part of the product at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """How moments are stored: UTC, microseconds, a Z (sorts as text, compares as time)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(utc_now())


def ago_iso(span: timedelta) -> str:
    return iso(utc_now() - span)


def today_in(tz: ZoneInfo) -> date:
    """Today's date where the clinic is (a screening on the evening of the 31st in London is dated the 31st)."""
    return utc_now().astimezone(tz).date()
