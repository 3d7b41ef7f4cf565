"""Every setting the service reads, declared once with its default, type and one line of help.

`create_app` applies the defaults, then instance/config.py, then SCREENING_* environment variables, then checks each
value's type, so a mistyped setting stops the server at start with its name. The README's configuration table is
checked against this list by a test.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Config


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    type: type | tuple[type, ...]
    help: str
    documented: str = ""  # the default as the README writes it, when it is not the value itself

    @property
    def shown_default(self) -> str:
        if self.documented:
            return self.documented
        return "empty" if self.default == "" else str(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        str,
        "signs session cookies and derives private links; the app refuses to start without one of 32+ characters",
        "a random 64-hex-character key written by `screening init`",
    ),
    Setting("DATABASE", "", str, "the SQLite database file", "`instance/screening.sqlite3`"),
    Setting(
        "OVERRIDES_FILE",
        "",
        str,
        "the clinic's rule overrides (rules/README.md); empty: `overrides.toml` in the instance folder, when present",
    ),
    Setting("CLINIC_NAME", "Our clinic", str, "shown in the page header and emails"),
    Setting(
        "CLINIC_CONTACT",
        "Please phone or email the clinic.",
        str,
        "shown to patients whose treatment cannot be booked online",
    ),
    Setting("CLINIC_ADDRESS", "", str, "the clinic's postal address (pages, emails, the .ics location)", "empty"),
    Setting("CLINIC_PHONE", "", str, "the clinic's phone number, shown to patients", "empty"),
    Setting(
        "REVIEW_TURNAROUND",
        "usually within 2 working days",
        str,
        "how soon patients are told a clinician will look at their answers",
    ),
    Setting(
        "LANGUAGES",
        "en",
        (list, str),
        "the languages patients may use (codes, a list or comma-separated, e.g. `en,es`); English is always offered, "
        "each other needs its catalogue in screening/translations/ (docs/patient-journey.md)",
    ),
    Setting("CLINIC_TIMEZONE", "Europe/London", str, "the zone slots are published and shown in"),
    Setting("CLINIC_EMAIL", "clinic@localhost", str, 'receives "a screening needs review"'),
    Setting("PUBLIC_URL", "http://127.0.0.1:5000", str, "the address links in emails point to"),
    Setting(
        "LISTEN",
        None,
        str,
        "where the server listens (host:port); `make run` sets it from HOST and PORT, and PUBLIC_URL defaults to it",
        "unset",
    ),
    Setting(
        "DRAFT_LIFETIME",
        timedelta(hours=24),
        (timedelta, int),
        "how long an unfinished questionnaire is kept (seconds when given as a number)",
        "24 hours",
    ),
    Setting(
        "KIOSK_IDLE_SECONDS",
        120,
        int,
        "on a reception tablet (kiosk mode), a screening left this long without a page is wiped and the tablet "
        "returns to the start page",
    ),
    Setting("SCREENING_VALID_DAYS", 30, int, "a screening allows booking for this many days, appointment included"),
    Setting("MAIL_SERVER", "", str, "SMTP server; with none, messages are written to `instance/outbox/*.eml`"),
    Setting("MAIL_PORT", 587, int, "SMTP port"),
    Setting("MAIL_USERNAME", "", str, "SMTP user name"),
    Setting("MAIL_PASSWORD", "", str, "SMTP password"),
    Setting("MAIL_SECURITY", "starttls", str, "`starttls`, `ssl` or `none`"),
    Setting("MAIL_FROM", "screening@localhost", str, "the sender address"),
    Setting("MAIL_INTERVAL", 30, (int, float), "seconds between delivery rounds (retries back off from 2 minutes)"),
    Setting(
        "MAIL_SENDER",
        None,
        bool,
        "run the mail sender thread in this process; unset: yes in the server, no in tests (the CLI turns it off)",
        "unset",
    ),
    Setting(
        "RETENTION_UNBOOKED_DAYS",
        365,
        int,
        "days a screening that never led to an appointment is kept (docs/retention.md)",
    ),
    Setting(
        "RETENTION_CONSULTED_YEARS",
        8,
        (int, float),
        "years a screening that led to an appointment is kept, after the latest one",
    ),
    Setting("RETENTION_SENT_MAIL_DAYS", 365, int, "days the record (address, subject) of a sent email is kept"),
    Setting(
        "PURGE_DAILY",
        None,
        bool,
        "run the retention purge in this process once a day; unset: yes in the server, no in tests and commands",
        "unset",
    ),
    Setting("PURGE_INTERVAL", 24 * 3600, (int, float), "seconds between the server's purges"),
    Setting(
        "RECALLS",
        None,
        bool,
        "run the recall job in this process (one reminder per treatment when its refresh is due, to patients who "
        "agreed); unset: yes in the server, no in tests and commands",
        "unset",
    ),
    Setting("RECALL_INTERVAL", 3600, (int, float), "seconds between the server's recall rounds"),
    Setting(
        "SERVER_LOCK",
        None,
        bool,
        "hold a lock file beside the database so `screening restore` can tell the server is running; unset: yes in "
        "the server",
        "unset",
    ),
    Setting("LOGIN_LIMIT_PER_IP", "5 per minute;20 per hour", str, "failed sign-ins allowed per address"),
    Setting("LOGIN_LIMIT_PER_ACCOUNT", "10 per hour", str, "failed sign-ins allowed per account, from any address"),
    Setting("RATELIMIT_ENABLED", True, bool, "rate limits on (benchmarks turn them off)"),
    Setting("RATELIMIT_STORAGE_URI", "memory://", str, "where rate-limit counters live (one process: memory)"),
    Setting(
        "SESSION_COOKIE_SECURE",
        True,
        bool,
        "the session cookie is Secure; browsers accept it from http://127.0.0.1 and localhost",
    ),
    # The production profile: the audit chain's digest (screening/services/audit_digest.py), trusted hosts and the
    # reverse proxy (screening/web/protection.py)
    Setting(
        "AUDIT_KEY",
        None,
        str,
        "keys the audit trail's hash chain (HMAC); kept here, never in the database",
        "a random key written by `screening init` (unset: the chain is not keyed)",
    ),
    Setting(
        "TOTP_SEED_KEY",
        None,
        str,
        "encrypts clinicians' second-factor (TOTP) seeds in the database (Fernet); kept here, never in the database",
        "a random key written by `screening init` (unset: seeds are stored in clear)",
    ),
    Setting(
        "AUDIT_LEGACY_ROWS",
        0,
        int,
        "audit events written before the chain was keyed (set by `screening init` when it adds `AUDIT_KEY`)",
    ),
    Setting(
        "AUDIT_DIGEST",
        None,
        bool,
        "email the audit trail's last hash to `CLINIC_EMAIL` daily; unset: yes in the server, no in tests",
        "unset",
    ),
    Setting(
        "TRUSTED_HOSTS",
        None,
        (list, str),
        "host names the service answers to (a list, or comma-separated); others get 400",
        "the host of `PUBLIC_URL`",
    ),
    Setting(
        "PROXY_COUNT",
        0,
        int,
        "proxies whose X-Forwarded-* the app trusts, for servers that pass them on (waitress: 0; docs/operations.md)",
    ),
)

# Fixed for every clinic: not settings an operator should change, so they are not documented as settings.
FIXED: dict[str, Any] = {
    # Cookies: the patient's session holds only random references, never health data.
    "SESSION_COOKIE_NAME": "__Host-session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=24),
    # Requests: a whole questionnaire is a few kilobytes.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "MAX_FORM_PARTS": 200,
    "WTF_CSRF_TIME_LIMIT": 3600,
    # No cross-origin use: OPTIONS gets 405 like any other method a route does not serve.
    "PROVIDE_AUTOMATIC_OPTIONS": False,
}

BY_NAME = {setting.name: setting for setting in SETTINGS}

# Settings that reach an email's headers or the SMTP conversation: a line break there would start a header of its
# own, and a message that cannot be built stays unsent (screening/mail). Refused at start, naming the setting only.
SINGLE_LINE = frozenset(
    {"CLINIC_NAME", "CLINIC_EMAIL", "MAIL_FROM", "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "PUBLIC_URL"}
)


def defaults(instance_path: str) -> dict[str, Any]:
    values = {setting.name: setting.default for setting in SETTINGS}
    values["DATABASE"] = f"{instance_path}/screening.sqlite3"
    return {**values, **FIXED}


def problems(config: dict[str, Any]) -> list[str]:
    """A line for each declared setting whose value has the wrong type."""
    found = []
    for setting in SETTINGS:
        value = config.get(setting.name)
        if value is None and setting.default is None:
            continue
        expected = setting.type if isinstance(setting.type, tuple) else (setting.type,)
        value_ok = isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)
        if not value_ok:
            names = " or ".join(t.__name__ for t in expected)
            found.append(f"{setting.name} must be {names}, not {type(value).__name__} ({value!r:.40})")
        elif setting.name in SINGLE_LINE and isinstance(value, str) and ("\r" in value or "\n" in value):
            found.append(f"{setting.name} must not contain a line break (it goes into an email's headers)")
    return found


def normalise(config: dict[str, Any]) -> None:
    """Settings given as plain numbers where a span is meant (from the environment) become spans."""
    if isinstance(config.get("DRAFT_LIFETIME"), int) and not isinstance(config["DRAFT_LIFETIME"], bool):
        config["DRAFT_LIFETIME"] = timedelta(seconds=config["DRAFT_LIFETIME"])


# --------------------------------------------------------------------------------------------------------------------
# Where the server listens, and whether the links in emails (PUBLIC_URL) lead back to it.
#
# `make run` passes the address it gives waitress as SCREENING_LISTEN (host:port). Precedence for PUBLIC_URL, highest
# first: SCREENING_PUBLIC_URL in the environment, PUBLIC_URL in instance/config.py, then http://LISTEN when the server
# was told where it listens, then the built-in default (http://127.0.0.1:5000). A PUBLIC_URL set on purpose is never
# replaced; when it does not lead to where the server listens, a line at start says so (right behind a proxy that
# forwards to this address, wrong otherwise).


log = logging.getLogger(__name__)
DEFAULT_PORTS = {"http": 80, "https": 443}
ANY_ADDRESS = {"0.0.0.0", "::", "[::]", ""}  # noqa: S104 - recognised, not bound
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def split_listen(listen: str) -> tuple[str, int] | None:
    """'127.0.0.1:5077' -> ('127.0.0.1', 5077); None when it is not host:port."""
    host, _, port = listen.strip().rpartition(":")
    return (host, int(port)) if port.isdigit() and host else None


def url_for_listen(listen: str) -> str | None:
    parts = split_listen(listen)
    if parts is None:
        return None
    host, port = parts
    host = "127.0.0.1" if host in ANY_ADDRESS else host
    return f"http://{host}:{port}"


def public_url_set_explicitly(instance_path: str, environ: dict[str, str] | None = None) -> bool:
    """Whether the operator chose PUBLIC_URL (in the environment or instance/config.py) rather than the default."""
    environ = os.environ if environ is None else environ
    if "SCREENING_PUBLIC_URL" in environ:
        return True
    own = Config(instance_path)
    own.from_pyfile("config.py", silent=True)
    return "PUBLIC_URL" in own


def mismatch(public_url: str, listen: str) -> str | None:
    """A sentence for the log when links would not lead to where the server listens; None when they do."""
    parts = split_listen(listen)
    if parts is None:
        return None
    host, port = parts
    link = urlsplit(public_url)
    link_port = link.port or DEFAULT_PORTS.get(link.scheme)
    host_matches = host in ANY_ADDRESS or link.hostname == host.strip("[]") or {host, link.hostname or ""} <= LOOPBACK
    if link_port == port and host_matches:
        return None
    return (
        f"PUBLIC_URL is {public_url} but this server listens on {host}:{port}: links in emails will lead there only "
        "if a proxy forwards that address to this one. Set PUBLIC_URL (instance/config.py or SCREENING_PUBLIC_URL) "
        "to the address patients use."
    )


def settle(config: dict[str, Any], instance_path: str, *, explicit: bool | None = None) -> None:
    """Give PUBLIC_URL its default from the listen address when nobody chose it; log a mismatch; record the
    PUBLIC_URL this server uses, for the commands run beside it (public_url_for_commands)."""
    listen = config.get("LISTEN")
    if not listen:
        return
    if explicit is None:
        explicit = public_url_set_explicitly(instance_path)
    if not explicit and (derived := url_for_listen(listen)):
        config["PUBLIC_URL"] = derived
    if problem := mismatch(config["PUBLIC_URL"], listen):
        log.warning(problem)
    record_server_public_url(instance_path, config["PUBLIC_URL"])


# The `screening` command is run in another shell than the server, without the listen address `make run` gave the
# server: its PUBLIC_URL would be the built-in default (port 5000) wherever the server listens. So a server told where
# it listens writes the PUBLIC_URL it uses to this file in the instance folder (an address, not a secret), and a
# command that builds links uses the PUBLIC_URL chosen in the configuration, else the one recorded, else refuses.
SERVER_PUBLIC_URL = "server-public-url"


def record_server_public_url(instance_path: str, public_url: str) -> None:
    path = Path(instance_path) / SERVER_PUBLIC_URL
    try:
        if not path.exists() or path.read_text(encoding="utf-8").strip() != public_url:
            partial = path.with_name(path.name + ".partial")
            partial.write_text(public_url + "\n", encoding="utf-8")
            partial.replace(path)
    except OSError as error:  # a read-only instance folder must not stop the server
        log.warning("could not record PUBLIC_URL for the screening command in %s (%s)", path, type(error).__name__)


def public_url_for_commands(config: dict[str, Any], instance_path: str, *, chosen: bool) -> str:
    """The PUBLIC_URL a command builds links with: the one chosen (environment or instance/config.py), else the one
    the server last recorded. ValueError, saying why and what to do, when there is neither."""
    if chosen:
        return config["PUBLIC_URL"]
    path = Path(instance_path) / SERVER_PUBLIC_URL
    try:
        recorded = path.read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    if recorded and "\r" not in recorded and "\n" not in recorded:
        return recorded
    raise ValueError(
        f"PUBLIC_URL is not set and no server has recorded the address it uses ({path}), so links would lead to "
        f"{config['PUBLIC_URL']}, which may not be where the server listens: set PUBLIC_URL in "
        f"{Path(instance_path) / 'config.py'} (or SCREENING_PUBLIC_URL) to the address patients use, or start the "
        "server once with `make run`"
    )
