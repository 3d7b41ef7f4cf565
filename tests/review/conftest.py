"""Fixtures for the clinician-workspace tests: a fresh application per test (its own database, its own in-memory
rate-limit counters), CSRF on, and a clock the store reads that a test can move."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

WEB_TESTS = Path(__file__).resolve().parent.parent / "web"
if str(WEB_TESTS) not in sys.path:
    sys.path.insert(0, str(WEB_TESTS))  # for web_helpers (walk, answers_by_step, csrf_token)

from review_helpers import make_app  # noqa: E402

from screening import clock as app_clock  # noqa: E402


@pytest.fixture
def app(tmp_path: Path):
    """The application as a clinic runs it (CSRF on), on a database of its own. Function-scoped: Flask-Limiter keeps
    its counters in memory and a new app starts them afresh."""
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_path(app) -> Path:
    return Path(app.config["DATABASE"])


class Clock:
    """The app's idea of now (screening.clock.utc_now): real time until a test moves it."""

    def __init__(self):
        self.offset = timedelta(0)
        self.frozen: datetime | None = None
        self._real = app_clock.utc_now

    def __call__(self) -> datetime:
        return (self.frozen or self._real()) + self.offset

    def freeze(self) -> datetime:
        self.frozen = self._real()
        return self.frozen

    def set(self, moment: datetime) -> None:
        self.frozen, self.offset = moment, timedelta(0)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(app_clock, "utc_now", moving)
    return moving
