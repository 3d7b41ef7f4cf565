"""What the patient's private page says, per treatment: the current truth, one message each, once.

Standard library only. The booking gate (booking.py) says whether a treatment may be booked; this module adds what
the patient is told about it: who decided (a rule or a clinician), the date to wait for, the rules' messages and the
page's wrap-up.

The clinical contract (spec section 2): the patient sees the messages of ALL fired rules, most severe first, with
duplicates removed, so a defer or decline still lists its cautions. That holds in every state, also after a clinician
has decided: the page's own wording around the messages follows the decision, but no rule's reason disappears. Each
message appears once, under the first treatment it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .booking import AWAITING_REVIEW, BOOKABLE, DECLINED, DEFERRED, EXPIRED, INFORMATION_REQUESTED, Gate
from .questionnaire import age_in_years
from .rules import ENGINE_ERROR_MESSAGE, SEVERITY, TREATMENTS

MINIMUM_AGE = 18  # the Botulinum Toxin and Cosmetic Fillers (Children) Act 2021 (spec rule age_under_18)

# The states a treatment can be in, as the page tells them.
BOOKED = "booked"
CANCELLED = "cancelled"  # the clinic cancelled the appointment; the treatment may be booked again
PENDING = AWAITING_REVIEW


def too_young(date_of_birth: str | None, today: date) -> bool:
    """Under 18 on the screening date: the screening ends at its first step (nothing to book or discuss)."""
    try:
        born = date.fromisoformat(date_of_birth or "")
    except ValueError:
        return False
    return born <= today and age_in_years(born, today) < MINIMUM_AGE


@dataclass(frozen=True)
class TreatmentState:
    """One message on the page, for one or more treatments in the same state."""

    treatments: tuple[str, ...]
    state: str
    by_clinician: bool = False  # a clinician decided this (approve, decline, defer), not a rule
    until: date | None = None  # deferred: the first day to come back; bookable: the first day an appointment may be
    reasons: tuple[str, ...] = field(default=())  # the rules' messages that hold for it now

    def may_start_again(self, today: date) -> bool:
        """Whether the page offers to fill in the questions again: after a rule's deferral or when the screening is
        too old, and after a clinician's deferral only from the day it names (a new screening before then goes to a
        clinician anyway, so the button would promise what it cannot give)."""
        if self.state == EXPIRED:
            return True
        if self.state != DEFERRED:
            return False
        return not self.by_clinician or self.until is None or self.until <= today

    @property
    def tone(self) -> str:
        if self.state in (BOOKABLE, BOOKED, CANCELLED):
            return "go"
        if self.state == DECLINED:
            return "stop"
        return "wait"


def treatment_states(
    *,
    gates: list[Gate],
    outcomes: dict[str, str],
    fired: list[dict[str, Any]],
    engine_errors: list[str],
    approved: frozenset[str],
    booked: bool,
    cancelled_by_clinic: bool,
) -> list[TreatmentState]:
    """The page's message per treatment. `fired` is the submission's rules (level, applies, patient_message);
    treatments in the same state (and the same date and decider) share one message; every fired rule's message is
    shown, most severe first, once on the page."""
    singles = []
    for gate in gates:
        state = gate.status
        if state == BOOKABLE and booked:
            state = BOOKED
        elif state == BOOKABLE and cancelled_by_clinic:
            state = CANCELLED
        rule_decided = outcomes.get(gate.treatment) in ("defer", "decline")
        by_clinician = (state in (DEFERRED, DECLINED) and not rule_decided) or (
            state in (BOOKABLE, BOOKED, CANCELLED) and gate.treatment in approved
        )
        reasons = list(_messages_for(gate.treatment, fired))
        if engine_errors and state == PENDING:
            reasons.append(ENGINE_ERROR_MESSAGE)
        singles.append(TreatmentState((gate.treatment,), state, by_clinician, gate.earliest, tuple(reasons)))
    severity = {}
    for rule in fired:  # a message's rank: the most severe rule that says it
        message = rule["patient_message"]
        severity[message] = max(severity.get(message, -1), SEVERITY[rule["level"]])
    return _grouped(singles, severity)


def _messages_for(treatment: str, fired: list[dict[str, Any]]) -> tuple[str, ...]:
    """Every fired rule's message about `treatment` (its own rules and the `any` ones), most severe first, once each;
    rules of the same level keep the rule set's order."""
    about = [rule for rule in fired if rule["applies"] in (treatment, "any")]
    ordered = sorted(about, key=lambda rule: -SEVERITY[rule["level"]])  # sorted() is stable: spec order within a level
    return tuple(dict.fromkeys(rule["patient_message"] for rule in ordered))


def _grouped(singles: list[TreatmentState], severity: dict[str, int]) -> list[TreatmentState]:
    groups: list[TreatmentState] = []
    for single in singles:
        same = next(
            (
                i
                for i, group in enumerate(groups)
                if (group.state, group.by_clinician, group.until) == (single.state, single.by_clinician, single.until)
            ),
            None,
        )
        if same is None:
            groups.append(single)
        else:
            group = groups[same]
            merged = group.reasons + tuple(r for r in single.reasons if r not in group.reasons)
            reasons = tuple(sorted(merged, key=lambda r: -severity.get(r, -1)))  # most severe first, stable
            groups[same] = TreatmentState(
                group.treatments + single.treatments, group.state, group.by_clinician, group.until, reasons
            )
    seen: set[str] = set()  # a message about both treatments, in two different states, is shown once
    unique = []
    for group in groups:
        reasons = tuple(r for r in group.reasons if r not in seen)
        seen.update(reasons)
        unique.append(TreatmentState(group.treatments, group.state, group.by_clinician, group.until, reasons))
    order = {treatment: i for i, treatment in enumerate(TREATMENTS)}
    return sorted(unique, key=lambda g: min(order.get(t, 9) for t in g.treatments))


def headline(states: list[TreatmentState]) -> str:
    """The page's one heading: what the patient can do now, most useful first."""
    kinds = {state.state for state in states}
    if BOOKED in kinds:
        return "Your appointment is booked"
    if kinds & {BOOKABLE, CANCELLED}:
        mixed = bool(kinds - {BOOKABLE, CANCELLED})
        return "You can book one of the treatments you asked about" if mixed else "You can book a consultation"
    for kind, text in (
        (EXPIRED, "Please fill in the health questions again"),
        (INFORMATION_REQUESTED, "The clinic has a question for you"),
        (PENDING, "A clinician will look at your answers"),
        (DEFERRED, "It's best to wait before treatment"),
    ):
        if kind in kinds:
            return text
    return "We can't book this treatment online"
