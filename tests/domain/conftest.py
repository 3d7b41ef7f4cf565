"""Shared fixtures for the clinical-core tests (standard library and screening.domain only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.domain import RuleSet
from tests.domain.domain_factories import RULES_DIR, shipped_ruleset


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The shipped rules in /work/main/rules, loaded once."""
    return shipped_ruleset()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped rules files, for tests that break one thing in them."""
    target = tmp_path / "rules"
    target.mkdir()
    for path in RULES_DIR.glob("*.toml"):
        shutil.copyfile(path, target / path.name)
    return target
