"""Fixtures for every test folder: a fresh application per test on a private SQLite file (CSRF on), its test client,
its CLI runner, its database path, a clock the whole product reads that a test can move, the shipped rules, and a
real SMTP server on loopback.

Test folders are packages (tests/__init__.py and one in each folder), so helper modules are imported by their full
name (`from tests.web.web_helpers import ...`): pytest's default import mode puts the project folder on sys.path for
the `tests` package, and no conftest edits sys.path. This is the only conftest besides the browser's.

Two markers change the `app` a test gets (a module sets them with `pytestmark`):
- `mail_server`: the app sends to the `smtp` fixture's real SMTP server (aiosmtpd) instead of instance/outbox/;
- `audit_key`: the app has an audit-chain key, as `screening init` writes one.
"""

from __future__ import annotations

import shutil
import socket
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from screening import clock as app_clock
from screening.domain import RuleSet
from tests.factories import make_app, shipped_ruleset

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
AUDIT_KEY = "a" * 64


def pytest_configure(config):
    config.addinivalue_line("markers", "mail_server: the app sends to a real SMTP server on loopback (smtp fixture)")
    config.addinivalue_line("markers", "audit_key: the app has an audit-chain key, as `screening init` writes one")


# --------------------------------------------------------------------------------------------------------------------
# The application


@pytest.fixture
def app(request, tmp_path: Path):
    """The application as a clinic runs it (CSRF on), on a database of its own. Function-scoped: Flask-Limiter keeps
    its counters in memory and a new app starts them afresh."""
    config = {}
    if request.node.get_closest_marker("mail_server"):
        controller, _ = request.getfixturevalue("smtp")
        config |= {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": controller.port,
            "MAIL_SECURITY": "none",
            "CLINIC_EMAIL": "desk@clinic.example",
            "PUBLIC_URL": "https://screening.clinic.example",
        }
    if request.node.get_closest_marker("audit_key"):
        config["AUDIT_KEY"] = AUDIT_KEY
    return make_app(tmp_path, **config)


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


# --------------------------------------------------------------------------------------------------------------------
# The clock


class Clock:
    """The app's idea of now (screening.clock.utc_now): real time until a test moves it. `set` stops it at a moment,
    `freeze` stops it now, `at` lets it run on from a moment (as retention needs), `reset` gives real time back."""

    def __init__(self):
        self.offset = timedelta(0)
        self.frozen: datetime | None = None
        self._real = app_clock.utc_now

    def __call__(self) -> datetime:
        return (self.frozen or self._real()) + self.offset

    def real(self) -> datetime:
        return self._real()

    def freeze(self) -> datetime:
        self.frozen = self._real()
        return self.frozen

    def set(self, moment: datetime) -> None:
        self.frozen, self.offset = moment, timedelta(0)

    def at(self, moment: datetime) -> None:
        """From now on, time runs on from `moment`."""
        self.frozen, self.offset = None, moment - self._real()

    def reset(self) -> None:
        """Back to real time."""
        self.frozen, self.offset = None, timedelta(0)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(app_clock, "utc_now", moving)
    return moving


# --------------------------------------------------------------------------------------------------------------------
# The shipped rules


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The shipped rules in rules/, loaded once."""
    return shipped_ruleset()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped rules files, for tests that break one thing in them."""
    target = tmp_path / "rules"
    target.mkdir()
    for path in RULES_DIR.glob("*.toml"):
        shutil.copyfile(path, target / path.name)
    return target


# --------------------------------------------------------------------------------------------------------------------
# A real SMTP server on loopback


class Inbox:
    """Collects every message the server accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port: (controller, inbox)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()
