"""From signed consent to treatment: when a treatment may be booked and given (the clinic's cooling-off, counted from
the later of the consultation and the patient's signature), booking a treatment slot from the private page, and the
treating practitioner's record of the treatment given. The diary and the patient page show each consent's state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain.cooling_off import cooling_off_passed, treatment_opens_at
from screening.errors import Conflict, FieldError
from screening.services import aftercare, clinic
from screening.services.intake import clinic_zone

TREATMENT_WORDS = {"toxin": "anti-wrinkle injections", "filler": "dermal fillers"}
SLOT_DAYS_AHEAD = 60  # how far ahead the private page lists treatment slots

# The consent's state, as the diary and the clinician's patient page say it.
CONSENTED = "consented"
COOLING_OFF = "cooling_off"
NO_CONSENT = "no_consent"


@dataclass(frozen=True)
class TreatmentState:
    treatment: str
    consent: dict[str, Any] | None  # the newest signed, not withdrawn, consent to it
    opens_at: datetime | None  # when the cooling-off ends (None without a signed consent)
    booking: dict[str, Any] | None = None  # the kept treatment appointment, if any

    @property
    def state(self) -> str:
        if self.consent is None or self.opens_at is None:
            return NO_CONSENT
        return CONSENTED if cooling_off_passed(self.opens_at, clock.utc_now()) else COOLING_OFF

    def describe(self, tz) -> str:
        """'consented', 'cooling off until Thursday 5 November 2026, 10:00am' or 'no consent'."""
        if self.state == NO_CONSENT:
            return "no consent"
        if self.state == COOLING_OFF:
            return f"cooling off until {opens_words(self.opens_at, tz)}"
        return "consented"


def opens_words(moment: datetime | None, tz) -> str:
    """When booking opens, in words in the clinic's zone (empty when it is not known)."""
    return clock.readable(clock.to_utc_iso(moment), tz) if moment else ""


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def state_of(db: Database, config: dict[str, Any], submission_id: int, treatment: str) -> TreatmentState:
    """One treatment's consent and cooling-off for a screening, with the clinic's cooling-off."""
    return state_with(db, submission_id, treatment, clinic.details(db, config).cooling_off_hours)


def state_with(db: Database, submission_id: int, treatment: str, hours: int) -> TreatmentState:
    """One treatment's consent and cooling-off for a screening, with a cooling-off of `hours`."""
    consent = store.signed_consent(db, submission_id, treatment)
    opens_at = None
    if consent is not None:
        consulted = store.consultation_time(db, consent["consultation_id"])
        signed = _parse(consent["signed_at"])
        opens_at = treatment_opens_at(_parse(consulted) if consulted else signed, signed, hours)
    booking = store.active_booking(db, submission_id, kind="treatment")
    if booking is not None and treatment not in booking["treatments"]:
        booking = None
    return TreatmentState(treatment, consent, opens_at, booking)


def states(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> list[TreatmentState]:
    """Each treatment the screening asked about, with its consent's state."""
    return [state_of(db, config, submission["id"], treatment) for treatment in _treatments(submission)]


def _treatments(submission: dict[str, Any]) -> list[str]:
    treatments = submission.get("treatments") or {}
    if isinstance(treatments, str):
        treatments = json.loads(treatments)
    return [t for t in ("toxin", "filler") if t in treatments]


def treatment_slots(db: Database, config: dict[str, Any], state: TreatmentState) -> list[dict[str, Any]]:
    """Free treatment slots from when the cooling-off ends (and from now), for the next SLOT_DAYS_AHEAD days."""
    if state.state == NO_CONSENT or state.booking is not None or state.opens_at is None:
        return []
    now = clock.utc_now()
    start = max(now, state.opens_at)
    end = now + timedelta(days=SLOT_DAYS_AHEAD)
    return store.slots_between(db, clock.to_utc_iso(start), clock.to_utc_iso(end), free_only=True, kind="treatment")


@dataclass(frozen=True)
class TreatmentOffer:
    state: TreatmentState
    opens: str  # when the cooling-off ends, in words, in the clinic's time ("" without a signed consent)
    slots: list[dict[str, Any]]


def offers(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> list[TreatmentOffer]:
    """What the private page says about booking each treatment, once the patient has been consulted: the consent to
    sign first, or from when they may book and the free treatment slots from then."""
    if not store.consultations_for(db, [submission["id"]]):
        return []
    tz = clinic_zone(config)
    return [
        TreatmentOffer(state, opens_words(state.opens_at, tz), treatment_slots(db, config, state))
        for state in states(db, config, submission)
    ]


class TreatmentNotYet(Conflict):
    """A treatment slot asked for before consent is signed, or inside the cooling-off."""

    message = "That treatment cannot be booked yet."
    back_to = "patient.result"


def book_treatment(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    submission: dict[str, Any],
    treatment: str,
    slot_id: str | None,
) -> int:
    """Book a free treatment slot after a signed consent and the cooling-off; anything else is refused with the
    reason and the date it opens, and nothing changes (no booking, no audit row)."""
    if treatment not in _treatments(submission):
        raise TreatmentNotYet("Choose a treatment you asked about.")
    tz = clinic_zone(config)
    state = state_of(db, config, submission["id"], treatment)
    words = TREATMENT_WORDS[treatment]
    if state.state == NO_CONSENT:
        raise TreatmentNotYet(
            f"Your consent to {words} must be signed before you can book the treatment. Nothing was booked."
        )
    slot = store.get_slot(db, int(slot_id)) if (slot_id or "").isdigit() and len(slot_id) <= 18 else None
    if slot is None or slot["kind"] != "treatment" or slot["cancelled_at"] is not None:
        raise TreatmentNotYet("Sorry, that treatment time is not available. Please choose another.")
    if state.opens_at is not None and _parse(slot["starts_at"]) < state.opens_at:
        raise TreatmentNotYet(
            f"That time is inside the cooling-off. You may book your treatment from {opens_words(state.opens_at, tz)}."
            " Nothing was booked."
        )
    if _parse(slot["starts_at"]) <= clock.utc_now():
        raise TreatmentNotYet("That time has passed. Please choose another.")
    return store.book_slot(
        db,
        submission_id=submission["id"],
        slot_id=slot["id"],
        treatments=[treatment],
        audit=actor.event("treatment_booked", role="patient", detail={"slot": slot["id"], "treatment": treatment}),
        kind="treatment",
    )


def record_treatment(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    clinician: dict[str, Any],
    submission: dict[str, Any],
    *,
    treatment: str,
    same_day: bool = False,
    reason: str = "",
) -> int:
    """Record a treatment given. Refused (FieldError, nothing stored) without a signed consent, by anyone but the
    practitioner who took it, or inside the cooling-off unless the clinic allows a same-day treatment and a reason
    is given; then it is recorded with the reason and audited as same-day. The patient's aftercare email and the
    check-in due two weeks on are queued in the same transaction."""
    if treatment not in _treatments(submission):
        raise FieldError("treatment", "Choose a treatment this patient asked about")
    tz = clinic_zone(config)
    state = state_of(db, config, submission["id"], treatment)
    words = TREATMENT_WORDS[treatment]
    if state.consent is None or state.opens_at is None:
        raise FieldError("treatment", f"The patient has not signed consent to {words}: nothing was recorded")
    consent = state.consent
    if consent["clinician_id"] != clinician["id"]:
        raise FieldError(
            "treatment",
            f"{consent['clinician_name']} took this consent and must give the treatment: nothing was recorded",
        )
    reason = (reason or "").strip()
    inside = state.state == COOLING_OFF
    if inside:
        opens = opens_words(state.opens_at, tz)
        if not clinic.details(db, config).same_day_treatment:
            raise FieldError(
                "treatment", f"The cooling-off runs until {opens}: the treatment cannot be recorded before then"
            )
        if not same_day:
            raise FieldError(
                "same_day", f"The cooling-off runs until {opens}: tick same-day treatment and give the reason"
            )
        if not reason:
            raise FieldError("reason", "Give the reason for treating inside the cooling-off")
    booking = state.booking
    given_id = store.record_treatment_given(
        db,
        {
            "submission_id": submission["id"],
            "consent_id": consent["id"],
            "booking_id": booking["id"] if booking else None,
            "treatment": treatment,
            "clinician_id": clinician["id"],
            "clinician_name": clinician["name"],
            "same_day_reason": reason if inside else "",
        },
        actor.event(
            "treatment_recorded",
            detail={"treatment": treatment, "consent": consent["id"], "same_day": inside},
        ),
        mails=aftercare.treatment_mails(db, config, submission, treatment),
    )
    mail.nudge(config)
    return given_id


def diary_mark(db: Database, tz, hours: int, submission_id: int, treatments: list[str]) -> str:
    """A treatment appointment's mark in the diary: its treatments' consent states, in words."""
    return "; ".join(state_with(db, submission_id, t, hours).describe(tz) for t in treatments) or "no consent"
