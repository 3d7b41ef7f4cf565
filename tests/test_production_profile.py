"""Check 36: the whole production profile in one test. An instance made by the real `screening init` (the installed
console script), the clinic's address added to its config.py as an operator does, and the app built from it as the
server builds it (`create_app()` with no test configuration: instance/config.py, then SCREENING_* variables).

The server's background duties (mail sender, daily purge, audit digest, the lock file) are switched off through the
environment as `screening.cli.main` does for commands: they are threads and files, not settings this check is about.

Mutations that turn this test red (each tried): `SESSION_COOKIE_SECURE` defaulting to False in settings.py;
`WTF_CSRF_ENABLED = False` set in create_app; `synchronous=FULL` taken out of screening/db.py's PRAGMAS, or made
NORMAL; init creating the instance folder 0o755.
"""

from __future__ import annotations

import os
import re
import stat
from contextlib import closing

import pytest

from screening.app import create_app
from screening.db import PRAGMAS, connect, get_db
from tests.cli_helpers import run_cli

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

PUBLIC_URL = "https://screening.clinic.example"
QUIET = {
    "SCREENING_MAIL_SENDER": "false",
    "SCREENING_PURGE_DAILY": "false",
    "SCREENING_RECALLS": "false",
    "SCREENING_AUDIT_DIGEST": "false",
    "SCREENING_SERVER_LOCK": "false",
}
# What each pragma of screening/db.py must read back on a connection (a new pragma must be added here too).
PRAGMA_VALUES = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "secure_delete": 1,
    "trusted_schema": 0,
}
HEX_64 = re.compile(r"[0-9a-f]{64}")


def test_an_instance_made_by_screening_init_runs_with_the_whole_production_profile(tmp_path, monkeypatch):
    instance = tmp_path / "clinic"
    made = run_cli(instance, "init", "--instance", str(instance))
    assert made.returncode == 0, made.stderr
    config_file = instance / "config.py"
    with config_file.open("a", encoding="utf-8") as config:  # what the operator adds: the address patients use
        config.write(f"PUBLIC_URL = {PUBLIC_URL!r}\n")
    for name in [name for name in os.environ if name.startswith(("SCREENING_", "FLASK_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SCREENING_INSTANCE_PATH", str(instance))
    for name, value in QUIET.items():
        monkeypatch.setenv(name, value)

    app = create_app()

    # Files: the key and the database are for the service's user only.
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((instance / "screening.sqlite3").stat().st_mode) == 0o600
    # Keys: from config.py, random, 32 bytes.
    written = config_file.read_text(encoding="utf-8")
    assert HEX_64.fullmatch(app.config["SECRET_KEY"]) and f"SECRET_KEY = '{app.config['SECRET_KEY']}'" in written
    assert HEX_64.fullmatch(app.config["AUDIT_KEY"]) and app.config["AUDIT_KEY"] != app.config["SECRET_KEY"]
    assert HEX_64.fullmatch(app.config["TOTP_SEED_KEY"])
    assert len({app.config[name] for name in ("SECRET_KEY", "AUDIT_KEY", "TOTP_SEED_KEY")}) == 3
    # Flask.
    assert app.debug is False and app.testing is False
    assert app.config["DEBUG"] is False and app.config["TESTING"] is False
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_DOMAIN"] in (None, False)
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.extensions["screening.trusted_hosts"] == {
        "screening.clinic.example",
        "127.0.0.1",
        "localhost",
        "::1",
        "[::1]",
    }

    # And as a browser meets it, over HTTPS at the public address.
    browser = app.test_client()
    page = browser.get("/", base_url=PUBLIC_URL)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = " " + page.headers["Set-Cookie"]
    assert cookie.startswith(" __Host-session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    assert "domain=" not in cookie.lower()
    no_token = browser.post("/start", base_url=PUBLIC_URL)
    assert no_token.status_code == 400  # CSRF on
    assert browser.get("/", base_url="https://evil.example").status_code == 400  # trusted hosts
    assert "Traceback" not in no_token.get_data(as_text=True)

    # Every pragma of screening/db.py, on the app's own connection and on a new one.
    assert {pragma.split("=")[0] for pragma in PRAGMAS} == set(PRAGMA_VALUES)
    with app.app_context():
        kept = get_db()
        for name, value in PRAGMA_VALUES.items():
            assert kept.execute(f"PRAGMA {name}").fetchone()[0] == value, name
    with closing(connect(app.config["DATABASE"])) as fresh:
        for name, value in PRAGMA_VALUES.items():
            assert fresh.execute(f"PRAGMA {name}").fetchone()[0] == value, name
