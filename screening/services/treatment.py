"""From signed consent to treatment: when a treatment may be booked and given (the clinic's cooling-off, counted from
the later of the consultation and the patient's signature), booking a treatment slot from the private page (with its
confirmation email and .ics) and cancelling it there, and the treating practitioner's record of the treatment given.
The diary and the patient page show each consent's state. A treatment appointment is a booking of its own kind: it
never moves or cancels the consultation's, nor the consultation's it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain.cooling_off import cooling_off_passed, treatment_opens_at
from screening.errors import N_, Conflict, FieldError, NotFound
from screening.mail import calendar
from screening.services import aftercare, clinic, products
from screening.services.intake import clinic_zone, own_link

KIND = "treatment"  # the booking's and the slot's kind

TREATMENT_WORDS = {"toxin": "anti-wrinkle injections", "filler": "dermal fillers"}
SLOT_DAYS_AHEAD = 60  # how far ahead the private page lists treatment slots

# The consent's state, as the diary and the clinician's patient page say it.
CONSENTED = "consented"
COOLING_OFF = "cooling_off"
NO_CONSENT = "no_consent"
GIVEN = "given"  # the treatment was given under this consent: a new course starts with a new screening


@dataclass(frozen=True)
class TreatmentState:
    treatment: str
    consent: dict[str, Any] | None  # the newest signed, not withdrawn, consent to it
    opens_at: datetime | None  # when the cooling-off ends (None without a signed consent)
    booking: dict[str, Any] | None = None  # the kept treatment appointment, if any
    given: dict[str, Any] | None = None  # the newest treatment given under this consent, if any

    @property
    def state(self) -> str:
        if self.consent is None or self.opens_at is None:
            return NO_CONSENT
        if self.given is not None:
            return GIVEN
        return CONSENTED if cooling_off_passed(self.opens_at, clock.utc_now()) else COOLING_OFF

    def describe(self, tz) -> str:
        """'consented', 'cooling off until Thursday 5 November 2026, 10:00am', 'given ...' or 'no consent'."""
        if self.state == NO_CONSENT:
            return "no consent"
        if self.state == GIVEN:
            return f"given {clock.readable(self.given['given_at'], tz)}"
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
    given = None
    if consent is not None:
        given = next((g for g in store.treatments_given(db, [submission_id]) if g["consent_id"] == consent["id"]), None)
    if given is not None and booking is not None and booking["id"] == given["booking_id"]:
        booking = None  # that appointment is over: it was the treatment
    return TreatmentState(treatment, consent, opens_at, booking, given)


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
    if state.state in (NO_CONSENT, GIVEN) or state.booking is not None or state.opens_at is None:
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
    cancelled: dict[str, Any] | None = None  # the latest cancelled appointment of it (cancelled_by), none kept


def offers(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> list[TreatmentOffer]:
    """What the private page says about booking each treatment, once the patient has been consulted: the consent to
    sign first, or from when they may book and the free treatment slots from then."""
    if not store.consultations_for(db, [submission["id"]]):
        return []
    tz = clinic_zone(config)
    latest = store.last_cancellation(db, submission["id"], kind=KIND)
    cancelled = json.loads(latest["treatments"]) if latest else []
    return [
        TreatmentOffer(
            state,
            opens_words(state.opens_at, tz),
            treatment_slots(db, config, state),
            latest if state.booking is None and state.treatment in cancelled else None,
        )
        for state in states(db, config, submission)
    ]


class TreatmentNotYet(Conflict):
    """A treatment slot asked for before consent is signed, or inside the cooling-off."""

    message = N_("That treatment cannot be booked yet.")
    back_to = "patient.result"


def book_treatment(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    submission: dict[str, Any],
    treatment: str,
    slot_id: str | None,
    language: str = "en",
) -> int:
    """Book a free treatment slot after a signed consent and the cooling-off; anything else is refused with the
    reason and the date it opens, in the patient's `language`, and nothing changes (no booking, no audit row)."""
    if treatment not in _treatments(submission):
        raise TreatmentNotYet(N_("Choose a treatment you asked about."))
    tz = clinic_zone(config)
    state = state_of(db, config, submission["id"], treatment)
    words = TREATMENT_WORDS[treatment]
    if state.state == NO_CONSENT:
        with mail.in_language(language):
            raise TreatmentNotYet(
                gettext(
                    "Your consent to %(words)s must be signed before you can book the treatment. Nothing was booked.",
                    words=gettext(words),
                )
            )
    if state.state == GIVEN:
        with mail.in_language(language):
            raise TreatmentNotYet(
                gettext(
                    "You had your %(words)s on %(when)s. Your next course starts with a new screening. Nothing was "
                    "booked.",
                    words=gettext(words),
                    when=clock.readable_in(state.given["given_at"], tz, language),
                )
            )
    slot = store.get_slot(db, int(slot_id)) if (slot_id or "").isdigit() and len(slot_id) <= 18 else None
    if slot is None or slot["kind"] != "treatment" or slot["cancelled_at"] is not None:
        raise TreatmentNotYet(N_("Sorry, that treatment time is not available. Please choose another."))
    if state.opens_at is not None and _parse(slot["starts_at"]) < state.opens_at:
        with mail.in_language(language):
            raise TreatmentNotYet(
                gettext(
                    "That time is inside the cooling-off. You may book your treatment from %(when)s. Nothing was "
                    "booked.",
                    when=clock.readable_in(clock.to_utc_iso(state.opens_at), tz, language),
                )
            )
    if _parse(slot["starts_at"]) <= clock.utc_now():
        raise TreatmentNotYet(N_("That time has passed. Please choose another."))
    when = clock.readable(slot["starts_at"], tz)
    details = clinic.details(db, config)
    practitioner = slot.get("practitioner") or ""
    booking_id = store.book_slot(
        db,
        submission_id=submission["id"],
        slot_id=slot["id"],
        treatments=[treatment],
        audit=actor.event("treatment_booked", role="patient", detail={"slot": slot["id"], "treatment": treatment}),
        kind=KIND,
        mails=(
            mail.booked(
                config,
                submission["email"],
                own_link(config, submission),
                clock.readable_in(slot["starts_at"], tz, mail.language_of(submission)),
                submission_id=submission["id"],
                practitioner=practitioner,
                address=details.address,
                calendar=_calendar(
                    config, details, submission["id"], slot["id"], slot, practitioner, mail.language_of(submission)
                ),
                kind=KIND,
                treatments=[treatment],
                language=mail.language_of(submission),
            ),
            *clinic.booking_notice(db, config, "booked", when, submission["id"], KIND),
        ),
    )
    mail.nudge(config)
    return booking_id


def _calendar(
    config, details, submission_id: int, slot_id: int, times: dict[str, Any], practitioner: str, language: str = "en"
) -> str:
    """The treatment appointment's .ics, the same for the email and the page (a UID of its own)."""
    return calendar.appointment(
        uid=calendar.appointment_uid(config["PUBLIC_URL"], submission_id, slot_id, kind=KIND),
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
        clinic_name=details.name,
        address=details.address,
        practitioner=practitioner,
        stamp=clock.to_utc_iso(clock.utc_now()),
        kind=KIND,
        language=language,
    )


class NoTreatmentToCancel(Conflict):
    """A cancel asked for with no treatment appointment of this screening's behind it (cancelled already, never
    booked, or another booking's number)."""

    message = N_("There is no treatment appointment of yours to cancel. Nothing was changed.")
    back_to = "patient.result"


def treatment_booking(db: Database, submission: dict[str, Any]) -> dict[str, Any] | None:
    """The screening's kept treatment appointment, with its slot's time and practitioner, if any."""
    return store.active_booking(db, submission["id"], kind=KIND)


def cancel_treatment(
    db: Database, config: dict[str, Any], actor: store.Actor, submission: dict[str, Any], booking_id: str | None
) -> None:
    """Cancel the patient's own treatment appointment `booking_id` (audited as treatment_cancelled, the patient and
    the clinic emailed, the slot free again); the consultation's booking is left as it is. Anything but this
    screening's kept treatment appointment is refused (NoTreatmentToCancel) and nothing changes."""
    held = treatment_booking(db, submission)
    if held is None or not (booking_id or "").isdigit() or len(booking_id) > 18 or int(booking_id) != held["id"]:
        raise NoTreatmentToCancel()
    when = clock.readable(held["starts_at"], clinic_zone(config))
    cancelled = store.cancel_booking(
        db,
        submission["id"],
        actor.event("treatment_cancelled", role="patient", detail={"treatment": held["treatments"][0]}),
        mails=(
            mail.cancelled(
                config,
                submission["email"],
                own_link(config, submission),
                clock.readable_in(held["starts_at"], clinic_zone(config), mail.language_of(submission)),
                by_clinic=False,
                submission_id=submission["id"],
                kind=KIND,
                treatments=held["treatments"],
                language=mail.language_of(submission),
            ),
            *clinic.booking_notice(db, config, "cancelled", when, submission["id"], KIND),
        ),
        kind=KIND,
        booking_id=held["id"],
    )
    if not cancelled:  # cancelled by another request (or withdrawn by the clinic) a moment ago
        raise NoTreatmentToCancel()
    mail.nudge(config)


def treatment_calendar(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> str:
    """The kept treatment appointment as an .ics file (what the confirmation email attaches): the time and place
    only, nothing clinical. NotFound without one."""
    held = treatment_booking(db, submission)
    if held is None:
        raise NotFound()
    details = clinic.details(db, config)
    return _calendar(
        config,
        details,
        submission["id"],
        held["slot_id"],
        held,
        held.get("practitioner") or "",
        mail.language_of(submission),
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
    product: dict[str, Any] | None = None,
) -> int:
    """Record a treatment given. Refused (FieldError, nothing stored) without a signed consent, by anyone but the
    practitioner who took it, or inside the cooling-off unless the clinic allows a same-day treatment and a reason
    is given; then it is recorded with the reason and audited as same-day. `product` is what was used (product_id,
    batch_id, areas as (area, amount) pairs, warning_read), checked by products.product_used first. The patient's
    aftercare email and the check-in due two weeks on are queued in the same transaction."""
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
    inside = not cooling_off_passed(state.opens_at, clock.utc_now())  # a second record under one consent too
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
    used = products.product_used(db, config, submission, treatment, **(product or {}))
    booking = state.booking
    given_id = store.record_treatment_given(
        db,
        {
            **used.values,
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
            detail={"treatment": treatment, "consent": consent["id"], "same_day": inside, **used.audit},
        ),
        used.areas,
        mails=aftercare.treatment_mails(db, config, submission, treatment),
    )
    mail.nudge(config)
    return given_id


def diary_mark(db: Database, tz, hours: int, submission_id: int, treatments: list[str]) -> str:
    """A treatment appointment's mark in the diary: its treatments' consent states, in words."""
    return "; ".join(state_with(db, submission_id, t, hours).describe(tz) for t in treatments) or "no consent"
