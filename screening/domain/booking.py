"""The booking gate: whether, and from when, a patient may book each treatment they asked about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .decisions import treatment_waits_for_clinician

TOXIN_INTERVAL_DAYS = 90  # the rule toxin_within_90_days: retreatment no sooner than 90 days after the last

# What the status page tells the patient about one treatment.
BOOKABLE = "bookable"
AWAITING_REVIEW = "awaiting_review"  # a clinician has not decided yet
INFORMATION_REQUESTED = "information_requested"
DEFERRED = "deferred"  # a rule or a clinician says wait
DECLINED = "declined"  # a rule or a clinician says not through this route
EXPIRED = "expired"  # the screening is older than its validity window: screen again


@dataclass(frozen=True)
class Gate:
    treatment: str
    status: str
    earliest: date | None = None  # the first day an appointment may be, when a rule or clinician sets one
    latest: date | None = None  # the last day, while the screening is valid

    @property
    def bookable(self) -> bool:
        return self.status == BOOKABLE


def booking_gates(
    *,
    treatments: dict[str, str],
    review_state: str,
    approved: frozenset[str],
    deferred_until: date | None,
    screened_on: date,
    today: date,
    valid_days: int,
    last_toxin_date: date | None,
    amended: bool = False,
) -> list[Gate]:
    """One gate per requested treatment, from its outcome, the clinician's decision and the dates."""
    latest = screened_on + timedelta(days=valid_days)
    toxin_earliest = last_toxin_date + timedelta(days=TOXIN_INTERVAL_DAYS) if last_toxin_date else None
    gates = []
    for treatment, outcome in treatments.items():
        earliest = toxin_earliest if treatment == "toxin" else None
        if outcome == "decline":
            status = DECLINED
        elif outcome == "defer":
            status = DEFERRED
        elif treatment_waits_for_clinician(outcome, amended=amended) and treatment not in approved:
            status = {
                "declined": DECLINED,
                "deferred": DEFERRED,
                "information_requested": INFORMATION_REQUESTED,
            }.get(review_state, AWAITING_REVIEW)
            if status == DEFERRED:
                earliest = deferred_until
        else:  # clear, caution, or review approved by a clinician
            status = BOOKABLE
        if status == BOOKABLE and today > latest:
            status = EXPIRED
        if earliest is not None and earliest <= today and status != DEFERRED:
            earliest = None  # already passed: nothing to tell
        gates.append(Gate(treatment, status, earliest, latest if status == BOOKABLE else None))
    return gates


def bookable_window(gates: list[Gate], today: date) -> tuple[date, date] | None:
    """The days an appointment may fall on for the bookable treatments (None when nothing is bookable)."""
    open_gates = [gate for gate in gates if gate.bookable]
    if not open_gates:
        return None
    first = max([today, *(gate.earliest for gate in open_gates if gate.earliest)])
    last = min(gate.latest for gate in open_gates if gate.latest)
    return (first, last) if first <= last else None
