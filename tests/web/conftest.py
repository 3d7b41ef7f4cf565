"""Fixtures for the web tests: an application on a private database in tmp_path, and its test client."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.app import create_app


def make_app(tmp_path: Path, **config):
    return create_app(
        {
            "SECRET_KEY": "x" * 40,
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
            **config,
        }
    )


@pytest.fixture
def app(tmp_path: Path):
    """The application as a clinic runs it (CSRF on), on a database of its own."""
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_path(app) -> Path:
    return Path(app.config["DATABASE"])
