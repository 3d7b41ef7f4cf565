"""Overrides as data: what may be raised, lowered or switched off, and what the rule set becomes."""

from __future__ import annotations

from datetime import date

import pytest

from screening.domain import RulesError, evaluate_screening
from screening.domain.overrides import apply_overrides, overrides_by_rule, parse_overrides, shipped_of


def overridden(ruleset, text):
    return apply_overrides(ruleset, parse_overrides(text, ruleset))


def test_no_overrides_keep_the_shipped_rule_set_and_version(ruleset):
    same = overridden(ruleset, "")
    assert same is ruleset and shipped_of(same) is ruleset and overrides_by_rule(same) == {}


def test_raising_lowering_and_switching_off_change_levels_and_the_version(ruleset):
    text = """
[rules.upcoming_event]
level = "decline"

[rules.filler_keloid]
level = "caution"
reason = "Products licensed for it; scars checked in person."

[rules.toxin_heart_condition]
enabled = false
reason = "Asked at every consultation."
"""
    changed = overridden(ruleset, text)
    assert changed.rule("upcoming_event").level == "decline"
    assert changed.rule("filler_keloid").level == "caution"
    assert "toxin_heart_condition" not in {rule.id for rule in changed.rules}
    assert len(changed.rules) == len(ruleset.rules) - 1
    assert changed.version != ruleset.version and shipped_of(changed) is ruleset
    assert overridden(ruleset, text).version == changed.version  # the same overrides give the same version
    reworded = text.replace("Asked at every consultation.", "Asked at every visit.")
    assert overridden(ruleset, reworded).version != changed.version  # the reason is part of the version
    by_rule = overrides_by_rule(changed)
    assert by_rule["upcoming_event"].describe() == "raised from caution to decline"
    assert by_rule["toxin_heart_condition"].describe() == "switched off (reason: Asked at every consultation.)"
    assert ruleset.rule("upcoming_event").level == "caution"  # the shipped rule set is untouched


def test_the_overridden_rule_set_judges_with_the_new_levels(ruleset):
    changed = overridden(ruleset, '[rules.toxin_heart_condition]\nlevel = "review"\n')
    answers = ruleset.questionnaire.normalise(
        {
            "date_of_birth": "1990-07-22",
            "treatment_requested": "both",
            "toxin_areas": ["forehead"],
            "filler_areas": ["cheeks"],
            "sex_at_birth": "male",
            "has_allergies": "no",
            "neuro_conditions": ["none"],
            "swallow_breath_problems": "no",
            "heart_condition": "yes",
            "eye_face_history": ["none"],
            "blood_thinners": ["none"],
            "toxin_interacting_meds": ["none"],
            "isotretinoin_recent": "no",
            "immunosuppressed": "no",
            "skin_problem_at_site": ["none"],
            "cold_sore_now": "no",
            "keloid_history": "no",
            "recent_skin_procedure": "no",
            "bleeding_disorder": "no",
            "autoimmune_condition": "no",
            "previous_toxin": "no",
            "previous_filler": "no",
            "permanent_filler_or_implant": "no",
            "unwell_now": "no",
            "vaccine_or_dental": ["none"],
            "upcoming_event": "no",
            "bdd_diagnosis": "no",
            "appearance_preoccupation": "no",
        },
        date(2025, 3, 10),
    )
    assert evaluate_screening(ruleset, answers).treatments == {"toxin": "caution", "filler": "clear"}
    assert evaluate_screening(changed, answers).treatments == {"toxin": "review", "filler": "clear"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[rules.toxin_allergy]\nlevel = "defer"\nreason = "x"\n',
            "a decline rule can never be lowered (asked: defer)",
        ),
        ('[rules.unwell_now]\nlevel = "review"\nreason = "x"\n', "a defer rule can never be lowered (asked: review)"),
        ('[rules.unwell_now]\nenabled = false\nreason = "x"\n', "a defer rule can never be switched off"),
        ('[rules.filler_nose]\nenabled = false\nreason = "x"\n', "only a caution rule can be switched off"),
        ('[rules.filler_nose]\nlevel = "caution"\nreason = "  "\n', "lowering a rule from review to caution needs a"),
        ("[rules.upcoming_event]\nenabled = false\n", "switching a rule off needs a reason"),
        ('[rules.upcoming_event]\nlevel = "caution"\n', "is caution already; remove the override"),
        ('[rules.upcoming_event]\nlevel = "severe"\n', "unknown level 'severe'"),
        ('[rules.upcoming_event]\nlevel = "review"\nenabled = false\n', "give either level or enabled = false"),
        ('[rules.upcoming_event]\nlevel = "review"\ncolour = "red"\n', "unknown field 'colour'"),
        ('[rules.upcoming_event]\nreason = "x"\n', 'give level = "..."'),
        ('[rule.upcoming_event]\nlevel = "review"\n', "unknown table 'rule'"),
    ],
)
def test_refusals_name_the_rule(ruleset, text, problem):
    with pytest.raises(RulesError) as raised:
        parse_overrides(text, ruleset, "instance/overrides.toml")
    assert problem in str(raised.value)
    assert "instance/overrides.toml" in str(raised.value)
