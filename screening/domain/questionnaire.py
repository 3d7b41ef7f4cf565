"""Questions, visibility in question order, and answer normalisation (answers to hidden questions are dropped)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .conditions import DERIVED_FROM, Condition

QUESTION_TYPES = ("date", "single", "yes_no", "multi", "text")
NONE_OPTION = "none"  # in a multi-choice question, "none" cannot be ticked with anything else
TEXT_MAX_LENGTH = 2000
OLDEST_PLAUSIBLE_AGE = 120
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str
    section: str
    number: int  # 1-based position in the whole form
    help: str = ""
    options: tuple[Option, ...] = ()
    optional: bool = False
    shown_when: Condition | None = None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)

    def label_of(self, option_id: str) -> str:
        for option in self.options:
            if option.id == option_id:
                return option.label
        return option_id


@dataclass(frozen=True)
class Section:
    id: str
    slug: str
    title: str
    questions: tuple[Question, ...]


class AnswerError(ValueError):
    """One answer that does not fit its question; `code` says which kind of problem, for friendly wording."""

    def __init__(self, question_id: str, message: str, value: Any = None, *, code: str):
        self.question_id = question_id
        self.message = message
        self.value = value
        self.code = code
        super().__init__(f"{question_id}: {message}")

    def describe(self) -> str:
        shown = "" if self.value is None else f" (got {shorten(self.value)})"
        name = self.question_id if len(self.question_id) <= 80 else shorten(self.question_id)[1:]  # no quote twice
        return f"question '{name}': {self.message}{shown}"


def plain_text(value: str) -> str:
    """Free text as it is kept and counted: NFC, one character per line break (a browser sends CRLF, its box and
    its counter count one), trimmed."""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def shorten(value: Any, limit: int = 80) -> str:
    """A value as an error shows it: whole when short, else its start and its length (a 1 MB value is not echoed)."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to write out
        return "a number too long to show"
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text):,} characters)"


class InvalidAnswers(ValueError):
    """A set of answers with one or more problems; nothing was evaluated."""

    def __init__(self, errors: list[AnswerError]):
        self.errors = errors
        super().__init__("; ".join(error.describe() for error in errors))


CHECK_MEMO_SIZE = 512  # answer sets remembered by Questionnaire.check (a few per patient filling in the form)


@dataclass(frozen=True)
class Answers:
    """Normalised answers to visible questions only, in question order, as JSON-ready values."""

    values: dict[str, Any]
    screening_date: date
    env: dict[str, Any] = field(repr=False, compare=False)  # typed values plus derived ones, for conditions


@dataclass(frozen=True)
class Questionnaire:
    sections: tuple[Section, ...]
    questions: tuple[Question, ...] = field(init=False, repr=False)
    by_id: dict[str, Question] = field(init=False, repr=False, compare=False)

    _checked: dict[tuple[str, date], tuple[Answers, list[AnswerError]]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self):
        questions = tuple(question for section in self.sections for question in section.questions)
        object.__setattr__(self, "questions", questions)
        object.__setattr__(self, "by_id", {question.id: question for question in questions})

    def question(self, question_id: str) -> Question:
        return self.by_id[question_id]

    def section(self, slug: str) -> Section | None:
        return next((section for section in self.sections if section.slug == slug), None)

    # -- visibility and normalisation

    def normalise(self, raw: Mapping[str, Any], screening_date: date) -> Answers:
        """Validate a complete set of raw answers, drop hidden ones, and return them normalised.

        Raises InvalidAnswers listing every problem, including visible required questions left unanswered.
        """
        answers, errors = self.check(raw, screening_date)
        if errors:
            raise InvalidAnswers(errors)
        return answers

    def check(self, raw: Mapping[str, Any], screening_date: date) -> tuple[Answers, list[AnswerError]]:
        """Normalise what can be normalised and list every problem, without raising (for a form being filled in).

        Visibility is worked out in question order from the answers kept so far; whatever was sent for a hidden
        question is ignored. An answer with a problem is left out and counts as unanswered for later questions.

        A page asks this several times for the same answers (where may the patient go, what does the step show,
        is it complete): the result is remembered for the last few answer sets, and each caller gets its own copy.
        """
        try:
            key = (json.dumps(raw, sort_keys=True, separators=(",", ":")), screening_date)
        except (TypeError, ValueError):  # not JSON-like (never from a form): work it out afresh
            key = None
        memo = self._checked  # shared by the server's threads: single dict operations only, so no lock is needed
        remembered = memo.get(key) if key is not None else None
        if remembered is not None:
            answers, errors = remembered
        else:
            answers, errors = self._check(raw, screening_date)
            if key is not None:
                if len(memo) >= CHECK_MEMO_SIZE:
                    memo.clear()
                memo[key] = (answers, errors)
        return Answers(dict(answers.values), answers.screening_date, dict(answers.env)), list(errors)

    def _check(self, raw: Mapping[str, Any], screening_date: date) -> tuple[Answers, list[AnswerError]]:
        errors: list[AnswerError] = []
        for question_id in raw:
            if question_id not in self.by_id:
                errors.append(
                    AnswerError(question_id, "is not a question of this questionnaire", code="unknown_question")
                )
        env: dict[str, Any] = base_env(screening_date)
        values: dict[str, Any] = {}
        for question in self.questions:
            if question.shown_when is not None and not question.shown_when(env):
                continue  # hidden: whatever was sent for it is ignored
            try:
                parsed = parse_answer(question, raw.get(question.id), screening_date)
            except AnswerError as error:
                errors.append(error)
                continue
            if parsed is None:
                if not question.optional:
                    errors.append(AnswerError(question.id, "needs an answer", code="required"))
                continue
            values[question.id] = parsed
            set_typed(env, question, parsed)
        _cross_checks(values, errors)
        return Answers(values, screening_date, env), errors

    def visible_ids(self, answers: Mapping[str, Any], screening_date: date) -> list[str]:
        """Ids of the questions shown for these (already normalised) answers, in order."""
        env = base_env(screening_date)
        shown = []
        for question in self.questions:
            if question.shown_when is not None and not question.shown_when(env):
                continue
            shown.append(question.id)
            if question.id in answers:
                set_typed(env, question, answers[question.id])
        return shown


def base_env(screening_date: date) -> dict[str, Any]:
    return {"screening_date": screening_date, "toxin": False, "filler": False, "age_years": None}


def set_typed(env: dict[str, Any], question: Question, value: Any) -> None:
    """Put a normalised answer into the condition environment, with the values derived from it."""
    if question.type == "multi":
        env[question.id] = frozenset(value)
    elif question.type == "date":
        env[question.id] = date.fromisoformat(value)
    else:
        env[question.id] = value
    if question.id in DERIVED_FROM["toxin"]:
        env["toxin"] = value in ("toxin", "both")
        env["filler"] = value in ("filler", "both")
    elif question.id in DERIVED_FROM["age_years"]:
        env["age_years"] = age_in_years(env[question.id], env["screening_date"])


def age_in_years(born: date, on: date) -> int:
    """Completed years on a date; someone born on 29 February turns a year older on 1 March in other years."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def parse_answer(question: Question, value: Any, screening_date: date) -> Any:
    """Return the normalised answer, None when unanswered, or raise AnswerError."""
    if value is None:
        return None
    if question.type == "date":
        return _parse_date(question, value, screening_date)
    if question.type in ("single", "yes_no"):
        if not isinstance(value, str):
            raise AnswerError(question.id, "must be one option id", value, code="wrong_type")
        if value == "":
            return None
        if value not in question.option_ids:
            raise AnswerError(
                question.id, f"is not an option (options: {', '.join(question.option_ids)})", value, code="not_option"
            )
        return value
    if question.type == "multi":
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise AnswerError(question.id, "must be a list of option ids", value, code="wrong_type")
        if not value:
            return None
        unknown = [item for item in value if item not in question.option_ids]
        if unknown:
            raise AnswerError(
                question.id,
                f"has no option {unknown[0]!r} (options: {', '.join(question.option_ids)})",
                value,
                code="not_option",
            )
        chosen = set(value)
        if NONE_OPTION in chosen and len(chosen) > 1:
            raise AnswerError(
                question.id, f"'{NONE_OPTION}' cannot be ticked with another option", value, code="none_exclusive"
            )
        return [option for option in question.option_ids if option in chosen]
    if question.type == "text":
        if not isinstance(value, str):
            raise AnswerError(question.id, "must be text", value, code="wrong_type")
        text = plain_text(value)
        if "\x00" in text:
            raise AnswerError(question.id, "contains a character that cannot be stored (NUL)", code="bad_text")
        if len(text) > TEXT_MAX_LENGTH:
            raise AnswerError(question.id, f"is longer than {TEXT_MAX_LENGTH:,} characters", code="too_long")
        return text or None
    raise AssertionError(question.type)  # the loader admits no other type


def _parse_date(question: Question, value: Any, screening_date: date) -> str | None:
    if not isinstance(value, str):
        raise AnswerError(question.id, "must be a date written YYYY-MM-DD", value, code="bad_date")
    if value == "":
        return None
    if not _ISO_DATE.fullmatch(value):
        raise AnswerError(question.id, "is not a date written YYYY-MM-DD", value, code="bad_date")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise AnswerError(question.id, "is not a real date", value, code="bad_date") from None
    if parsed > screening_date:
        raise AnswerError(
            question.id,
            f"is in the future (the screening date is {screening_date.isoformat()})",
            value,
            code="future_date",
        )
    if age_in_years(parsed, screening_date) > OLDEST_PLAUSIBLE_AGE:
        raise AnswerError(question.id, f"is more than {OLDEST_PLAUSIBLE_AGE} years ago", value, code="implausible_date")
    return parsed.isoformat()


def _cross_checks(values: dict[str, Any], errors: list[AnswerError]) -> None:
    born, last_toxin = values.get("date_of_birth"), values.get("last_toxin_date")
    if born and last_toxin and last_toxin < born:
        errors.append(AnswerError("last_toxin_date", "is before the date of birth", last_toxin, code="before_birth"))
