"""The shared baseline answers (tests/factories.py) against the domain tests' independent visibility oracle."""

from __future__ import annotations

import pytest

from tests.factories import SCREENING_DATE, TREATMENTS, answers_for, baseline_answers, evaluate, expected_visible


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_baseline_answers_exactly_the_questions_the_spec_shows(treatment):
    answers = baseline_answers(treatment)

    assert sorted(answers) == sorted(q for q in expected_visible(answers) if q != "current_medicines")
    assert answers == answers_for(treatment)


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_baseline_patient_is_34_and_clear(treatment):
    evaluation = evaluate(baseline_answers(treatment), SCREENING_DATE)

    assert evaluation.outcome == "clear"
    assert list(evaluation.rule_ids) == []
    assert baseline_answers(treatment)["date_of_birth"] == "1990-07-22"


def test_overrides_replace_and_none_removes():
    answers = baseline_answers("toxin", heart_condition="yes", previous_toxin=None)

    assert answers["heart_condition"] == "yes"
    assert "previous_toxin" not in answers
    assert baseline_answers("toxin")["heart_condition"] == "no"  # the shared dicts were not changed
    with pytest.raises(ValueError, match="treatment"):
        baseline_answers("laser")
