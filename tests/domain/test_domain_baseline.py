"""The baseline patient of the factories: a complete, valid, all-"no" answer set that screens clear."""

from __future__ import annotations

from datetime import date

import pytest

from screening.domain.questionnaire import age_in_years
from tests.factories import BASELINE_DOB as BIRTH_DATE
from tests.factories import SCREENING_DATE, answers_for, evaluate, expected_visible, normalise

BASELINE_DOB = BIRTH_DATE.isoformat()  # as the answers send it

EXPECTED_TREATMENTS = {
    "toxin": {"toxin": "clear"},
    "filler": {"filler": "clear"},
    "both": {"toxin": "clear", "filler": "clear"},
}


def test_baseline_patient_is_34_on_the_screening_date():
    assert age_in_years(date.fromisoformat(BASELINE_DOB), SCREENING_DATE) == 34


@pytest.mark.parametrize("treatment", ["toxin", "filler", "both"])
def test_baseline_is_clear_with_no_fired_rules(treatment):
    evaluation = evaluate(answers_for(treatment))

    assert evaluation.outcome == "clear"
    assert evaluation.fired == ()
    assert evaluation.rule_ids == []
    assert evaluation.messages == ()
    assert evaluation.engine_errors == ()
    assert evaluation.treatments == EXPECTED_TREATMENTS[treatment]


@pytest.mark.parametrize("treatment", ["toxin", "filler", "both"])
def test_baseline_answers_every_visible_required_question_and_nothing_else(treatment, ruleset):
    raw = answers_for(treatment)
    answers = normalise(raw)

    # Nothing was dropped (no stale answers) and nothing is missing (normalise requires completeness).
    assert answers.values == raw
    visible = ruleset.questionnaire.visible_ids(answers.values, SCREENING_DATE)
    required = [q for q in visible if not ruleset.questionnaire.question(q).optional]
    assert list(raw) == required


def test_baseline_toxin_questions_match_the_spec_visibility():
    # The toxin baseline asks the toxin-only questions and none of the filler-only ones.
    raw = answers_for("toxin")
    assert {"toxin_areas", "swallow_breath_problems", "toxin_interacting_meds", "previous_toxin"} <= set(raw)
    assert not {"filler_areas", "isotretinoin_recent", "keloid_history", "vaccine_or_dental"} & set(raw)
    assert list(raw) == [q for q in expected_visible(raw) if q in raw]


def test_factory_sends_overrides_even_for_hidden_questions():
    # A stale answer must reach the server so that the tests can check the server drops it.
    raw = answers_for("filler", toxin_areas=["lip_flip"])
    assert raw["toxin_areas"] == ["lip_flip"]
    assert "toxin_areas" not in normalise(raw).values


def test_factory_rejects_an_unknown_treatment():
    with pytest.raises(ValueError, match="treatment"):
        answers_for("laser")
