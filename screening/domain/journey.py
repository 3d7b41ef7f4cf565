"""The patient's journey through the questionnaire: which step comes next, what each step shows, what it keeps.

Standard library only, like the rest of the domain, so the journey can be tested without HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .conditions import DERIVED_FROM, tree_to_json
from .questionnaire import AnswerError, Question, Questionnaire, Section

DETAILS_STEP = "your-details"
CHECK_STEP = "check-your-answers"


def steps(questionnaire: Questionnaire) -> list[str]:
    """Every step in order: one per section, then contact details, then check your answers."""
    return [section.slug for section in questionnaire.sections] + [DETAILS_STEP, CHECK_STEP]


def first_incomplete_step(questionnaire: Questionnaire, answers: dict, contact: dict, today: date) -> str:
    """The earliest step with a question still to answer (or details to give); else the check step."""
    _, errors = questionnaire.check(answers, today)
    if errors:
        numbers = [questionnaire.by_id[e.question_id].number for e in errors if e.question_id in questionnaire.by_id]
        if numbers:
            earliest = min(numbers)
            return next(s.slug for s in questionnaire.sections if any(q.number == earliest for q in s.questions))
    if not contact.get("full_name") or not contact.get("email"):
        return DETAILS_STEP
    return CHECK_STEP


def may_visit(questionnaire: Questionnaire, step: str, answers: dict, contact: dict, today: date) -> bool:
    """A patient may go back to any step, but not skip ahead of the first one still incomplete."""
    order = steps(questionnaire)
    return order.index(step) <= order.index(first_incomplete_step(questionnaire, answers, contact, today))


def next_step(questionnaire: Questionnaire, step: str) -> str:
    order = steps(questionnaire)
    return order[min(order.index(step) + 1, len(order) - 1)]


def previous_step(questionnaire: Questionnaire, step: str) -> str | None:
    order = steps(questionnaire)
    position = order.index(step)
    return order[position - 1] if position > 0 else None


# --------------------------------------------------------------------------------------------------------------------
# What a step shows


@dataclass(frozen=True)
class ShownQuestion:
    question: Question
    conditional: bool  # depends on an answer on this same step: the page script shows or hides it live
    shown_when: Any = None  # the condition tree as JSON, for the script


def shown_questions(
    questionnaire: Questionnaire, section: Section, answers: dict, today: date
) -> tuple[list[ShownQuestion], dict[str, Any]]:
    """The questions a step renders, and the earlier answers its script needs to show or hide them.

    A question whose "shown when" depends only on earlier steps is shown or left out here, on the server. One that
    depends on an answer on this step is rendered with its condition, so the page works with JavaScript off (the
    server decides when the step is posted) and the script shows or hides it as the patient answers.
    """
    checked, _ = questionnaire.check(answers, today)
    env = checked.env
    on_step = {question.id for question in section.questions}
    shown: list[ShownQuestion] = []
    known: dict[str, Any] = {}
    for question in section.questions:
        condition = question.shown_when
        if condition is None:
            shown.append(ShownQuestion(question, False))
            continue
        sources = {source for name in condition.names for source in DERIVED_FROM.get(name, (name,))}
        if sources & on_step:
            shown.append(ShownQuestion(question, True, tree_to_json(condition.tree)))
            for name in condition.names:
                if name not in on_step and not (set(DERIVED_FROM.get(name, ())) & on_step):
                    known[name] = _json_value(env.get(name))
        elif condition(env):
            shown.append(ShownQuestion(question, False))
    return shown, known


def _json_value(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------------------------------
# What a step keeps


def merge_step(section: Section, answers: dict, submitted: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers with this step's replaced by what was just submitted (blank means unanswered)."""
    merged = {key: value for key, value in answers.items() if key not in {q.id for q in section.questions}}
    for question in section.questions:
        value = submitted.get(question.id)
        if value not in (None, "", []):
            merged[question.id] = value
    return merged


def step_errors(section: Section, errors: list[AnswerError]) -> list[AnswerError]:
    """The problems that belong to this step (later steps' unanswered questions are for later)."""
    on_step = {question.id for question in section.questions}
    return [error for error in errors if error.question_id in on_step]
