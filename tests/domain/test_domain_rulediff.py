"""`diff_rulesets`: questions, rules and sources added, removed and changed, in words; conditions in plain words."""

from __future__ import annotations

from pathlib import Path

from screening.domain import load_ruleset
from screening.domain.plain import describe
from screening.domain.rulediff import diff_rulesets


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_identical_rules_have_no_differences(ruleset):
    result = diff_rulesets(ruleset, ruleset)
    assert result.empty
    assert result.lines() == ["No differences in questions, rules or sources."]


def test_spacing_in_a_condition_is_no_change(ruleset, rules_copy):
    edit(rules_copy / "contraindications.toml", "condition = 'age_years < 18'", "condition = 'age_years  <  18'")
    assert diff_rulesets(ruleset, load_ruleset(rules_copy)).empty


def test_level_condition_message_and_sources_changes_are_described(ruleset, rules_copy):
    rules = rules_copy / "contraindications.toml"
    text = rules.read_text()
    start = text.index('id = "toxin_heart_condition"')
    level = text.index('level = "caution"', start)
    rules.write_text(text[:level] + 'level = "review"' + text[level + len('level = "caution"') :])
    edit(rules, "condition = 'toxin and age_years >= 65'", "condition = 'toxin and age_years >= 70'")
    edit(rules, 'sources = ["S21"]', 'sources = ["S21", "S04"]')
    heart = '"Thank you. Your clinician will take your heart condition into account."'
    edit(rules, heart, '"Your clinician will ask."')
    lines = "\n".join(diff_rulesets(ruleset, load_ruleset(rules_copy)).lines())
    assert "Rule 'toxin_heart_condition' changed:\n  - Level raised from caution to review" in lines
    assert "Patient message was “Thank you. Your clinician will take your heart condition into account.”" in lines
    assert "  - Fired when anti-wrinkle injections (toxin) are asked for and the patient is 65 or over" in lines
    assert "  - Now fires when anti-wrinkle injections (toxin) are asked for and the patient is 70 or over" in lines
    assert "Rule 'toxin_underarm_hyperhidrosis' changed:\n  - Cites S04 (" in lines
    assert "toxin_age_65_plus" in lines and "age_years" not in lines  # words, not the condition language


def test_rules_and_questions_added_and_removed(ruleset, rules_copy):
    rules = rules_copy / "contraindications.toml"
    text = rules.read_text()
    start = text.index('[[rule]]\nid = "upcoming_event"')
    rules.write_text(
        text[:start]
        + """[[rule]]
id = "toxin_neck"
level = "caution"
applies = "toxin"
condition = 'toxin and has_any(toxin_areas, "neck")'
patient_message = "Your clinician will talk to you about neck treatment."
rationale = "Neck bands: take care with swallowing."
sources = ["S07"]
"""
    )
    lines = diff_rulesets(ruleset, load_ruleset(rules_copy)).lines()
    assert "Rule 'toxin_neck' added:" in lines
    assert "  - Level caution, for anti-wrinkle injections (toxin)" in lines
    assert (
        "  - Fires when anti-wrinkle injections (toxin) are asked for and “Neck bands” is ticked in answer to"
        " “Which areas would you like anti-wrinkle injections in?”"
    ) in lines
    assert "Rule 'upcoming_event' removed:" in lines
    back = diff_rulesets(load_ruleset(rules_copy), ruleset).lines()
    assert "Rule 'toxin_neck' removed:" in back and "Rule 'upcoming_event' added:" in back


def test_question_wording_and_options_changes(ruleset, rules_copy):
    edit(
        rules_copy / "questionnaire.toml",
        '{ id = "temples", label = "Temples" }',
        '{ id = "temples", label = "Temples (sides of the forehead)" }, { id = "neck", label = "Neck" }',
    )
    edit(
        rules_copy / "questionnaire.toml",
        'text = "Do you have a cold sore at the moment?"',
        'text = "Do you have a cold sore today?"',
    )
    lines = diff_rulesets(ruleset, load_ruleset(rules_copy)).lines()
    assert "Question 'filler_areas' changed:" in lines
    assert "  - Option “Temples” now reads “Temples (sides of the forehead)”" in lines
    assert "  - New option “Neck”" in lines
    assert "  - Wording was “Do you have a cold sore at the moment?”, now “Do you have a cold sore today?”" in lines


def test_plain_words_for_every_shipped_condition_name_no_ids(ruleset):
    for rule in ruleset.rules:
        words = describe(rule.condition.tree, ruleset.questionnaire)
        assert "has_any" not in words and "==" not in words and "_" not in words.replace("'lip flip'", ""), rule.id
    days = describe(ruleset.rule("toxin_within_90_days").condition.tree, ruleset.questionnaire)
    assert "fewer than 90 days have passed from the date given for “When was your most recent" in days
    cold = describe(ruleset.rule("active_cold_sore_perioral").condition.tree, ruleset.questionnaire)
    assert " and either (dermal filler is asked for and " in cold and ") or (anti-wrinkle" in cold
