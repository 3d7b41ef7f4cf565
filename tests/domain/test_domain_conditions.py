"""The condition language (spec 1.3): precedence, null semantics, type checks, and no eval/exec anywhere."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from screening.domain.conditions import (
    ConditionError,
    QuestionShape,
    compile_condition,
    days_between,
    parse,
    tree_to_json,
)
from tests.factories import PROJECT_DIR

SHAPES = {
    shape.id: shape
    for shape in (
        QuestionShape("a", "yes_no", ("yes", "no")),
        QuestionShape("b", "yes_no", ("yes", "no")),
        QuestionShape("c", "yes_no", ("yes", "no")),
        QuestionShape("sex", "single", ("female", "male", "intersex")),
        QuestionShape("areas", "multi", ("lips", "cheeks", "nose", "none")),
        QuestionShape("born", "date", ()),
        QuestionShape("last", "date", ()),
        QuestionShape("notes", "text", ()),
    )
}


def holds(text: str, **env) -> bool:
    """Compile against SHAPES and evaluate; unanswered names are simply absent from env (null)."""
    if "areas" in env and env["areas"] is not None:
        env["areas"] = frozenset(env["areas"])
    return compile_condition(text, SHAPES)(env)


# ---------------------------------------------------------------------------------------------------------------------
# Parsing and precedence


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # not binds tighter than and, and tighter than or.
        (
            "a or b and not c",
            ["or", ["name", "a"], ["and", ["name", "b"], ["not", ["name", "c"]]]],
        ),
        # Parentheses override precedence.
        (
            "(a or b) and c",
            ["and", ["or", ["name", "a"], ["name", "b"]], ["name", "c"]],
        ),
        # not applies to the comparison after it, not to the whole and.
        (
            'not a == "yes" and b == "yes"',
            [
                "and",
                ["not", ["cmp", "==", ["name", "a"], ["str", "yes"]]],
                ["cmp", "==", ["name", "b"], ["str", "yes"]],
            ],
        ),
        # Chains of the same operator flatten.
        ("a and b and c", ["and", ["name", "a"], ["name", "b"], ["name", "c"]]),
        # in takes a list of strings; calls take arguments.
        ('sex in ["female", "intersex"]', ["in", ["name", "sex"], ["female", "intersex"]]),
        (
            'has_any(areas, "lips", "nose")',
            ["call", "has_any", ["name", "areas"], ["str", "lips"], ["str", "nose"]],
        ),
        (
            "days_between(last, screening_date) < 90",
            ["cmp", "<", ["call", "days_between", ["name", "last"], ["name", "screening_date"]], ["int", 90]],
        ),
        ("sex != null", ["cmp", "!=", ["name", "sex"], ["null"]]),
    ],
)
def test_parse_builds_the_expected_tree(text, tree):
    assert tree_to_json(parse(text)) == tree


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@pytest.mark.parametrize(
    ("text", "truth"),
    [
        # and before or.
        ('a == "yes" or b == "yes" and c == "yes"', lambda a, b, c: a or (b and c)),
        # parentheses first.
        ('(a == "yes" or b == "yes") and c == "yes"', lambda a, b, c: (a or b) and c),
        # not before and.
        ('not a == "yes" and b == "yes"', lambda a, b, c: (not a) and b),
        # not of a parenthesised or.
        ('not (a == "yes" or b == "yes") or c == "yes"', lambda a, b, c: (not (a or b)) or c),
    ],
)
def test_precedence_over_every_combination_of_answers(text, truth):
    for a, b, c in itertools.product((False, True), repeat=3):
        assert holds(text, a=yes_no(a), b=yes_no(b), c=yes_no(c)) is truth(a, b, c), (a, b, c)


# ---------------------------------------------------------------------------------------------------------------------
# Null semantics: a hidden or unanswered question is null


@pytest.mark.parametrize(
    ("text", "when_null"),
    [
        # ==, in, has_any and has_any_except are false for null.
        ('sex == "female"', False),
        ('sex in ["female", "male"]', False),
        ('has_any(areas, "lips")', False),
        ('has_any_except(areas, "none")', False),
        # != is true for null.
        ('sex != "male"', True),
        # Testing for null directly.
        ("sex != null", False),
        ("sex == null", True),
        ("null == sex", True),
        ("last != null", False),
        # Ordering comparisons with null are false, whichever way round.
        ("age_years < 18", False),
        ("age_years >= 18", False),
        ("18 > age_years", False),
        ("days_between(last, screening_date) < 90", False),
        ("days_between(last, screening_date) >= 90", False),
        # not of a null comparison is true (so rules avoid it on hidden questions).
        ('not sex == "female"', True),
    ],
)
def test_null_semantics(text, when_null):
    assert holds(text, screening_date=date(2025, 3, 10)) is when_null


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ('sex == "female"', {"sex": "female"}, True),
        ('sex != "male"', {"sex": "male"}, False),
        ('sex != "male"', {"sex": "female"}, True),
        ('sex in ["female", "intersex"]', {"sex": "intersex"}, True),
        ('sex in ["female", "intersex"]', {"sex": "male"}, False),
        ("sex != null", {"sex": "male"}, True),
        ('has_any(areas, "lips", "nose")', {"areas": ["nose"]}, True),
        ('has_any(areas, "lips", "nose")', {"areas": ["cheeks"]}, False),
        ('has_any_except(areas, "none")', {"areas": ["none"]}, False),
        ('has_any_except(areas, "none")', {"areas": ["cheeks"]}, True),
        ('has_any_except(areas, "none", "cheeks")', {"areas": ["cheeks"]}, False),
        ("age_years < 18", {"age_years": 17}, True),
        ("age_years < 18", {"age_years": 18}, False),
        ("age_years >= 65", {"age_years": 65}, True),
        ("age_years <= 21", {"age_years": 22}, False),
        ("age_years > 21", {"age_years": 22}, True),
        ("age_years == 30", {"age_years": 30}, True),
        ("age_years != 30", {"age_years": 30}, False),
        ("toxin and not filler", {"toxin": True, "filler": False}, True),
        ("days_between(last, screening_date) < 90", {"last": date(2024, 12, 11)}, True),
        ("days_between(last, screening_date) < 90", {"last": date(2024, 12, 10)}, False),
    ],
)
def test_answered_values(text, env, expected):
    assert holds(text, screening_date=date(2025, 3, 10), **env) is expected


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        (date(2024, 12, 10), date(2025, 3, 10), 90),
        (date(2025, 3, 10), date(2025, 3, 10), 0),
        # b - a, so it is negative when b is earlier.
        (date(2025, 3, 10), date(2025, 3, 9), -1),
        # Across a leap day.
        (date(2024, 2, 28), date(2024, 3, 1), 2),
        (date(2025, 2, 28), date(2025, 3, 1), 1),
        # Null in, null out.
        (None, date(2025, 3, 10), None),
        (date(2025, 3, 10), None, None),
    ],
)
def test_days_between_counts_calendar_days_from_a_to_b(a, b, days):
    assert days_between(a, b) == days


# ---------------------------------------------------------------------------------------------------------------------
# Rejected conditions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A number compared with a string.
        ('age_years == "x"', "cannot compare"),
        # has_any on a single-choice question.
        ('has_any(sex, "female")', "multi-choice"),
        # == on a multi-choice question.
        ('areas == "lips"', "has_any"),
        # An option the question does not have, in ==, in and has_any.
        ('sex == "other"', '"other"'),
        ('sex in ["female", "other"]', '"other"'),
        ('has_any(areas, "chin")', '"chin"'),
        # Free text never triggers rules.
        ('notes == "x"', "free-text"),
        ('has_any(notes, "x")', "free-text"),
        ("notes != null", "free-text"),
        # Ordering on dates or strings.
        ("born < 18", "compares numbers"),
        ('sex < "male"', "compares numbers"),
        # A bare single-choice answer is not true or false.
        ("sex", "true or false"),
        ('sex and a == "yes"', "true-or-false"),
        # Unknown names and functions.
        ('colour == "red"', "unknown question 'colour'"),
        ("eval(a)", "unknown function 'eval'"),
        ("days_between(last)", "two dates"),
        ("days_between(sex, last) < 3", "dates"),
        # A derived true/false value is never null.
        ("toxin == null", "never null"),
    ],
)
def test_type_errors_are_rejected(text, message):
    with pytest.raises(ConditionError, match=re.escape(message)):
        compile_condition(text, SHAPES)


@pytest.mark.parametrize(
    "text",
    [
        'has_any(treatment_requested, "toxin")',
        'age_years == "x"',
        'current_medicines == "warfarin"',
        'has_any(allergy_details, "peanut")',
        'treatment_requested == "laser"',
    ],
)
def test_type_errors_are_rejected_against_the_shipped_questionnaire(ruleset, text):
    shapes = {q.id: QuestionShape(q.id, q.type, q.option_ids) for q in ruleset.questionnaire.questions}
    with pytest.raises(ConditionError):
        compile_condition(text, shapes)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        # Unbalanced parenthesis: reported at the end.
        ('(a == "yes"', 12),
        # Single-quoted strings are not part of the language.
        ("a == 'yes'", 6),
        # A dangling operator.
        ("a ==", 5),
        # Two operands with nothing between.
        ('a == "yes" b', 12),
        # Python syntax that is not in the grammar.
        ('a == "yes" && b == "yes"', 12),
        ("a.b", 2),
        ('a == "yes" or', 14),
    ],
)
def test_syntax_errors_are_rejected_with_a_column(text, column):
    with pytest.raises(ConditionError) as raised:
        parse(text)
    assert raised.value.column == column
    assert f"(at column {column})" in str(raised.value)


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_condition_is_rejected(text):
    with pytest.raises(ConditionError, match="empty"):
        parse(text)


def test_a_condition_exposes_the_names_it_reads():
    condition = compile_condition(
        'toxin and has_any(areas, "lips") and days_between(last, screening_date) < 90', SHAPES
    )
    assert condition.names == {"toxin", "areas", "last", "screening_date"}


# ---------------------------------------------------------------------------------------------------------------------
# No eval or exec


def test_no_eval_or_exec_anywhere_in_the_screening_package():
    sources = sorted((PROJECT_DIR / "screening").rglob("*.py"))
    assert any(path.name == "conditions.py" for path in sources)
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\b(eval|exec)\s*\(", line)
    ]
    assert offenders == []


def test_the_eval_check_itself_would_catch_a_call():
    pattern = re.compile(r"\b(eval|exec)\s*\(")
    assert pattern.search("return eval(text)")
    assert pattern.search("exec (code)")
    assert not pattern.search("evaluate_screening(ruleset, answers)")
    assert not pattern.search("ast.literal_eval(text)")
    assert not pattern.search("db.execute(sql)")
