"""Visibility in question order, and answers to hidden questions dropped before the rules run (spec section 1.4)."""

from __future__ import annotations

import pytest

from tests.factories import SCREENING_DATE, answers_for, evaluate, expected_visible, normalise

ALWAYS_SHOWN_FOR_NO_ANSWERS = [
    "date_of_birth",
    "treatment_requested",
    "sex_at_birth",
    "pregnant",  # sex_at_birth != "male" is true while sex_at_birth is unanswered (null)
    "breastfeeding",
    "has_allergies",
    "neuro_conditions",
    "blood_thinners",
    "current_medicines",
    "skin_problem_at_site",
    "cold_sore_now",
    "bleeding_disorder",
    "unwell_now",
    "upcoming_event",
    "bdd_diagnosis",
    "appearance_preoccupation",
]
TOXIN_BASELINE_VISIBLE = [
    "date_of_birth",
    "treatment_requested",
    "toxin_areas",
    "sex_at_birth",
    "pregnant",
    "trying_to_conceive",
    "breastfeeding",
    "has_allergies",
    "neuro_conditions",
    "swallow_breath_problems",
    "heart_condition",
    "eye_face_history",
    "blood_thinners",
    "toxin_interacting_meds",
    "current_medicines",
    "skin_problem_at_site",
    "cold_sore_now",
    "bleeding_disorder",
    "previous_toxin",
    "unwell_now",
    "upcoming_event",
    "bdd_diagnosis",
    "appearance_preoccupation",
]
MALE_CHEEK_FILLER_VISIBLE = [
    "date_of_birth",
    "treatment_requested",
    "filler_areas",
    "sex_at_birth",
    "has_allergies",
    "neuro_conditions",
    "blood_thinners",
    "isotretinoin_recent",
    "immunosuppressed",
    "current_medicines",
    "skin_problem_at_site",
    "cold_sore_now",
    "keloid_history",
    "recent_skin_procedure",
    "bleeding_disorder",
    "autoimmune_condition",
    "previous_filler",
    "permanent_filler_or_implant",
    "unwell_now",
    "vaccine_or_dental",
    "upcoming_event",
    "bdd_diagnosis",
    "appearance_preoccupation",
]


@pytest.mark.parametrize(
    ("answers", "visible"),
    [
        # Nothing answered yet: only the unconditional questions, plus those whose condition is true for null.
        ({}, ALWAYS_SHOWN_FOR_NO_ANSWERS),
        # Toxin baseline: toxin questions, pregnancy questions, no filler questions.
        (answers_for("toxin"), TOXIN_BASELINE_VISIBLE),
        # A man wanting cheek filler: no pregnancy questions, no cold-sore history (cheeks are not perioral).
        (answers_for("filler", sex_at_birth="male"), MALE_CHEEK_FILLER_VISIBLE),
    ],
    ids=["nothing-answered", "toxin-baseline", "male-cheek-filler"],
)
def test_visible_ids_for_known_answer_sets(ruleset, answers, visible):
    assert ruleset.questionnaire.visible_ids(answers, SCREENING_DATE) == visible


@pytest.mark.parametrize(
    "raw",
    [
        # Lip flip shows the wind-instrument question; under-eye filler shows the swelling question; lips show the
        # cold-sore history.
        answers_for("both", toxin_areas=["lip_flip"], filler_areas=["lips", "under_eye"]),
        # Allergies "yes" shows the three allergy follow-ups.
        answers_for("toxin", has_allergies="yes", allergy_types=["other"]),
        # Any neuro condition other than none shows the free-text details.
        answers_for("filler", neuro_conditions=["epilepsy"]),
        # Previous toxin shows the date and the adverse-reaction question, which shows its details.
        answers_for("toxin", previous_toxin="yes", previous_adverse_reaction="yes"),
        # Pregnant "yes" hides trying_to_conceive; "not_sure" shows it.
        answers_for("filler", pregnant="yes"),
        answers_for("filler", pregnant="not_sure"),
        # Intersex is still asked about pregnancy.
        answers_for("both", sex_at_birth="intersex"),
        # Previous filler shows the adverse-reaction question for a filler patient.
        answers_for("filler", previous_filler="yes"),
    ],
    ids=[
        "perioral-both",
        "allergies",
        "neuro",
        "previous-toxin",
        "pregnant",
        "pregnancy-unsure",
        "intersex",
        "prev-fil",
    ],
)
def test_visible_ids_match_the_spec_shown_when(ruleset, raw):
    values = normalise(raw).values
    visible = ruleset.questionnaire.visible_ids(values, SCREENING_DATE)

    assert visible == expected_visible(values)
    # Every answered question is visible, and the answers come back in question order.
    assert list(values) == [question_id for question_id in visible if question_id in values]


def test_filler_patient_stale_toxin_answers_are_dropped_and_do_not_count():
    stale = {
        "toxin_areas": ["lip_flip"],
        "wind_instrument": "yes",
        "swallow_breath_problems": "yes",
        "heart_condition": "yes",
        "eye_face_history": ["drooping_lid_or_brow"],
        "toxin_interacting_meds": ["aminoglycoside"],
        "previous_toxin": "yes",
        "last_toxin_date": "2025-02-28",  # 10 days before the screening date
    }
    # Myasthenia gravis is a visible answer, but its rule applies to toxin only.
    raw = answers_for("filler", neuro_conditions=["myasthenia_gravis"], cold_sore_now="yes", **stale)

    answers = normalise(raw)
    evaluation = evaluate(raw)

    assert not set(stale) & set(answers.values)
    assert answers.values["neuro_conditions"] == ["myasthenia_gravis"]
    # No toxin_within_90_days, no wind instrument, no lip-flip cold sore, no interacting medicine, no MG decline.
    assert evaluation.rule_ids == []
    assert evaluation.outcome == "clear"
    assert evaluation.treatments == {"filler": "clear"}


def test_male_who_answers_pregnant_yes_is_not_deferred():
    raw = answers_for("toxin", sex_at_birth="male", pregnant="yes", breastfeeding="yes")

    assert "pregnant" not in normalise(raw).values
    assert "breastfeeding" not in normalise(raw).values
    evaluation = evaluate(raw)
    assert evaluation.outcome == "clear"
    assert "pregnant" not in evaluation.rule_ids


def test_changing_treatment_hides_the_other_treatments_questions():
    both = answers_for("both", toxin_areas=["lip_flip"], wind_instrument="yes", filler_areas=["nose"])
    assert set(evaluate(both).rule_ids) == {"toxin_lip_flip_wind_instrument", "filler_nose"}

    # The patient switches to toxin: the filler answers are still in the submission but hidden.
    now_toxin = {**both, "treatment_requested": "toxin"}
    values = normalise(now_toxin).values
    assert not {"filler_areas", "keloid_history", "vaccine_or_dental", "permanent_filler_or_implant"} & set(values)
    assert evaluate(now_toxin).rule_ids == ["toxin_lip_flip_wind_instrument"]

    # ... or to filler: the toxin answers are hidden instead.
    now_filler = {**both, "treatment_requested": "filler"}
    values = normalise(now_filler).values
    assert not {"toxin_areas", "wind_instrument", "swallow_breath_problems", "previous_toxin"} & set(values)
    assert evaluate(now_filler).rule_ids == ["filler_nose"]


def test_a_hidden_answer_cannot_show_a_later_question():
    # previous_toxin is hidden for a filler patient, so its stale "yes" must not show previous_adverse_reaction.
    raw = answers_for("filler", previous_toxin="yes", previous_adverse_reaction="yes")

    values = normalise(raw).values
    assert "previous_toxin" not in values
    assert "previous_adverse_reaction" not in values
    assert evaluate(raw).rule_ids == []


def test_visibility_is_worked_out_in_question_order_not_submission_order():
    raw = answers_for("filler", pregnant="not_sure", trying_to_conceive="yes", filler_areas=["lips"])
    reversed_raw = dict(reversed(list(raw.items())))

    assert normalise(reversed_raw).values == normalise(raw).values
    assert list(normalise(reversed_raw).values) == list(normalise(raw).values)
    assert set(evaluate(reversed_raw).rule_ids) == {"pregnancy_unsure", "trying_to_conceive"}


def test_visible_ids_are_in_questionnaire_order(ruleset):
    form_order = [question.id for question in ruleset.questionnaire.questions]
    values = normalise(answers_for("both", toxin_areas=["lip_flip"], filler_areas=["under_eye", "lips"])).values

    visible = ruleset.questionnaire.visible_ids(values, SCREENING_DATE)

    assert visible == sorted(visible, key=form_order.index)
    assert {"wind_instrument", "under_eye_swelling", "cold_sore_history"} <= set(visible)
