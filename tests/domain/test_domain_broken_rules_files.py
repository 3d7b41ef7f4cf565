"""A broken rules file is refused with problems that name the file, the rule or question, and what is wrong.

Each test copies the shipped rules to a temporary folder and breaks one thing with a plain text replacement.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.domain import RulesError, load_ruleset

QUESTIONNAIRE = "questionnaire.toml"
RULES = "contraindications.toml"
SOURCES = "sources.toml"


def edit(directory: Path, file: str, old: str, new: str) -> None:
    """Replace text that occurs exactly once, so a test cannot silently break nothing."""
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(RulesError) as raised:
        load_ruleset(directory)
    problems = raised.value.problems
    assert problems
    assert all(problem in str(raised.value) for problem in problems)
    return problems


def assert_problem(problems: list[str], *fragments: str) -> None:
    """Some single problem string contains every fragment."""
    assert any(all(fragment in problem for fragment in fragments) for problem in problems), problems


def test_the_unbroken_copy_loads(rules_copy):
    assert len(load_ruleset(rules_copy).rules) == 45


def test_unknown_question_in_a_rule_condition(rules_copy):
    edit(
        rules_copy,
        RULES,
        """condition = 'toxin and heart_condition == "yes"'""",
        """condition = 'toxin and heart_problem == "yes"'""",
    )

    assert_problem(
        problems_of(rules_copy),
        "contraindications.toml",
        "rule 'toxin_heart_condition'",
        "unknown question 'heart_problem'",
    )


def test_option_the_question_does_not_have(rules_copy):
    edit(
        rules_copy,
        RULES,
        """condition = 'toxin and swallow_breath_problems == "yes"'""",
        """condition = 'toxin and swallow_breath_problems == "sometimes"'""",
    )

    assert_problem(
        problems_of(rules_copy),
        "contraindications.toml",
        "rule 'toxin_swallow_breathing'",
        "swallow_breath_problems",
        '"sometimes"',
    )


def test_option_missing_from_a_multi_choice_question(rules_copy):
    edit(
        rules_copy,
        RULES,
        """condition = 'toxin and has_any(toxin_areas, "underarms")'""",
        """condition = 'toxin and has_any(toxin_areas, "armpits")'""",
    )

    assert_problem(problems_of(rules_copy), RULES, "rule 'toxin_underarm_hyperhidrosis'", "toxin_areas", '"armpits"')


def test_shown_when_referring_to_a_later_question(rules_copy):
    edit(
        rules_copy,
        QUESTIONNAIRE,
        """shown_when = 'toxin and has_any(toxin_areas, "lip_flip")'""",
        """shown_when = 'toxin and has_any(toxin_areas, "lip_flip") and upcoming_event == "yes"'""",
    )

    assert_problem(
        problems_of(rules_copy), "questionnaire.toml", "question 'wind_instrument'", "upcoming_event", "not earlier"
    )


def test_shown_when_referring_to_the_question_itself(rules_copy):
    edit(
        rules_copy,
        QUESTIONNAIRE,
        """shown_when = 'filler and has_any(filler_areas, "under_eye")'""",
        """shown_when = 'filler and under_eye_swelling == "yes"'""",
    )

    assert_problem(problems_of(rules_copy), QUESTIONNAIRE, "question 'under_eye_swelling'", "not earlier")


def test_duplicate_rule_id(rules_copy):
    edit(rules_copy, RULES, 'id = "breastfeeding"', 'id = "pregnant"')

    assert_problem(problems_of(rules_copy), "contraindications.toml", "rule 'pregnant'", "duplicate rule id")


def test_duplicate_question_id(rules_copy):
    edit(rules_copy, QUESTIONNAIRE, 'id = "heart_condition"', 'id = "swallow_breath_problems"')

    assert_problem(
        problems_of(rules_copy), "questionnaire.toml", "question 'swallow_breath_problems'", "duplicate question id"
    )


def test_unknown_level(rules_copy):
    edit(rules_copy, RULES, 'id = "upcoming_event"\nlevel = "caution"', 'id = "upcoming_event"\nlevel = "warning"')

    assert_problem(
        problems_of(rules_copy), "contraindications.toml", "rule 'upcoming_event'", "unknown level", "warning"
    )


def test_unknown_applies(rules_copy):
    edit(
        rules_copy,
        RULES,
        'id = "filler_nose"\nlevel = "review"\napplies = "filler"',
        'id = "filler_nose"\nlevel = "review"\napplies = "fillers"',
    )

    assert_problem(problems_of(rules_copy), RULES, "rule 'filler_nose'", "unknown applies", "fillers")


def test_missing_patient_message(rules_copy):
    edit(
        rules_copy,
        RULES,
        'patient_message = "Please book again once you\'re feeling better and any infection has cleared."\n',
        "",
    )

    assert_problem(problems_of(rules_copy), "contraindications.toml", "rule 'unwell_now'", "missing patient_message")


def test_missing_rationale(rules_copy):
    edit(rules_copy, RULES, 'rationale = "Perioral toxin', '# rationale = "Perioral toxin')  # comment the line out

    assert_problem(problems_of(rules_copy), RULES, "rule 'toxin_lip_flip_wind_instrument'", "missing rationale")


def test_condition_with_an_unbalanced_parenthesis(rules_copy):
    edit(rules_copy, RULES, """condition = 'upcoming_event == "yes"'""", """condition = '(upcoming_event == "yes"'""")

    assert_problem(problems_of(rules_copy), "contraindications.toml", "rule 'upcoming_event'", "condition", "')'")


def test_condition_with_a_single_quoted_string(rules_copy):
    edit(rules_copy, RULES, """condition = 'upcoming_event == "yes"'""", """condition = "upcoming_event == 'yes'\"""")

    assert_problem(
        problems_of(rules_copy), "contraindications.toml", "rule 'upcoming_event'", "condition", "double quotes"
    )


def test_condition_with_python_instead_of_the_condition_language(rules_copy):
    edit(
        rules_copy,
        RULES,
        """condition = 'upcoming_event == "yes"'""",
        """condition = '__import__("os").system("true")'""",
    )

    assert_problem(problems_of(rules_copy), RULES, "rule 'upcoming_event'", "condition")


def test_unknown_source_key(rules_copy):
    edit(rules_copy, RULES, 'sources = ["S21"]', 'sources = ["S99"]')

    assert_problem(
        problems_of(rules_copy), "contraindications.toml", "rule 'toxin_underarm_hyperhidrosis'", "unknown source 'S99'"
    )


def test_unknown_field_in_a_question(rules_copy):
    edit(
        rules_copy,
        QUESTIONNAIRE,
        """shown_when = 'filler and has_any(filler_areas, "under_eye")'""",
        """shown_wen = 'filler and has_any(filler_areas, "under_eye")'""",
    )

    assert_problem(
        problems_of(rules_copy), "questionnaire.toml", "question 'under_eye_swelling'", "unknown field 'shown_wen'"
    )


def test_unknown_field_in_a_rule(rules_copy):
    edit(
        rules_copy,
        RULES,
        'id = "filler_nose"\nlevel = "review"',
        'id = "filler_nose"\nlevle = "review"\nlevel = "review"',
    )

    assert_problem(problems_of(rules_copy), RULES, "rule 'filler_nose'", "unknown field 'levle'")


def test_invalid_toml_syntax(rules_copy):
    edit(rules_copy, RULES, 'id = "upcoming_event"', 'id = "upcoming_event')

    assert_problem(problems_of(rules_copy), "contraindications.toml", "not valid TOML")


@pytest.mark.parametrize("missing", [QUESTIONNAIRE, RULES, SOURCES])
def test_missing_file(rules_copy, missing):
    (rules_copy / missing).unlink()

    assert_problem(problems_of(rules_copy), missing, "not found")


def test_unknown_placeholder_in_a_message(rules_copy):
    edit(rules_copy, RULES, "{last_toxin_date + 90 days}", "{next_visit + 90 days}")

    assert_problem(
        problems_of(rules_copy),
        "contraindications.toml",
        "rule 'toxin_within_90_days'",
        "unknown placeholder {next_visit + 90 days}",
    )


def test_placeholder_on_a_question_that_is_not_a_date(rules_copy):
    edit(rules_copy, RULES, "{last_toxin_date + 90 days}", "{previous_toxin + 90 days}")

    assert_problem(problems_of(rules_copy), RULES, "rule 'toxin_within_90_days'", "placeholder", "previous_toxin")


def test_every_problem_is_listed_not_just_the_first(rules_copy):
    edit(rules_copy, RULES, 'sources = ["S21"]', 'sources = ["S99"]')
    edit(rules_copy, RULES, 'id = "upcoming_event"\nlevel = "caution"', 'id = "upcoming_event"\nlevel = "warning"')
    edit(rules_copy, QUESTIONNAIRE, 'id = "heart_condition"', 'id = "swallow_breath_problems"')

    problems = problems_of(rules_copy)

    assert_problem(problems, RULES, "unknown source 'S99'")
    assert_problem(problems, RULES, "unknown level")
    assert_problem(problems, QUESTIONNAIRE, "duplicate question id")
