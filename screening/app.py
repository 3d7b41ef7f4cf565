"""The Flask application factory. Settings come from screening.settings (declared once), then instance/config.py,
then SCREENING_* environment variables."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from . import audit, audit_chain, auth, clinic_time, db, hardening, mail, security, settings
from .domain import TREATMENT_NAMES, TREATMENT_SHORT_NAMES, load_ruleset
from .domain.rules import readable_date
from .rulebook import EXTENSION, PROJECT_ROOT, instance_dir, rules_dir
from .views import errors, intake, review

log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """The instance configuration cannot run a clinic (for example, no secret key)."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; refuse to start (RulesError, ConfigurationError) when the rules or settings are bad."""
    instance_path = Path(test_config["INSTANCE_PATH"]) if test_config and "INSTANCE_PATH" in test_config else None
    instance_path = (instance_path or instance_dir()).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(settings.defaults(app.instance_path), RULES_DIR=str(rules_dir()))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SCREENING")
    else:
        app.config.from_mapping(test_config)
    settings.normalise(app.config)
    if not app.config["SECRET_KEY"] or len(str(app.config["SECRET_KEY"])) < 32:
        raise ConfigurationError(
            f"no SECRET_KEY of 32 or more characters: run `screening init` to create {instance_path / 'config.py'}"
        )
    if problems := settings.problems(app.config):
        raise ConfigurationError("; ".join(problems))

    # Operational messages (mail written to the outbox, retries, database busy) are INFO and up; servers such as
    # waitress set only their own logger's level. Nothing this package logs names a patient or an answer.
    if logging.getLogger("screening").level == logging.NOTSET:
        logging.getLogger("screening").setLevel(logging.INFO)

    app.extensions[EXTENSION] = load_ruleset(app.config["RULES_DIR"])
    db.init_app(app)
    security.init_app(app)
    hardening.init_app(app)  # issue 13: trusted hosts, the reverse proxy, HSTS
    audit.init_app(app)
    auth.init_app(app)
    hardening.init_after_limiter(app)  # issue 13: a 503 keeps its Retry-After; limits reached are audited
    app.register_blueprint(errors.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(review.bp)
    mail.init_app(app)
    audit_chain.init_app(app)  # issue 13: the chain's key, and the daily digest thread
    app.add_template_filter(_readable_date, "readable_date")
    app.add_template_filter(lambda value, tz: clinic_time.readable(value, tz), "clinic_time")
    app.context_processor(
        lambda: {
            "clinic_name": app.config["CLINIC_NAME"],
            "treatment_names": TREATMENT_NAMES,
            "treatment_short_names": TREATMENT_SHORT_NAMES,
        }
    )
    return app


def _readable_date(value: str) -> str:
    return readable_date(date.fromisoformat(value))
