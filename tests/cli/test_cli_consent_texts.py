"""`screening rules check` reports the consent texts beside the rules: their versions when they are valid, and every
problem with its file and field, exit 1 and no traceback, when one is broken (as `make run` checks before serving)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import clean_env, invoke, run_script, script_env
from tests.factories import RULES_DIR


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the whole rules folder (rules, consent texts, rule tests)."""
    return Path(shutil.copytree(RULES_DIR, tmp_path / "rules-edited"))


@pytest.fixture
def check(runner, tmp_path: Path):
    """`screening rules check --rules FOLDER` in this process, on a private instance folder."""

    def run(folder: Path):
        return invoke(runner, "rules", "check", "--rules", str(folder), env=clean_env(tmp_path / "instance"))

    return run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def assert_refused_with(run, *problems: str) -> None:
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "screening: the consent texts are refused" in run.stderr
    listed = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert listed == list(problems), run.stderr
    assert "consent texts:" not in run.stdout


def test_rules_check_reports_the_shipped_consent_texts_and_their_versions(check):
    run = check(RULES_DIR)

    assert run.returncode == 0, run.stderr
    assert "consent texts: toxin 1.0, filler 1.0 (valid)" in run.stdout.splitlines()
    assert run.stderr == ""


def test_rules_check_reports_a_raised_version(check, copy):
    edit(copy / "consent" / "filler.toml", 'version = "1.0"', 'version = "1.1"')

    run = check(copy)
    assert run.returncode == 0, run.stderr
    assert "consent texts: toxin 1.0, filler 1.1 (valid)" in run.stdout.splitlines()


def test_a_missing_source_is_refused_with_the_file_and_field(check, copy):
    edit(copy / "consent" / "toxin.toml", '"S18", "SEED"]', '"S18", "S999"]')

    assert_refused_with(check(copy), "consent/toxin.toml: sources: S999 is not in sources.toml")


def test_an_unknown_treatment_is_refused_with_the_file_and_field(check, copy):
    edit(copy / "consent" / "filler.toml", 'treatment = "filler"', 'treatment = "threads"')

    assert_refused_with(check(copy), "consent/filler.toml: treatment: must be one of toxin, filler (found 'threads')")


def test_an_unknown_field_is_refused_with_the_file_and_field(check, copy):
    edit(copy / "consent" / "toxin.toml", 'version = "1.0"', 'version = "1.0"\naftercare = "Stay upright."')

    assert_refused_with(check(copy), "consent/toxin.toml: aftercare: unknown field")


def test_an_empty_list_is_refused_with_the_file_and_field(check, copy):
    path = copy / "consent" / "filler.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("alternatives = [")
    end = text.index("]\n", start)
    path.write_text(text[:start] + "alternatives = []" + text[end + 1 :], encoding="utf-8")

    assert_refused_with(check(copy), "consent/filler.toml: alternatives: must be a list of one or more texts")


def test_a_second_file_for_one_treatment_is_refused_naming_both_files(check, copy):
    shutil.copyfile(copy / "consent" / "toxin.toml", copy / "consent" / "toxin-2027.toml")

    assert_refused_with(
        check(copy), "consent/toxin.toml: treatment: toxin has a consent text already in consent/toxin-2027.toml"
    )


def test_unreadable_toml_is_refused_with_the_file(check, copy):
    (copy / "consent" / "toxin.toml").write_text('treatment = "toxin"\ntitle = "Unfinished\n', encoding="utf-8")

    run = check(copy)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    (problem,) = [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]
    assert problem.startswith("consent/toxin.toml: cannot be read: ")


def test_broken_rules_and_a_broken_consent_text_are_reported_in_one_pass(check, copy):
    edit(copy / "contraindications.toml", "condition = 'breastfeeding == \"yes\"'", "condition = 'breast_feeding'")
    edit(copy / "consent" / "toxin.toml", 'version = "1.0"', 'version = "1.0"\naftercare = "Stay upright."')

    run = check(copy)
    assert run.returncode == 1
    assert "contraindications.toml: rule 'breastfeeding'" in run.stderr
    assert "  consent/toxin.toml: aftercare: unknown field" in run.stderr.splitlines()
    assert "Traceback" not in run.stderr


def test_a_command_with_a_broken_consent_text_says_cannot_start_naming_the_file_and_field(tmp_path, copy):
    # The console script for real: the app refuses to start, as the server does, and screening.cli.main says why.
    env = script_env(tmp_path / "clinic")
    assert run_script("init", "--instance", str(tmp_path / "clinic"), env=env).returncode == 0
    edit(copy / "consent" / "toxin.toml", '"S18", "SEED"]', '"S18", "S999"]')

    run = run_script("audit", "verify", env={**env, "SCREENING_RULES_DIR": str(copy)})
    assert run.returncode == 1
    assert "screening: cannot start: the rules cannot be loaded (1 problem):" in run.stderr
    assert "  consent/toxin.toml: sources: S999 is not in sources.toml" in run.stderr.splitlines()
    assert "Traceback" not in run.stderr
