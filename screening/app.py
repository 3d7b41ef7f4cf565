"""The Flask application factory, and where the app finds its rules and instance folder."""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from . import rulebook
from .domain import RuleSet
from .domain.rules import readable_date

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES_DIR = PROJECT_ROOT / "rules"
log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """The instance configuration cannot run a clinic (for example, no secret key)."""


def rules_dir() -> Path:
    """The clinic's rules folder: SCREENING_RULES_DIR if set, else rules/ in the project (the app and CLI agree)."""
    return Path(os.environ.get("SCREENING_RULES_DIR") or DEFAULT_RULES_DIR)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; refuse to start (RulesError) when the rules files are broken."""
    instance_path = Path(os.environ.get("SCREENING_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    if test_config and "INSTANCE_PATH" in test_config:
        instance_path = Path(test_config["INSTANCE_PATH"])
    app = Flask(
        __name__,
        instance_path=str(instance_path.resolve()),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE=str(Path(app.instance_path) / "screening.sqlite3"),
        RULES_DIR=str(rules_dir()),
        CLINIC_NAME="Our clinic",
        CLINIC_CONTACT="Please phone or email the clinic.",
        DRAFT_LIFETIME=timedelta(hours=24),
        CLINIC_TIMEZONE="Europe/London",  # slots are published and shown in this zone
        CLINIC_EMAIL="clinic@localhost",  # where "a screening needs review" goes
        PUBLIC_URL="http://127.0.0.1:5000",  # the address links in emails point to
        # Email: with no MAIL_SERVER, messages are written to instance/outbox/ as .eml files.
        MAIL_SERVER="",
        MAIL_PORT=587,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_SECURITY="starttls",  # starttls | ssl | none
        MAIL_FROM="screening@localhost",
        MAIL_INTERVAL=30,  # seconds between delivery rounds (retries back off from 2 minutes to an hour)
        SCREENING_VALID_DAYS=30,  # a screening allows booking for this many days, appointment included
        # Cookies: the patient's session holds only random references, never health data.
        SESSION_COOKIE_NAME="__Host-session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=24),
        # Requests: a whole questionnaire is a few kilobytes.
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_MEMORY_SIZE=64 * 1024,
        MAX_FORM_PARTS=200,
        WTF_CSRF_TIME_LIMIT=3600,
        # No cross-origin use: OPTIONS gets 405 like any other method a route does not serve.
        PROVIDE_AUTOMATIC_OPTIONS=False,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SCREENING")
    else:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"] or len(str(app.config["SECRET_KEY"])) < 32:
        raise ConfigurationError(
            f"no SECRET_KEY of 32 or more characters: run `screening init` to create {instance_path / 'config.py'}"
        )

    # Operational messages (mail written to the outbox, retries, database busy) are INFO and up; servers such as
    # waitress set only their own logger's level. Nothing this package logs names a patient or an answer.
    if logging.getLogger("screening").level == logging.NOTSET:
        logging.getLogger("screening").setLevel(logging.INFO)

    # The shipped rules with the clinic's overrides (issue 14); a broken overrides file stops the start, like bad rules.
    overrides_file = rulebook.overrides_path(app.instance_path, app.config.get("OVERRIDES_FILE"))
    app.extensions["screening.rules"] = rulebook.load_rules(app.config["RULES_DIR"], overrides_file)

    from . import audit, auth, clinic_time, db, mail, security
    from .views import catalogue, errors, intake, review

    db.init_app(app)
    rulebook.archive_at_start(app.config["DATABASE"], current_ruleset_of(app), app.config["RULES_DIR"], overrides_file)
    security.init_app(app)
    audit.init_app(app)
    auth.init_app(app)
    app.register_blueprint(errors.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(catalogue.bp)
    mail.init_app(app)
    app.add_template_filter(_readable_date, "readable_date")
    app.add_template_filter(lambda value, tz: clinic_time.readable(value, tz), "clinic_time")
    app.context_processor(lambda: {"clinic_name": app.config["CLINIC_NAME"]})
    return app


def _readable_date(value: str) -> str:
    return readable_date(date.fromisoformat(value))


def current_ruleset() -> RuleSet:
    return current_app.extensions["screening.rules"]


def current_ruleset_of(app: Flask) -> RuleSet:
    return app.extensions["screening.rules"]
