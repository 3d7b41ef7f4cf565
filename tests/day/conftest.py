"""Fixtures for the clinic's-day tests (issue 10): the review and booking tests' helpers, a fresh app per test, a
movable clock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for folder in ("web", "review", "booking"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from review_helpers import make_app  # noqa: E402


@pytest.fixture
def app(tmp_path: Path):
    return make_app(tmp_path)


@pytest.fixture
def db_path(app) -> Path:
    return Path(app.config["DATABASE"])
