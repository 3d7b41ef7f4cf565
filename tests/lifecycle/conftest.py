"""The data-life-cycle tests' clock: one that runs on from a moment, as retention needs (app, client and
db_path come from tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from screening import clock as app_clock


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
