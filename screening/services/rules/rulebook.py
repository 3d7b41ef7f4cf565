"""The clinic's rule set as the service runs it: where the rules files are, the shipped rules with the clinic's
overrides applied, the rule set the app loaded, the consent texts, the aftercare and any licensed instruments beside
them, and the
archive of every version a server ran (so the rules that judged an old screening can be rebuilt and compared). Below
the views and the app factory, so both ask here."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from flask import Flask, current_app
from sqlite_utils import Database

from screening import store
from screening.db import connect
from screening.domain import RulesError, RuleSet, load_ruleset
from screening.domain.aftercare import AFTERCARE_FOLDER, Aftercare, load_aftercare
from screening.domain.consent import CONSENT_FOLDER, TREATMENTS, ConsentText, load_consent_texts
from screening.domain.instruments import INSTRUMENTS_FOLDER, Instrument, load_instruments
from screening.domain.loading import FILES, read_source_keys
from screening.domain.overrides import apply_overrides, parse_overrides, read_overrides
from screening.domain.translations import SOURCE_LANGUAGE
from screening.services.rules import translations

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RULES_DIR = PROJECT_ROOT / "rules"
EXTENSION = "screening.rules"
CONSENT_EXTENSION = "screening.consent_texts"
INSTRUMENTS_EXTENSION = "screening.instruments"
AFTERCARE_EXTENSION = "screening.aftercare"
TRANSLATIONS_EXTENSION = "screening.translations"

log = logging.getLogger(__name__)


def rules_dir() -> Path:
    """The clinic's rules folder: SCREENING_RULES_DIR if set, else rules/ in the project (the app and CLI agree)."""
    return Path(os.environ.get("SCREENING_RULES_DIR") or DEFAULT_RULES_DIR)


def instance_dir() -> Path:
    """The instance folder: SCREENING_INSTANCE_PATH if set, else instance/ in the project."""
    return Path(os.environ.get("SCREENING_INSTANCE_PATH") or PROJECT_ROOT / "instance")


def current_ruleset() -> RuleSet:
    """The rule set the running app judges with (shipped rules plus the clinic's overrides)."""
    return current_app.extensions[EXTENSION]


def current_ruleset_of(app: Flask) -> RuleSet:
    """The rule set a given app judges with, outside a request."""
    return app.extensions[EXTENSION]


OVERRIDES_FILE = "overrides.toml"


def overrides_path(instance_path: str | Path | None = None, configured: str | Path | None = None) -> Path:
    """Where the clinic's overrides live: OVERRIDES_FILE if configured, else overrides.toml in the instance folder."""
    if configured:
        return Path(configured)
    return Path(instance_path or instance_dir()) / OVERRIDES_FILE


def load_rules(rules_dir: str | Path, overrides_file: str | Path | None) -> RuleSet:
    """The shipped rules with the overrides file applied (none when the file does not exist); raise RulesError."""
    ruleset = load_ruleset(rules_dir)
    if overrides_file is None:
        return ruleset
    return apply_overrides(ruleset, read_overrides(overrides_file, ruleset))


def load_consent_texts_from(rules_dir: str | Path) -> dict[str, ConsentText]:
    """The consent texts in the rules folder's consent/, their sources checked against its sources.toml; raise
    RulesError naming each file and field at fault."""
    texts = load_consent_texts(Path(rules_dir) / CONSENT_FOLDER, read_source_keys(rules_dir))
    return {treatment: texts[treatment] for treatment in TREATMENTS if treatment in texts}  # toxin, then filler


def load_aftercare_from(rules_dir: str | Path) -> dict[str, Aftercare]:
    """The aftercare in the rules folder's aftercare/, its sources checked against its sources.toml; raise RulesError
    naming each file and field at fault."""
    texts = load_aftercare(Path(rules_dir) / AFTERCARE_FOLDER, read_source_keys(rules_dir))
    return {treatment: texts[treatment] for treatment in TREATMENTS if treatment in texts}  # toxin, then filler


def load_instruments_from(rules_dir: str | Path) -> dict[str, Instrument]:
    """The clinic's licensed instruments in the rules folder's instruments/ (none when it is absent, as shipped);
    raise RulesError naming each file and field at fault."""
    return load_instruments(Path(rules_dir) / INSTRUMENTS_FOLDER)


def load_at_start(app: Flask) -> None:
    """Load what judges, consents and aftercare beside the rules into the app (the rule set is loaded just before):
    a broken consent text, aftercare file or instrument stops the start with its file and field, like a broken rules
    file."""
    app.extensions[CONSENT_EXTENSION] = load_consent_texts_from(app.config["RULES_DIR"])
    app.extensions[AFTERCARE_EXTENSION] = load_aftercare_from(app.config["RULES_DIR"])
    app.extensions[INSTRUMENTS_EXTENSION] = load_instruments_from(app.config["RULES_DIR"])
    loaded = translations.load(app.config["RULES_DIR"], current_ruleset_of(app))
    for item in loaded.checked:  # a translation with a problem is not offered; the check names every problem
        if item.problems:
            log.warning("%s is not offered: %d problem(s); run `screening rules check`", item.file, len(item.problems))
    app.extensions[TRANSLATIONS_EXTENSION] = loaded


def offered_languages(app: Flask | None = None) -> tuple[str, ...]:
    """The languages patients may be shown the questions in: English (the clinic's own), and each language listed
    in the LANGUAGES setting whose translation is valid, complete and approved by a clinician."""
    app = app or current_app
    listed = app.config.get("LANGUAGES", SOURCE_LANGUAGE)
    if isinstance(listed, str):
        listed = listed.replace(",", " ").split()
    loaded: translations.Translations | None = app.extensions.get(TRANSLATIONS_EXTENSION)
    localized = loaded.localized if loaded is not None else {}
    return (SOURCE_LANGUAGE, *(language for language in localized if language in listed))


def ruleset_for(language: str | None) -> RuleSet:
    """The rule set in a patient's language: its wording localized when that language is offered, the clinic's own
    (English) for anything else. Conditions, ids, levels and version are the same either way."""
    ruleset = current_ruleset()
    if not language or language == SOURCE_LANGUAGE or language not in offered_languages():
        return ruleset
    return current_app.extensions[TRANSLATIONS_EXTENSION].localized[language]


def consent_texts_of(app: Flask) -> dict[str, ConsentText]:
    """The consent texts a given app shows, by treatment (toxin, filler)."""
    return app.extensions[CONSENT_EXTENSION]


def current_consent_texts() -> dict[str, ConsentText]:
    """The consent texts the running app shows, by treatment."""
    return consent_texts_of(current_app)


def aftercare_of(app: Flask) -> dict[str, Aftercare]:
    """The aftercare a given app gives, by treatment (toxin, filler)."""
    return app.extensions[AFTERCARE_EXTENSION]


def current_aftercare() -> dict[str, Aftercare]:
    """The aftercare the running app gives, by treatment."""
    return aftercare_of(current_app)


def instruments_of(app: Flask) -> dict[str, Instrument]:
    """The clinic's licensed instruments a given app scores with, by id (empty unless the clinic added one)."""
    return app.extensions[INSTRUMENTS_EXTENSION]


def current_instruments() -> dict[str, Instrument]:
    """The clinic's licensed instruments the running app scores with, by id."""
    return instruments_of(current_app)


def archive(db: Database, ruleset: RuleSet, rules_dir: str | Path, overrides_file: str | Path | None) -> bool:
    """Keep the files behind this version in the database (once per version)."""
    files = {name: (Path(rules_dir) / name).read_text(encoding="utf-8") for name in FILES}
    overrides_text = ""
    if ruleset.overrides and overrides_file is not None:
        overrides_text = Path(overrides_file).read_text(encoding="utf-8")
    return store.archive_ruleset(db, ruleset.version, files, overrides_text)


def archive_at_start(database: str | Path, ruleset: RuleSet, rules_dir: str | Path, overrides_file: Path | None):
    """Archive the running version when a server starts (its own connection, closed at once)."""
    db = connect(database)
    try:
        archive(db, ruleset, rules_dir, overrides_file)
    finally:
        db.close()


def archived_rules(db: Database, version: str) -> RuleSet | None:
    """Rebuild the rule set of a stored version from the archive; None when it was never archived (or no longer
    loads, which the archive's own check makes unlikely)."""
    row = store.archived_ruleset(db, version)
    if row is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        for name, text in row["files"].items():
            if name in FILES:
                (Path(folder) / name).write_text(text, encoding="utf-8")
        try:
            ruleset = load_ruleset(folder)
            if row["overrides"]:
                ruleset = apply_overrides(ruleset, parse_overrides(row["overrides"], ruleset))
        except RulesError:
            return None
    return ruleset if ruleset.version == version else None
