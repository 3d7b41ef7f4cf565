"""Fixtures for every test folder: a fresh application per test on a private SQLite file (CSRF on), its test client,
its CLI runner, its database path, signed-in clinicians and admins (`auth`), a clock the whole product reads that a
test can move, the shipped rules, and a real SMTP server on loopback.

Test folders are packages (tests/__init__.py and one in each folder), so helper modules are imported by their full
name (`from tests.factories import ...`): pytest's default import mode puts the project folder on sys.path for the
`tests` package, and no conftest edits sys.path. This is the only conftest besides the browser's. The helpers every
folder shares are at the root: tests/factories.py (what tests build and read back), tests/pages.py (reading pages),
tests/journeys.py (going through the pages), tests/cli_helpers.py (running the command), tests/live_server.py (the
app served by waitress).

Three markers change the `app` a test gets (a module sets them with `pytestmark`):
- `mail_server`: the app sends to the `smtp` fixture's real SMTP server (aiosmtpd) instead of instance/outbox/;
- `audit_key`: the app has an audit-chain key, as `screening init` writes one;
- `languages("en,es")`: the app offers patients these languages (LANGUAGES), with the Spanish clinical wording
  approved by a clinician in a copy of the rules (`approved_rules_dir`), as a language is offered only then.
"""

from __future__ import annotations

import shutil
import socket
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from itsdangerous.timed import TimestampSigner

from screening import clock as app_clock
from screening.db import migrate
from screening.domain import RuleSet
from tests.factories import approved_rules, make_app, shipped_ruleset
from tests.journeys import Auth

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
AUDIT_KEY = "a" * 64
CLINIC_ZONE = "Europe/London"  # the shipped CLINIC_TIMEZONE


def pytest_configure(config):
    config.addinivalue_line("markers", "mail_server: the app sends to a real SMTP server on loopback (smtp fixture)")
    config.addinivalue_line("markers", "audit_key: the app has an audit-chain key, as `screening init` writes one")
    config.addinivalue_line("markers", 'languages(codes): the app offers patients these languages ("en,es")')


# --------------------------------------------------------------------------------------------------------------------
# The application


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """An empty database with every migration applied, made once per run (once per pytest-xdist worker). Applying
    the migrations was half the cost of a new app (each one commits with synchronous=FULL), and every test's app
    would end in this same file: so each `app` starts on a copy of it, and its own start finds nothing pending."""
    path = tmp_path_factory.mktemp("migrated") / "screening.sqlite3"
    migrate(path)  # closed when done: the WAL is checkpointed into the file, so the file alone is the database
    return path


@pytest.fixture(scope="session")
def approved_rules_dir(tmp_path_factory) -> Path:
    """The shipped rules with their Spanish approved by a clinician (as a clinic fills it in), copied once."""
    return approved_rules(tmp_path_factory.mktemp("approved") / "rules")


@pytest.fixture
def app(request, tmp_path: Path, migrated_database: Path):
    """The application as a clinic runs it (CSRF on), on a database of its own (a copy of `migrated_database`, with
    its owner-only mode). Function-scoped: Flask-Limiter keeps its counters in memory and a new app starts them
    afresh."""
    database = tmp_path / "screening.sqlite3"
    if not database.exists():  # a fixture that made a database of its own here first keeps it
        shutil.copy2(migrated_database, database)
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
    if marker := request.node.get_closest_marker("languages"):
        config["LANGUAGES"] = marker.args[0]
        if marker.args[0] != "en":  # a language is offered only with its clinical wording approved
            config["RULES_DIR"] = str(request.getfixturevalue("approved_rules_dir"))
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


@pytest.fixture
def auth(app) -> Auth:
    """Signed-in browsers on this app: `auth.clinician()`, `auth.admin()`, `auth.registered_clinician()` (a register
    and number on the profile) each return a new test client signed in through the sign-in page, the account made
    through the store the first time (tests/journeys.py); `auth.account(email)` gives the account's id."""
    return Auth(app)


# --------------------------------------------------------------------------------------------------------------------
# The clock


class Clock:
    """The app's idea of now (screening.clock.utc_now): real time until a test moves it. `set` stops it at a moment,
    `freeze` stops it now, `at` lets it run on from a moment (as retention needs), `reset` gives real time back.

    It is also the only way a test reads the time: `now()` (or calling the clock) for the moment, `today()` for the
    clinic's date of that moment, `timestamp()` for the seconds pyotp counts in. Nothing else in tests/ calls
    date.today(), datetime.now() or time.time() (tests/test_time_comes_from_the_clock.py holds that), so a test
    that sets the clock to a moment of its own passes whatever day it runs on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.offset = timedelta(0)
        self.frozen: datetime | None = None
        self._real = app_clock.utc_now
        self._monkeypatch = monkeypatch

    def __call__(self) -> datetime:
        return (self.frozen or self._real()) + self.offset

    def now(self) -> datetime:
        """The moment the app sees (UTC, aware)."""
        return self()

    def today(self, where: str | ZoneInfo | Flask | None = None) -> date:
        """The clinic's date at the moment the app sees: in Europe/London, or in `where` (a zone, a zone's name, or
        an app, whose CLINIC_TIMEZONE counts), as screening.clock.today_in reckons it."""
        if isinstance(where, Flask):
            where = where.config["CLINIC_TIMEZONE"]
        zone = where if isinstance(where, ZoneInfo) else ZoneInfo(where or CLINIC_ZONE)
        return app_clock.today_in(zone, self())

    def timestamp(self) -> float:
        """The moment the app sees as POSIX seconds (what pyotp's `TOTP.at` takes)."""
        return self().timestamp()

    def real(self) -> datetime:
        """The wall clock, whatever the clock is set to: only for a test that must run on from the real now."""
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

    def age_signatures(self, span: timedelta) -> None:
        """Age every signed token by `span`: the CSRF tokens (Flask-WTF) and the session cookie are signed by
        itsdangerous, which reads the wall clock and not the app's, so `set` and `at` do not reach them. From now on
        itsdangerous reads the wall clock `span` on (for a test of a token's time limit); nothing else moves."""
        self._monkeypatch.setattr(
            TimestampSigner, "get_timestamp", lambda signer: int(time.time() + span.total_seconds())
        )


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock(monkeypatch)
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

    def wait_for(self, address: str, subject: str, timeout: float = 30.0):
        """The first message to `address` whose subject starts with `subject`, waiting for a server in another
        process (a LiveServer's mail sender) to send it; fails naming what did arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if m["Subject"].startswith(subject)]
            if found:
                return found[0]
            time.sleep(0.2)
        sent = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"no email to {address} with the subject {subject!r} within {timeout} s; sent: {sent}")


@contextmanager
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port while the block runs: (controller, inbox)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port: (controller, inbox)."""
    with smtp_server() as served:
        yield served
