"""The Flask application factory. Settings come from screening.settings (declared once), then instance/config.py,
then SCREENING_* environment variables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from screening import db, jobs, mail, settings
from screening.domain import TREATMENT_NAMES, TREATMENT_SHORT_NAMES
from screening.services import audit_digest, credentials, integrity, lifecycle, recall
from screening.services.lifecycle import retention
from screening.services.rules import rulebook
from screening.services.rules.rulebook import EXTENSION, PROJECT_ROOT, instance_dir, rules_dir
from screening.web import (
    RowId,
    account,
    admin,
    audit,
    auth,
    clinician,
    errors,
    kiosk,
    language,
    patient,
    protection,
    signing,
)

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
    app.url_map.converters["int"] = RowId
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SCREENING")
    else:
        app.config.from_mapping(test_config)
    settings.normalise(app.config)
    if test_config is None:
        settings.settle(app.config, app.instance_path)  # PUBLIC_URL from where `make run` listens, unless chosen
    # Whether PUBLIC_URL was chosen (a given configuration is taken as it is), for commands that build links
    # (settings.public_url_for_commands).
    app.extensions["screening.public_url_chosen"] = test_config is not None or settings.public_url_set_explicitly(
        app.instance_path
    )
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

    # The shipped rules with the clinic's overrides; a broken overrides file, consent text or instrument stops the
    # start, like bad rules.
    overrides_file = rulebook.overrides_path(app.instance_path, app.config["OVERRIDES_FILE"] or None)
    app.extensions[EXTENSION] = rulebook.load_rules(app.config["RULES_DIR"], overrides_file)
    rulebook.load_at_start(app)  # the consent texts and any licensed instrument, checked like the rules
    audit_digest.init_app(app)  # the chain's key, registered before migrating: a migration that reseals uses it
    db.init_app(app)
    rulebook.archive_at_start(
        app.config["DATABASE"], rulebook.current_ruleset_of(app), app.config["RULES_DIR"], overrides_file
    )
    signing.init_app(app)  # the session cookie's and the CSRF tokens' signers, made once per key
    protection.init_app(app)  # CSRF, headers, trusted hosts, the reverse proxy, HSTS
    audit.init_app(app)
    auth.init_app(app)
    kiosk.init_app(app)  # a reception tablet: locked to the patient form, wiped between patients
    protection.init_after_limiter(app)  # a 503 keeps its Retry-After; limits reached are audited
    app.register_blueprint(errors.bp)
    app.register_blueprint(patient.bp)  # the questionnaire, the result, booking, the patient's copy
    app.register_blueprint(account.bp)  # signing in and out, one's own account, reset links
    app.register_blueprint(clinician.bp)  # the queue, a screening, patients, the diary, consultations, the rules
    app.register_blueprint(admin.bp)  # clinicians, slots, settings, the audit trail, records, trying a case
    lifecycle.init_app(app)  # the live-server lock
    if "screening.server_lock" in app.extensions:  # the server (not a command, not a test): said once, at start
        _say_how_to_make_the_first_admin(app)
    integrity.init_app(app)  # the audit head of an older trail; seals keyed once
    if app.config["TOTP_SEED_KEY"]:
        credentials.encrypt_clear_seeds(app.config["DATABASE"], app.config["TOTP_SEED_KEY"])
    elif not app.testing:
        log.warning("no TOTP_SEED_KEY configured: second-factor seeds are stored in clear; run `screening init`")
    jobs.init_app(
        app,
        {
            "mail": ("MAIL_SENDER", float(app.config["MAIL_INTERVAL"]), mail.delivery_round),
            "audit_digest": ("AUDIT_DIGEST", audit_digest.CHECK_EVERY.total_seconds(), audit_digest.digest_round),
            "purge": ("PURGE_DAILY", float(app.config["PURGE_INTERVAL"]), retention.purge_round),
            "recall": ("RECALLS", float(app.config["RECALL_INTERVAL"]), recall.recall_round),
        },
    )
    app.add_template_filter(language.readable_date, "readable_date")
    app.add_template_filter(language.clinic_time, "clinic_time")
    app.context_processor(
        lambda: {
            "clinic_name": _clinic(app).name,
            "clinic": _clinic(app),
            "treatment_names": TREATMENT_NAMES,
            "treatment_short_names": TREATMENT_SHORT_NAMES,
        }
    )
    # Flask-Babel: the patient's language on patient pages, English on the clinic's (after the context above: a
    # patient page's treatment names are in the patient's words)
    language.init_app(app)
    return app


def _say_how_to_make_the_first_admin(app: Flask) -> None:
    """With no clinician account yet, the server's log names the command that creates the first admin."""
    from screening.services import clinic

    database = db.connect(app.config["DATABASE"])
    try:
        command = clinic.first_admin_command(database, app.instance_path)
    finally:
        database.close()
    if command:
        log.warning("no clinician account exists yet: create the first admin with: %s", command)


def _clinic(app: Flask):
    """The clinic's details for templates, read once a request (web.clinic_details)."""
    from screening.web import clinic_details

    return clinic_details()
