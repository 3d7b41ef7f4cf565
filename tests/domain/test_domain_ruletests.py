"""Tests beside the rules (rules/tests/*.toml): the shipped cases pass, cover every rule, and an edit fails them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.domain import load_ruleset
from screening.domain.ruletests import RuleTestsError, format_failure, load_cases, run_cases, unknown_rule_ids
from tests.factories import RULES_DIR

CASES_DIR = RULES_DIR / "tests"


@pytest.fixture(scope="module")
def shipped_cases():
    return load_cases(CASES_DIR)


def test_every_shipped_case_passes_on_the_shipped_rules(ruleset, shipped_cases):
    report = run_cases(ruleset, shipped_cases)
    assert [format_failure(result) for result in report.failures] == []
    assert unknown_rule_ids(ruleset, shipped_cases) == []
    assert len(report.results) >= 2 * len(ruleset.rules)


def test_every_rule_has_a_case_that_fires_it_and_a_near_miss(ruleset, shipped_cases):
    fires = {case.fires for case in shipped_cases if case.fires}
    near = {case.near_miss for case in shipped_cases if case.near_miss}
    ids = {rule.id for rule in ruleset.rules}
    assert ids - fires == set()
    assert ids - near == set()
    report = run_cases(ruleset, shipped_cases)
    assert report.never_fired == () and report.no_near_miss == ()


def test_every_case_says_why(shipped_cases):
    assert all(len(case.why) > 20 for case in shipped_cases)


def test_editing_a_rule_level_fails_the_cases_that_depend_on_it(tmp_path: Path, shipped_cases):
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy)
    text = (copy / "contraindications.toml").read_text()
    block = text.index('id = "toxin_heart_condition"')
    level = text.index('level = "caution"', block)
    (copy / "contraindications.toml").write_text(text[:level] + 'level = "review"' + text[level + 17 :])
    report = run_cases(load_ruleset(copy), shipped_cases)
    failed = {result.case.id for result in report.failures}
    assert failed == {"toxin_heart_condition_fires"}
    message = format_failure(report.failures[0])
    assert "caution.toml: case 'toxin_heart_condition_fires'" in message
    assert "outcome is review, expected caution" in message
    assert "toxin_heart_condition (review, toxin)" in message


def test_a_rule_that_stops_firing_is_named(tmp_path: Path, ruleset):
    (tmp_path / "c.toml").write_text(
        """
[[case]]
id = "nothing_fires"
why = "A made-up expectation that a rule fires on a clear patient."
screening_date = "2025-03-10"
outcome = "caution"
rules = ["upcoming_event"]
treatments = { filler = "caution" }
[case.answers]
date_of_birth = "1990-07-22"
treatment_requested = "filler"
"""
    )
    (result,) = run_cases(ruleset, load_cases(tmp_path)).failures
    assert result.error is not None and "needs an answer" in result.error  # incomplete answers are a failure too


def test_broken_case_files_list_every_problem(tmp_path: Path):
    (tmp_path / "a.toml").write_text(
        """
[[case]]
id = "Bad Id"
screening_date = "10/03/2025"
outcome = "maybe"
rules = "pregnant"
treatments = {}
base = "nobody"
colour = "blue"
"""
    )
    (tmp_path / "b.toml").write_text("[[case]\n")
    with pytest.raises(RuleTestsError) as raised:
        load_cases(tmp_path)
    problems = "\n".join(raised.value.problems)
    for expected in (
        "b.toml: not valid TOML",
        "a.toml: case 'Bad Id': id must be snake_case",
        "unknown field 'colour'",
        "missing why",
        "screening_date must be a date written YYYY-MM-DD (got '10/03/2025')",
        "unknown base 'nobody'",
        "outcome must be one of clear, caution, review, defer, decline (got 'maybe')",
        "rules must be a list",
        "treatments must give the outcome per treatment asked",
    ):
        assert expected in problems


def test_a_case_naming_an_unknown_rule_is_reported(tmp_path: Path, ruleset):
    (tmp_path / "c.toml").write_text(
        """
[[case]]
id = "typo"
why = "The rule id has a typo, which must not pass silently."
screening_date = "2025-03-10"
outcome = "clear"
rules = []
near_miss = "pregnent"
treatments = { toxin = "clear" }
answers = { date_of_birth = "1990-07-22" }
"""
    )
    lines = unknown_rule_ids(ruleset, load_cases(tmp_path))
    assert lines == ["c.toml: case 'typo': names rule 'pregnent', which is not in the rules"]
