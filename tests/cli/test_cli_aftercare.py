"""`screening rules check` reports the aftercare beside the rules: versions and urgent symptoms when valid, and every
problem with its file and field, exit 1 and no traceback, when a file is broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import clean_env, invoke
from tests.factories import RULES_DIR


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RULES_DIR, tmp_path / "rules-edited"))


@pytest.fixture
def check(runner, tmp_path: Path):
    def run(folder: Path):
        return invoke(runner, "rules", "check", "--rules", str(folder), env=clean_env(tmp_path / "instance"))

    return run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_rules_check_reports_the_shipped_aftercare(check):
    run = check(RULES_DIR)

    assert run.returncode == 0, run.stderr
    assert "aftercare: toxin 1.0 (5 urgent symptoms), filler 1.0 (5 urgent symptoms) (valid)" in run.stdout.splitlines()


def test_a_missing_field_and_an_unknown_source_are_refused_naming_file_and_field(check, copy):
    edit(copy / "aftercare" / "toxin.toml", 'call_window = "up to 4 weeks after your treatment"\n', "")
    edit(copy / "aftercare" / "filler.toml", '"S22", ', '"S99", ')

    run = check(copy)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "screening: the aftercare is refused (2 problems):" in run.stderr
    listed = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert listed == [
        "aftercare/filler.toml: sources: S99 is not in sources.toml",
        "aftercare/toxin.toml: call_window: missing or empty",
    ]
    assert "aftercare:" not in run.stdout
    assert "consent texts: toxin 1.0, filler 1.0 (valid)" in run.stdout  # the rest is still checked and reported
