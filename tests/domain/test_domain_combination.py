"""How fired rules combine (spec section 2): most severe level wins, every fired rule is kept, messages most severe
first without duplicates, rules in rule-file order."""

from __future__ import annotations

import dataclasses

import pytest

from screening.domain import SEVERITY
from tests.factories import answers_for, evaluate

# A toxin patient with one reason at every level (rule-file order in brackets):
#   toxin_nmj_contraindicated (3) decline, pregnant (7) defer, bdd_concern (29) review,
#   toxin_heart_condition (31), anticoagulant_antiplatelet (37) and upcoming_event (45) caution.
EVERY_LEVEL = {
    "neuro_conditions": ["myasthenia_gravis"],
    "pregnant": "yes",
    "bdd_diagnosis": "yes",
    "heart_condition": "yes",
    "blood_thinners": ["anticoagulant"],
    "upcoming_event": "yes",
}
EVERY_LEVEL_RULES = [
    "toxin_nmj_contraindicated",
    "pregnant",
    "bdd_concern",
    "toxin_heart_condition",
    "anticoagulant_antiplatelet",
    "upcoming_event",
]


def without(*keys: str) -> dict:
    return {key: value for key, value in EVERY_LEVEL.items() if key not in keys}


@pytest.mark.parametrize(
    ("overrides", "outcome"),
    [
        # One reason at every level: decline is the most severe.
        (EVERY_LEVEL, "decline"),
        # Without the decline, the defer is the most severe left.
        (without("neuro_conditions"), "defer"),
        # Without decline and defer: review.
        (without("neuro_conditions", "pregnant"), "review"),
        # Only cautions left: caution.
        (without("neuro_conditions", "pregnant", "bdd_diagnosis"), "caution"),
        # Nothing fired: clear.
        ({}, "clear"),
    ],
)
def test_outcome_is_the_most_severe_fired_level(overrides, outcome):
    evaluation = evaluate(answers_for("toxin", **overrides))

    assert evaluation.outcome == outcome
    assert evaluation.outcome == max(
        (fired.rule.level for fired in evaluation.fired), key=SEVERITY.__getitem__, default="clear"
    )


def test_every_fired_rule_is_kept_even_under_a_decline(ruleset):
    evaluation = evaluate(answers_for("toxin", **EVERY_LEVEL))

    # The cautions are still listed under a decline, for the clinician and for rebooking.
    assert evaluation.rule_ids == EVERY_LEVEL_RULES
    assert [fired.rule.level for fired in evaluation.fired] == [
        "decline",
        "defer",
        "review",
        "caution",
        "caution",
        "caution",
    ]
    assert all(fired.rule is ruleset.rule(fired.rule.id) for fired in evaluation.fired)


def test_messages_are_most_severe_first_then_in_rule_file_order(ruleset):
    evaluation = evaluate(answers_for("toxin", **EVERY_LEVEL))

    expected = tuple(ruleset.rule(rule_id).patient_message.text for rule_id in EVERY_LEVEL_RULES)
    assert evaluation.messages == expected


def test_messages_order_by_severity_even_when_the_rule_file_does_not(ruleset):
    # The shipped file happens to be sorted by level, so reverse it: fired rules then follow the reversed file, but
    # the messages must still come most severe first (file order only breaks ties within a level).
    reversed_rules = dataclasses.replace(ruleset, rules=tuple(reversed(ruleset.rules)))

    evaluation = evaluate(answers_for("toxin", **EVERY_LEVEL), ruleset=reversed_rules)

    assert evaluation.rule_ids == list(reversed(EVERY_LEVEL_RULES))
    assert evaluation.outcome == "decline"
    assert evaluation.messages == tuple(
        ruleset.rule(rule_id).patient_message.text
        for rule_id in [
            "toxin_nmj_contraindicated",
            "pregnant",
            "bdd_concern",
            # the cautions, in the (reversed) file order
            "upcoming_event",
            "anticoagulant_antiplatelet",
            "toxin_heart_condition",
        ]
    )


def test_rule_ids_follow_the_rule_file_whatever_the_answer_order(ruleset):
    raw = answers_for("both", **EVERY_LEVEL, filler_areas=["nose"], keloid_history="yes")
    reversed_raw = dict(reversed(list(raw.items())))

    forwards, backwards = evaluate(raw), evaluate(reversed_raw)

    file_order = [rule.id for rule in ruleset.rules]
    assert forwards.rule_ids == backwards.rule_ids
    assert forwards.rule_ids == sorted(forwards.rule_ids, key=file_order.index)
    assert forwards.messages == backwards.messages


def test_duplicate_messages_are_shown_once_but_both_rules_are_kept(ruleset):
    # No two shipped rules share a message, so give filler_keloid the message of filler_autoimmune.
    shared = ruleset.rule("filler_autoimmune").patient_message
    rules = tuple(
        dataclasses.replace(rule, patient_message=shared) if rule.id == "filler_keloid" else rule
        for rule in ruleset.rules
    )
    twin = dataclasses.replace(ruleset, rules=rules)

    evaluation = evaluate(
        answers_for("filler", autoimmune_condition="yes", keloid_history="yes", upcoming_event="yes"), ruleset=twin
    )

    assert evaluation.rule_ids == ["filler_autoimmune", "filler_keloid", "upcoming_event"]
    assert evaluation.messages == (shared.text, ruleset.rule("upcoming_event").patient_message.text)


def test_fired_messages_are_the_rules_patient_messages(ruleset):
    evaluation = evaluate(answers_for("toxin", **EVERY_LEVEL))

    for fired in evaluation.fired:
        assert fired.message == ruleset.rule(fired.rule.id).patient_message.text  # no placeholder in these rules
        assert fired.message in evaluation.messages


def test_treatment_outcomes_cover_only_the_requested_treatments():
    assert set(evaluate(answers_for("toxin", **EVERY_LEVEL)).treatments) == {"toxin"}
    assert set(evaluate(answers_for("filler", unwell_now="yes")).treatments) == {"filler"}
    assert set(evaluate(answers_for("both", unwell_now="yes")).treatments) == {"toxin", "filler"}


def test_per_treatment_outcome_uses_only_rules_that_apply_to_it():
    # Both: MG declines toxin only; keloid is a filler review; pregnant (any) defers both.
    evaluation = evaluate(answers_for("both", neuro_conditions=["myasthenia_gravis"], keloid_history="yes"))
    assert evaluation.outcome == "decline"
    assert evaluation.treatments == {"toxin": "decline", "filler": "review"}

    evaluation = evaluate(
        answers_for("both", neuro_conditions=["myasthenia_gravis"], keloid_history="yes", pregnant="yes")
    )
    assert evaluation.treatments == {"toxin": "decline", "filler": "defer"}
