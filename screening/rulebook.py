"""Where the app finds its rules, and the rule set it loaded: below the views and the app factory, so both can ask."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from .domain import RuleSet

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES_DIR = PROJECT_ROOT / "rules"
EXTENSION = "screening.rules"


def rules_dir() -> Path:
    """The clinic's rules folder: SCREENING_RULES_DIR if set, else rules/ in the project (the app and CLI agree)."""
    return Path(os.environ.get("SCREENING_RULES_DIR") or DEFAULT_RULES_DIR)


def instance_dir() -> Path:
    return Path(os.environ.get("SCREENING_INSTANCE_PATH") or PROJECT_ROOT / "instance")


def current_ruleset() -> RuleSet:
    return current_app.extensions[EXTENSION]
