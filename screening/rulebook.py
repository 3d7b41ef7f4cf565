"""The clinic's rule set as the service runs it: the shipped rules files with the clinic's overrides applied, and the
archive of every version a server ran (so the rules that judged an old screening can be rebuilt and compared).

No Flask here: the app factory and the CLI pass paths and a database in.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlite_utils import Database

from . import store
from .domain import RulesError, RuleSet, load_ruleset
from .domain.loading import FILES
from .domain.overrides import apply_overrides, parse_overrides, read_overrides

OVERRIDES_FILE = "overrides.toml"


def default_instance_path() -> Path:
    """The instance folder the app uses: SCREENING_INSTANCE_PATH if set, else instance/ in the project."""
    from .app import PROJECT_ROOT

    return Path(os.environ.get("SCREENING_INSTANCE_PATH") or PROJECT_ROOT / "instance")


def overrides_path(instance_path: str | Path | None = None, configured: str | Path | None = None) -> Path:
    """Where the clinic's overrides live: OVERRIDES_FILE if configured, else overrides.toml in the instance folder."""
    if configured:
        return Path(configured)
    return Path(instance_path or default_instance_path()) / OVERRIDES_FILE


def load_rules(rules_dir: str | Path, overrides_file: str | Path | None) -> RuleSet:
    """The shipped rules with the overrides file applied (none when the file does not exist); raise RulesError."""
    ruleset = load_ruleset(rules_dir)
    if overrides_file is None:
        return ruleset
    return apply_overrides(ruleset, read_overrides(overrides_file, ruleset))


def archive(db: Database, ruleset: RuleSet, rules_dir: str | Path, overrides_file: str | Path | None) -> bool:
    """Keep the files behind this version in the database (once per version)."""
    files = {name: (Path(rules_dir) / name).read_text(encoding="utf-8") for name in FILES}
    overrides_text = ""
    if ruleset.overrides and overrides_file is not None:
        overrides_text = Path(overrides_file).read_text(encoding="utf-8")
    return store.archive_ruleset(db, ruleset.version, files, overrides_text)


def archive_at_start(database: str | Path, ruleset: RuleSet, rules_dir: str | Path, overrides_file: Path | None):
    """Archive the running version when a server starts (its own connection, closed at once)."""
    from .db import connect

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
