"""Contract tests on the shipped rules files: they load, they fit together, and they say what spec.md says."""

from __future__ import annotations

import re
import tomllib

import pytest

from screening.domain.conditions import tree_to_json
from tests.factories import QUESTION_ORDER, RULES_DIR, SHARED_CLINICAL_DIR, SHOWN_WHEN

SPEC_PATH = SHARED_CLINICAL_DIR / "spec.md"
DERIVED_NAMES = {"toxin", "filler", "age_years", "screening_date"}  # spec 1.3
QUESTION_TYPES = {
    "date": "date",
    "single choice": "single",
    "yes/no": "yes_no",
    "multi choice": "multi",
    "free text": "text",
}


def walk(node):
    """Every node of a condition tree in tree_to_json form."""
    yield node
    kind = node[0]
    if kind in ("call", "cmp"):
        children = node[2:]
    elif kind == "in":
        children = [node[1]]
    elif kind in ("and", "or"):
        children = node[1:]
    elif kind == "not":
        children = [node[1]]
    else:
        children = []
    for child in children:
        yield from walk(child)


def option_references(tree):
    """(question id, option id) for every option literal the condition compares a question with."""
    for node in walk(tree):
        if node[0] == "call" and node[1] in ("has_any", "has_any_except"):
            question = node[2][1]
            yield from ((question, arg[1]) for arg in node[3:])
        elif node[0] == "in":
            yield from ((node[1][1], option) for option in node[2])
        elif node[0] == "cmp":
            left, right = node[2], node[3]
            if left[0] == "str":
                left, right = right, left
            if left[0] == "name" and right[0] == "str":
                yield left[1], right[1]


def all_conditions(ruleset):
    for question in ruleset.questionnaire.questions:
        if question.shown_when is not None:
            yield f"question {question.id}", question.shown_when
    for rule in ruleset.rules:
        yield f"rule {rule.id}", rule.condition


def test_every_rules_file_is_valid_toml():
    for name in ("questionnaire.toml", "contraindications.toml", "sources.toml"):
        assert tomllib.loads((RULES_DIR / name).read_text(encoding="utf-8")), name


def test_shipped_rules_have_the_spec_counts(ruleset):
    assert len(ruleset.questionnaire.questions) == 42
    assert len(ruleset.rules) == 45
    assert ruleset.counts() == {"decline": 6, "defer": 6, "review": 17, "caution": 16}
    assert re.fullmatch(r"[0-9a-f]{16}", ruleset.version)


def test_question_and_rule_ids_are_unique(ruleset):
    question_ids = [question.id for question in ruleset.questionnaire.questions]
    rule_ids = [rule.id for rule in ruleset.rules]
    assert len(question_ids) == len(set(question_ids))
    assert len(rule_ids) == len(set(rule_ids))


def test_questions_are_in_spec_order(ruleset):
    assert tuple(question.id for question in ruleset.questionnaire.questions) == QUESTION_ORDER
    assert [question.number for question in ruleset.questionnaire.questions] == list(range(1, 43))


def test_every_name_in_every_condition_is_a_question_or_derived_value(ruleset):
    by_id = ruleset.questionnaire.by_id
    names_seen = 0
    for where, condition in all_conditions(ruleset):
        for node in walk(tree_to_json(condition.tree)):
            if node[0] == "name":
                names_seen += 1
                assert node[1] in by_id or node[1] in DERIVED_NAMES, f"{where}: unknown name {node[1]!r}"
                if node[1] in by_id:
                    assert by_id[node[1]].type != "text", f"{where}: free text {node[1]!r} in a condition"
    assert names_seen >= 45 + 20  # the walk really visited the trees


def test_every_option_in_every_condition_exists_on_its_question(ruleset):
    by_id = ruleset.questionnaire.by_id
    checked = 0
    for where, condition in all_conditions(ruleset):
        for question_id, option in option_references(tree_to_json(condition.tree)):
            checked += 1
            assert option in by_id[question_id].option_ids, f"{where}: {question_id} has no option {option!r}"
    assert checked >= 60


def test_every_shown_when_refers_only_to_earlier_questions(ruleset):
    position = {question.id: question.number for question in ruleset.questionnaire.questions}
    derived_from = {"toxin": "treatment_requested", "filler": "treatment_requested", "age_years": "date_of_birth"}
    for question in ruleset.questionnaire.questions:
        if question.shown_when is None:
            continue
        for node in walk(tree_to_json(question.shown_when.tree)):
            if node[0] == "name" and node[1] != "screening_date":
                source = derived_from.get(node[1], node[1])
                assert position[source] < question.number, f"{question.id} depends on later {source}"


def test_every_rule_has_a_message_a_rationale_and_a_source_with_a_url(ruleset):
    for rule in ruleset.rules:
        assert rule.patient_message.text.strip(), rule.id
        assert rule.rationale.strip(), rule.id
        assert rule.sources, rule.id
        assert any(source.urls for source in rule.sources), rule.id
        assert rule.applies in ("toxin", "filler", "any"), rule.id


def test_every_source_has_urls_except_the_seed_articles(ruleset):
    assert ruleset.sources["SEED"].urls == ()
    for key, source in ruleset.sources.items():
        assert source.title.strip() and source.used_for.strip(), key
        if key != "SEED":
            assert source.urls, key
            assert all(url.startswith(("https://", "http://")) for url in source.urls), key


def test_only_the_90_day_rule_has_a_placeholder(ruleset):
    with_placeholder = [rule.id for rule in ruleset.rules if "{" in rule.patient_message.text]
    assert with_placeholder == ["toxin_within_90_days"]
    assert "{last_toxin_date + 90 days}" in ruleset.rule("toxin_within_90_days").patient_message.text


def test_factory_visibility_oracle_covers_exactly_the_conditional_questions(ruleset):
    conditional = {question.id for question in ruleset.questionnaire.questions if question.shown_when is not None}
    assert set(SHOWN_WHEN) == conditional


# ---------------------------------------------------------------------------------------------------------------------
# The rules files against spec.md itself


@pytest.fixture(scope="module")
def spec() -> str:
    if not SPEC_PATH.exists():
        pytest.skip(f"the clinical specification is not at {SPEC_PATH}")
    return SPEC_PATH.read_text(encoding="utf-8")


def test_rules_match_the_spec_summary_table(ruleset, spec):
    rows = re.findall(r"^\| (\d+) \| `([a-z0-9_]+)` \| (\w+) \| (\w+) \| `(.+)` \|$", spec, re.MULTILINE)
    assert len(rows) == 45
    assert [rule.id for rule in ruleset.rules] == [row[1] for row in rows]
    for _, rule_id, level, applies, condition in rows:
        rule = ruleset.rule(rule_id)
        assert (rule.level, rule.applies, rule.condition.text) == (level, applies, condition), rule_id


def test_rule_messages_and_sources_match_the_spec(ruleset, spec):
    details = re.findall(
        r"^\*\*`([a-z0-9_]+)`\*\*: level .*\nCondition: .*\nPatient message: \"(.*)\"  \n.*\nSources: (.*)$",
        spec,
        re.MULTILINE,
    )
    assert len(details) == 45
    for rule_id, message, sources in details:
        rule = ruleset.rule(rule_id)
        assert rule.patient_message.text == message, rule_id
        assert [source.key for source in rule.sources] == [key.strip() for key in sources.split(",")], rule_id


def test_questions_match_the_spec(ruleset, spec):
    questions = re.findall(
        r"^\*\*Q(\d+)\. `([a-z_]+)`\*\*( \*\(optional\)\*)?: ([a-z/ ]+?)(?: \(.*?\))?; shown when: (.+?)  $",
        spec,
        re.MULTILINE,
    )
    assert len(questions) == 42
    for number, question_id, optional, kind, shown_when in questions:
        question = ruleset.questionnaire.question(question_id)
        actual = question.shown_when.text if question.shown_when else "always"
        assert (question.number, question.type, question.optional, actual) == (
            int(number),
            QUESTION_TYPES[kind],
            bool(optional),
            shown_when.strip("`"),
        ), question_id


def test_question_options_match_the_spec(ruleset, spec):
    options = re.findall(r"^\*\*Q\d+\. `([a-z_]+)`\*\*.*\n(?:.*\n){0,2}?Options: (.*?)  $", spec, re.MULTILINE)
    assert len(options) == 14  # the single- and multi-choice questions
    for question_id, text in options:
        assert ruleset.questionnaire.question(question_id).option_ids == tuple(re.findall(r"`([a-z_]+)` = ", text))
    for question in ruleset.questionnaire.questions:
        if question.type == "yes_no":
            assert question.option_ids == ("yes", "no"), question.id
