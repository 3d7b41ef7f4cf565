"""What a clinician sees of a submission: answers by section as the patient saw them, why each rule fired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import store
from .domain import Question, Questionnaire
from .domain.rules import readable_date


@dataclass(frozen=True)
class AnswerRow:
    question_id: str
    text: str
    display: str | list[str]
    free_text: bool
    triggered: list[str]  # ids of fired rules whose condition read this answer


def display_value(question: Question | None, value: Any) -> str | list[str]:
    if question is None:
        return ", ".join(value) if isinstance(value, list) else str(value)
    if question.type == "multi":
        return [question.label_of(v) for v in value]
    if question.type == "date":
        return readable_date(datetime.fromisoformat(value).date())
    if question.type in ("single", "yes_no"):
        return question.label_of(value)
    return value


def answers_by_section(questionnaire: Questionnaire, submission: dict[str, Any]) -> list[tuple[str, list[AnswerRow]]]:
    """The stored answers (visible questions only) grouped as the patient saw them, each with the rules it fed."""
    answers = submission["answers"]
    fed: dict[str, list[str]] = {}
    for rule in submission["rules"]:
        for question_id in rule["trigger_questions"]:
            fed.setdefault(question_id, []).append(rule["rule_id"])
    grouped: list[tuple[str, list[AnswerRow]]] = []
    seen: set[str] = set()
    for section in questionnaire.sections:
        rows = []
        for question in section.questions:
            if question.id in answers:
                seen.add(question.id)
                rows.append(
                    AnswerRow(
                        question.id,
                        question.text,
                        display_value(question, answers[question.id]),
                        question.type == "text",
                        fed.get(question.id, []),
                    )
                )
        if rows:
            grouped.append((section.title, rows))
    unknown = [key for key in answers if key not in seen]  # asked under rules that have since changed
    if unknown:
        rows = [AnswerRow(k, k, display_value(None, answers[k]), False, fed.get(k, [])) for k in unknown]
        grouped.append(("Questions no longer in the questionnaire", rows))
    return grouped


def answers_read(questionnaire: Questionnaire, submission: dict[str, Any]) -> dict[str, list[tuple[str, str, Any]]]:
    """For each fired rule, the answers its condition read: (question id, question text, answer as shown)."""
    answers = submission["answers"]
    read: dict[str, list[tuple[str, str, Any]]] = {}
    for rule in submission["rules"]:
        rows = []
        for question_id in rule["trigger_questions"]:
            if question_id in answers:
                question = questionnaire.by_id.get(question_id)
                text = question.text if question else question_id
                rows.append((question_id, text, display_value(question, answers[question_id])))
        read[rule["rule_id"]] = rows
    return read


def integrity_ok(submission: dict[str, Any]) -> bool:
    """The stored clinical content still matches the checksum written with it."""
    expected = store.checksum(
        submission["answers"],
        submission["outcome"],
        [rule["rule_id"] for rule in submission["rules"]],
        submission["ruleset_version"],
    )
    return expected == submission["checksum"]


def waited(created_at: str, now: datetime | None = None) -> str:
    """How long a submission has waited, in words a busy clinician reads at a glance."""
    now = now or datetime.now(UTC)
    minutes = int((now - datetime.fromisoformat(created_at.replace("Z", "+00:00"))).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} days {hours % 24} h"


@dataclass(frozen=True)
class Changes:
    previous_id: int
    answers: list[tuple[str, Any, Any]]  # (question text, before, after); "" where there was no answer
    rules_added: list[str]
    rules_removed: list[str]


def changes_since(questionnaire: Questionnaire, previous: dict[str, Any], current: dict[str, Any]) -> Changes:
    """Which answers changed between two versions of a screening, and which rules appeared or went away."""
    before, after = previous["answers"], current["answers"]
    changed = []
    order = [q.id for q in questionnaire.questions] + sorted((set(before) | set(after)) - set(questionnaire.by_id))
    for question_id in order:
        if before.get(question_id) != after.get(question_id):
            question = questionnaire.by_id.get(question_id)
            shown = [
                display_value(question, side[question_id]) if question_id in side else "" for side in (before, after)
            ]
            changed.append((question.text if question else question_id, shown[0], shown[1]))
    old_rules = [r["rule_id"] for r in previous["rules"]]
    new_rules = [r["rule_id"] for r in current["rules"]]
    return Changes(
        previous_id=previous["id"],
        answers=changed,
        rules_added=[r for r in new_rules if r not in old_rules],
        rules_removed=[r for r in old_rules if r not in new_rules],
    )
