"""A rule whose condition raises is never read as "nothing found": the screening goes to a clinician."""

from __future__ import annotations

import dataclasses

import pytest

from screening.domain import SEVERITY
from tests.factories import answers_for, evaluate


def broken(ruleset, *rule_ids: str):
    """The shipped rules with the named rules' conditions replaced by one that raises.

    Rules and conditions are frozen dataclasses, so the fault is patched into a copy (dataclasses.replace) rather than
    with monkeypatch.setattr; the session-wide ruleset stays untouched.
    """

    def boom(env):
        raise TypeError("simulated fault in a compiled condition")

    def break_rule(rule):
        if rule.id not in rule_ids:
            return rule
        return dataclasses.replace(rule, condition=dataclasses.replace(rule.condition, test=boom))

    return dataclasses.replace(ruleset, rules=tuple(break_rule(rule) for rule in ruleset.rules))


@pytest.mark.parametrize("treatment", ["toxin", "filler", "both"])
def test_a_faulty_rule_makes_a_clear_screening_go_to_review(ruleset, treatment):
    evaluation = evaluate(answers_for(treatment), ruleset=broken(ruleset, "upcoming_event"))

    assert evaluation.engine_errors == ("upcoming_event",)
    assert evaluation.outcome == "review"
    assert set(evaluation.treatments.values()) == {"review"}
    assert "upcoming_event" not in evaluation.rule_ids
    assert evaluation.messages  # the patient is told something, not nothing


def test_a_faulty_rule_does_not_hide_the_other_rules(ruleset):
    raw = answers_for("toxin", date_of_birth="2007-03-11", heart_condition="yes")

    evaluation = evaluate(raw, ruleset=broken(ruleset, "bdd_concern"))

    assert evaluation.engine_errors == ("bdd_concern",)
    assert evaluation.rule_ids == ["age_under_18", "toxin_heart_condition"]
    assert evaluation.outcome == "decline"  # more severe than the review a fault forces


def test_a_fault_lifts_a_caution_to_review(ruleset):
    evaluation = evaluate(answers_for("toxin", heart_condition="yes"), ruleset=broken(ruleset, "pregnant"))

    assert evaluation.rule_ids == ["toxin_heart_condition"]
    assert evaluation.outcome == "review"
    assert evaluation.treatments == {"toxin": "review"}


def test_a_fault_in_a_rule_that_would_have_fired_is_still_never_clear(ruleset):
    raw = answers_for("filler", keloid_history="yes")

    evaluation = evaluate(raw, ruleset=broken(ruleset, "filler_keloid"))

    assert evaluation.engine_errors == ("filler_keloid",)
    assert SEVERITY[evaluation.outcome] >= SEVERITY["review"]
    assert evaluation.treatments == {"filler": "review"}


def test_every_faulty_rule_is_reported(ruleset):
    evaluation = evaluate(answers_for("both"), ruleset=broken(ruleset, "filler_nose", "age_under_18", "unwell_now"))

    # In rule-file order.
    assert evaluation.engine_errors == ("age_under_18", "unwell_now", "filler_nose")
    assert evaluation.outcome == "review"


def unrenderable(monkeypatch, *rule_ids: str):
    """Every message of the named rules fails to render (a placeholder that cannot be filled), as a broken rules
    file or an unexpected answer might make it."""
    from screening.domain import rules

    render = rules.Message.render

    def failing(message, env):
        if any(rule.patient_message is message for rule in broken_for):
            raise KeyError("simulated placeholder that is missing")
        return render(message, env)

    broken_for: list = []
    monkeypatch.setattr(rules.Message, "render", failing)
    return broken_for


def test_a_message_that_cannot_be_rendered_sends_the_screening_to_a_clinician(ruleset, monkeypatch):
    unrenderable(monkeypatch).append(ruleset.rule("toxin_heart_condition"))

    evaluation = evaluate(answers_for("toxin", heart_condition="yes"), ruleset=ruleset)

    assert evaluation.engine_errors == ("toxin_heart_condition",)
    assert evaluation.outcome == "review" and evaluation.treatments == {"toxin": "review"}
    assert evaluation.rule_ids == ["toxin_heart_condition"]  # it fired: its reason is kept for the clinician
    assert evaluation.messages and not any("{" in message for message in evaluation.messages)


def test_an_unrenderable_message_never_lowers_what_its_rule_decides(ruleset, monkeypatch):
    unrenderable(monkeypatch).append(ruleset.rule("age_under_18"))

    evaluation = evaluate(answers_for("toxin", date_of_birth="2007-03-11"), ruleset=ruleset)

    assert evaluation.engine_errors == ("age_under_18",)
    assert evaluation.outcome == "decline"
