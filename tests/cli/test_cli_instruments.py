"""`screening rules check` reports a clinic's licensed instruments in rules/instruments/: none as shipped, each valid
one with its items and cut-off, and every problem with its file and field (exit 1, no traceback). The instrument here
is invented for the tests: the product ships no instrument's text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import clean_env, invoke
from tests.factories import RULES_DIR

INVENTED = """
id = "invented_scale"
title = "An invented scale"
version = "1.0"
licence_holder = "Invented Holder Ltd"
licence_notice = "Invented for the tests."
cut_off = 2
options = [{ id = "no", label = "No", score = 0 }, { id = "yes", label = "Yes", score = 1 }]

[[items]]
id = "one"
text = "An invented statement?"

[[items]]
id = "two"
text = "Another invented statement?"

[[items]]
id = "three"
text = "A third invented statement?"
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(RULES_DIR, tmp_path / "rules-edited"))
    (folder / "instruments").mkdir()
    return folder


@pytest.fixture
def check(runner, tmp_path: Path):
    def run(folder: Path):
        return invoke(runner, "rules", "check", "--rules", str(folder), env=clean_env(tmp_path / "instance"))

    return run


def test_the_shipped_rules_have_no_instrument(check):
    assert not (RULES_DIR / "instruments").exists()  # the product ships no licensed text

    run = check(RULES_DIR)
    assert run.returncode == 0, run.stderr
    assert "licensed instruments: none (the product ships none; see docs/rules.md to add one)" in run.stdout


def test_a_valid_instrument_is_listed_with_its_items_and_cut_off(check, copy):
    (copy / "instruments" / "invented_scale.toml").write_text(INVENTED, encoding="utf-8")

    run = check(copy)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "licensed instrument: invented_scale 1.0, 3 items, positive at 2 or more of 3 (valid)" in lines
    assert "consent texts: toxin 1.0, filler 1.0 (valid)" in lines


def test_a_broken_instrument_is_refused_with_the_file_and_field(check, copy):
    broken = INVENTED.replace('text = "Another invented statement?"', 'text = ""').replace('id = "three"', 'id = "3"')
    (copy / "instruments" / "invented_scale.toml").write_text(broken, encoding="utf-8")

    run = check(copy)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "screening: the licensed instruments are refused (2 problems):" in run.stderr
    listed = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert listed == [
        "instruments/invented_scale.toml: item 'two': text: missing or empty",
        "instruments/invented_scale.toml: item '3': id: must be lower-case letters, digits and _ (found '3')",
    ]
    assert "rule tests passed" not in run.stdout


def test_unreadable_instrument_toml_is_refused_with_the_file(check, copy):
    (copy / "instruments" / "invented_scale.toml").write_text("id = \n", encoding="utf-8")

    run = check(copy)
    assert run.returncode == 1
    (problem,) = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert problem.startswith("instruments/invented_scale.toml: cannot be read: ")
