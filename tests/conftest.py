"""Fixtures for every test folder: a fresh application per test on a private SQLite file (CSRF on), its test client,
its CLI runner, its database path, and a clock the whole product reads that a test can move.

Test folders are packages (tests/__init__.py and one in each folder), so helper modules are imported by their full
name (`from tests.web.web_helpers import ...`): pytest's default import mode puts the project folder on sys.path for
the `tests` package, and no conftest edits sys.path.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from screening import clock as app_clock
from tests.factories import make_app


@pytest.fixture
def app(tmp_path: Path):
    """The application as a clinic runs it (CSRF on), on a database of its own. Function-scoped: Flask-Limiter keeps
    its counters in memory and a new app starts them afresh."""
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Flask's CLI runner: `runner.invoke(cli, [...])` runs the `screening` group in this process, on this app."""
    return app.test_cli_runner()


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

    def reset(self) -> None:
        """Back to real time."""
        self.frozen, self.offset = None, timedelta(0)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(app_clock, "utc_now", moving)
    return moving
