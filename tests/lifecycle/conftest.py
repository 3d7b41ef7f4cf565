"""Fixtures for the data-life-cycle tests (issue 12): the web and review helpers, a fresh app per test, the clock."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for folder in ("web", "review", "booking", "browser"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from review_helpers import make_app  # noqa: E402

from screening import clock as app_clock  # noqa: E402


@pytest.fixture
def app(tmp_path: Path):
    return make_app(tmp_path)


@pytest.fixture
def db_path(app) -> Path:
    return Path(app.config["DATABASE"])


class Clock:
    """The app's idea of now (screening.clock.utc_now): real time until a test moves it."""

    def __init__(self):
        self.offset = timedelta(0)
        self._real = app_clock.utc_now

    def __call__(self) -> datetime:
        return self._real() + self.offset

    def real(self) -> datetime:
        return self._real()

    def at(self, moment: datetime) -> None:
        """From now on, time runs on from `moment`."""
        self.offset = moment - self._real()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(app_clock, "utc_now", moving)
    return moving
