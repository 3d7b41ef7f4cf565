"""The interval rule from the clinic's own record: when the clinic itself gave the patient toxin later than their
answers say (or they answered that they never had it), the rules read previous_toxin = yes and last_toxin_date = the
recorded date. The patient's answers are kept as answered; what the record supplied is kept beside them.

Standard library only: the service finds the record, this module decides what it supplies."""

from __future__ import annotations

from datetime import date
from typing import Any

from .questionnaire import Answers, Questionnaire, base_env, set_typed

SUPPLIED = ("previous_toxin", "last_toxin_date")


def toxin_facts(answers: dict[str, Any], recorded: date | None, treatment_given_id: int | None) -> dict[str, Any]:
    """What the clinic's record of its latest toxin treatment supplies to these answers: {} when nothing (no toxin
    asked for, no record, or the patient's own date is the same or later, so the answer stands)."""
    if recorded is None or answers.get("treatment_requested") not in ("toxin", "both"):
        return {}
    answered = answers.get("last_toxin_date")
    if answered and date.fromisoformat(answered) >= recorded:
        return {}  # the patient's date is the later one (perhaps another clinic): the answer counts
    return {
        "previous_toxin": "yes",
        "last_toxin_date": recorded.isoformat(),
        "treatment_given_id": treatment_given_id,
        "answered": {key: answers.get(key) for key in SUPPLIED},  # as the patient answered (None: not asked)
    }


def judged_answers(questionnaire: Questionnaire, answers: Answers, facts: dict[str, Any]) -> Answers:
    """The answers the rules read: the patient's, with the record's facts in place of the answers they overrule,
    visibility worked out again in question order (a question the record makes visible but nobody answered is
    null, as for any unanswered question)."""
    if not facts:
        return answers
    given = {**answers.values, **{key: facts[key] for key in SUPPLIED}}
    env = base_env(answers.screening_date)
    values: dict[str, Any] = {}
    for question in questionnaire.questions:
        value = given.get(question.id)
        if value is None or (question.shown_when is not None and not question.shown_when.test(env)):
            continue
        values[question.id] = value
        set_typed(env, question, value)
    return Answers(values, answers.screening_date, env)


def counted_toxin_date(submission: dict[str, Any]) -> str | None:
    """The last toxin date that counted for a stored screening: the record's when it supplied one, else the answer."""
    facts = submission.get("record_facts") or {}
    return facts.get("last_toxin_date") or submission["answers"].get("last_toxin_date")
