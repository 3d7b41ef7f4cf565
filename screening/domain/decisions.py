"""Clinician review: who needs a clinician, the states a submission moves through, which decisions are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .rules import LEVELS

# "none": the rules did not ask for a clinician (clear, caution, defer, decline). Only "pending" can be decided.
REVIEW_STATES = ("none", "pending", "approved", "declined", "deferred", "information_requested", "superseded")
DECIDABLE = "pending"
ACTIONS = {
    "approve": "approved",
    "decline": "declined",
    "defer": "deferred",
    "request_information": "information_requested",
}
# Two texts go with a decision: the question the patient sees (asking for information, and nothing else) and the
# clinic's private note, which the patient never sees. Declining and deferring need the private note (why).
QUESTION_ACTION = "request_information"
PRIVATE_NOTE_REQUIRED = frozenset({"decline", "defer"})
NOTE_MAX_LENGTH = 4000
# Most severe first, from the one severity order (rules.LEVELS): decline 0, defer 1, review 2, caution 3, clear 4.
QUEUE_RANK = {level: len(LEVELS) - 1 - rank for rank, level in enumerate(LEVELS)}
MOST_SEVERE_FIRST = tuple(reversed(LEVELS))


class InvalidDecision(ValueError):
    """A decision that cannot be recorded as given; `field` names the form field at fault."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class InvalidTransition(ValueError):
    """The submission is not waiting for a decision (someone decided first, or it never needed one)."""


@dataclass(frozen=True)
class Decision:
    action: str
    treatments: tuple[str, ...]  # what an approval unlocks
    defer_until: date | None
    question: str  # what the patient is asked (request_information only); stored as decision.note
    private_note: str = ""  # for the clinic alone; never shown to the patient

    @property
    def state(self) -> str:
        return ACTIONS[self.action]


def always_to_clinician(kind: str, held_by: int | None) -> bool:
    """Whether a screening goes to a clinician whatever its rules give: an amendment (answers changed after a
    clinician's question), or a screening made while a clinician's defer or decline of the same person still
    stands. Neither answering again nor starting afresh is a way round the clinician."""
    return kind == "amendment" or held_by is not None


def phone_digits(phone: str) -> str:
    """A phone number as comparable digits: spaces and punctuation gone, the UK's +44 written as a leading 0."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("44") and (phone or "").lstrip().startswith("+") else digits


def same_person(earlier: dict[str, Any], *, email: str, date_of_birth: str, phone: str) -> bool:
    """Whether a new screening is by the person an earlier one was about, as far as a clinic can tell without an
    account: the same date of birth and email (case and spaces aside), or the same phone number."""
    same_email = (earlier["email"] or "").strip().lower() == (email or "").strip().lower() != ""
    if same_email and earlier["date_of_birth"] == date_of_birth:
        return True
    digits = phone_digits(phone)
    return len(digits) >= 6 and phone_digits(earlier["phone"] or "") == digits


def needs_clinician(outcome: str, *, amended: bool = False) -> bool:
    """Whether a screening waits for a clinician before anything it asked for can be booked.

    The rules send it (outcome review); an amendment always goes back to a clinician, whatever the new answers give,
    so that changing answers after a clinician's question is no way round the clinician."""
    return outcome == "review" or amended


def initial_review_state(outcome: str, *, amended: bool = False) -> str:
    return "pending" if needs_clinician(outcome, amended=amended) else "none"


def treatment_waits_for_clinician(outcome: str, *, amended: bool = False) -> bool:
    """One treatment's outcome held for a clinician (defer and decline are the rules' own answers, not held)."""
    return outcome == "review" or (amended and outcome in ("clear", "caution"))


def approvable(treatment_outcomes: dict[str, str], *, amended: bool = False) -> list[str]:
    """Treatments a clinician may approve: those the rules sent for review (clear and caution are bookable already;
    defer and decline are not a clinician's to overturn through this route). An amended screening waits for a
    clinician whatever its outcome, so its clear and caution treatments need approving too."""
    allowed = ("review", "clear", "caution") if amended else ("review",)
    return [treatment for treatment, outcome in treatment_outcomes.items() if outcome in allowed]


def make_decision(
    action: str,
    *,
    treatments: list[str],
    treatment_outcomes: dict[str, str],
    defer_until: date | None,
    question: str = "",
    private_note: str = "",
    today: date,
    amended: bool = False,
) -> Decision:
    """Check a clinician's decision against the submission; raise InvalidDecision naming the field at fault."""
    if action not in ACTIONS:
        raise InvalidDecision("action", "Choose a decision")
    question, private_note = (question or "").strip(), (private_note or "").strip()
    if action == QUESTION_ACTION and not question:
        raise InvalidDecision("question", "Write your question for the patient")
    if action != QUESTION_ACTION and question:
        raise InvalidDecision(
            "question",
            "A question for the patient goes only with asking for more information: leave it empty, or write it in"
            " the private note",
        )
    if action in PRIVATE_NOTE_REQUIRED and not private_note:
        what = {"decline": "why it is declined", "defer": "why it is deferred"}
        raise InvalidDecision("private_note", f"Write a private note saying {what[action]}")
    if len(question) > NOTE_MAX_LENGTH:
        raise InvalidDecision("question", f"The question must be {NOTE_MAX_LENGTH:,} characters or fewer")
    if len(private_note) > NOTE_MAX_LENGTH:
        raise InvalidDecision("private_note", f"The private note must be {NOTE_MAX_LENGTH:,} characters or fewer")
    chosen: tuple[str, ...] = ()
    if action == "approve":
        allowed = approvable(treatment_outcomes, amended=amended)
        if not allowed:
            raise InvalidDecision("action", "Nothing in this screening is waiting for approval")
        if set(treatments) - set(allowed):
            # With one treatment under review the page shows no treatment choice, so the error goes by the decision.
            field = "treatments" if len(allowed) > 1 else "action"
            raise InvalidDecision(field, "Only treatments waiting for review can be approved")
        if len(allowed) == 1:
            chosen = tuple(allowed)  # one treatment under review: approving means that one
        else:
            chosen = tuple(t for t in allowed if t in set(treatments))
            if not chosen:
                raise InvalidDecision("treatments", "Choose the treatment you approve")
    if action == "defer":
        if defer_until is None:
            raise InvalidDecision("defer_until", "Enter the date until which treatment is deferred")
        if defer_until <= today:
            raise InvalidDecision("defer_until", "The date must be in the future")
    return Decision(action, chosen, defer_until if action == "defer" else None, question, private_note)
