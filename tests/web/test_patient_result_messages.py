"""The result page keeps the clinical contract (spec section 2): the patient sees the messages of ALL fired rules,
most severe first, with duplicates removed. Every public worked case goes through the real pages, and the messages
the page shows for each treatment are compared, exactly and in order, with the messages spec.md gives its rules."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from screening.domain.rules import readable_date
from tests.factories import expected_messages, public_cases, steps_of
from tests.journeys import walk
from tests.pages import shown_messages

SHARED = Path(__file__).resolve().parents[3] / "shared" / "clinical"
SPEC = SHARED / "spec.md"
SEVERITY = {"caution": 1, "review": 2, "defer": 3, "decline": 4}  # spec section 2: decline > defer > review > caution
RULE_HEADER = re.compile(r"^\*\*`(\w+)`\*\*: level \*\*(\w+)\*\*, applies to \*\*(\w+)\*\*")
PATIENT_MESSAGE = re.compile(r'^Patient message: "(.*)"\s*$')


def spec_rules() -> dict[str, dict[str, str]]:
    """Each rule of spec.md section 4.2: its level, what it applies to and its patient message, read from the spec
    itself (not from rules/), so the page is held to the contract and not to our copy of it."""
    rules: dict[str, dict[str, str]] = {}
    current = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if header := RULE_HEADER.match(line):
            current = header.group(1)
            rules[current] = {"level": header.group(2), "applies": header.group(3)}
        elif current and (message := PATIENT_MESSAGE.match(line)):
            rules[current]["message"] = message.group(1)
    return rules


def fired_messages(case: dict, rules: dict[str, dict[str, str]]) -> list[tuple[str, int, str]]:
    """Each rule the case fires, in the spec's order: its message (the date placeholder filled in), severity and
    what it applies to."""
    fired = []
    for rule_id, rule in rules.items():
        if rule_id not in case["expected_rules"]:
            continue
        text = rule["message"]
        if "{last_toxin_date + 90 days}" in text:
            earliest = date.fromisoformat(case["answers"]["last_toxin_date"]) + timedelta(days=90)
            text = text.replace("{last_toxin_date + 90 days}", readable_date(earliest))
        fired.append((text, SEVERITY[rule["level"]], rule["applies"]))
    return fired


def test_the_spec_gives_every_rule_a_level_and_a_message():
    rules = spec_rules()
    assert len(rules) == 45
    assert all({"level", "applies", "message"} <= set(rule) for rule in rules.values())


@pytest.mark.parametrize("case", public_cases())
def test_the_result_page_shows_every_fired_rules_message_per_treatment_most_severe_first(case, client, clock):
    screening_day = date.fromisoformat(case["screening_date"])
    clock.set(datetime(screening_day.year, screening_day.month, screening_day.day, 11, 0, tzinfo=UTC))
    fired = fired_messages(case, spec_rules())

    page = walk(client, steps_of(case["answers"]))

    sections = shown_messages(page)
    asked = case["answers"]["treatment_requested"]
    every = ("toxin", "filler") if asked == "both" else (asked,)
    assert sorted(t for treatments, _ in sections for t in treatments) == sorted(every)
    already: list[str] = []  # a message about both treatments is shown once, in the first section it belongs to
    for treatments, messages in sections:
        expected = [text for text in expected_messages(fired, treatments) if text not in already]
        assert messages == expected, (case["id"], treatments)
        already += messages
    assert sorted(already) == sorted(expected_messages(fired, every)), "a fired rule's message is missing"
