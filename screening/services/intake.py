"""The patient's journey as services: start, save a step, submit, answer a clinician's question, screen again, book,
cancel. Each takes the database, the settings and plain values, does its work in one write transaction (with the
mails and audit events it causes), and wakes the mail sender after the commit. No request, no session, no HTML."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain import (
    AnswerError,
    InvalidAnswers,
    RuleSet,
    Section,
    evaluate_screening,
    patient_page,
    record_facts,
)
from screening.domain.booking import AWAITING_REVIEW, Gate, bookable_window, booking_gates
from screening.domain.decisions import needs_clinician, same_person
from screening.domain.journey import merge_step, step_errors
from screening.domain.names import name_mismatch
from screening.domain.translations import localized_fired
from screening.errors import N_, FieldError, NotFound, ServiceError
from screening.mail import calendar, links
from screening.services import clinic
from screening.services.lifecycle.restriction import refuse_restricted

log = logging.getLogger(__name__)

RETURN_LINK_LIFETIME = timedelta(hours=1)
RESUME_TRIES = 5  # wrong dates of birth that spend a link to a saved screening


class StaleAnswers(ServiceError):
    """An answer that was valid when given is not any more (a date now in the past of a new day): check it again."""

    message = N_("Please check your answers again before you send them.")
    back_to = "patient.resume"


class ReturnLinkExpired(NotFound):
    message = N_("This link has expired or was used already.")
    template = "patient/returning_expired.html"


class ResumeLinkExpired(NotFound):
    """A link to finish a saved screening that no longer works: used, past its lifetime, its draft gone or stale,
    or spent by too many wrong dates of birth (`too_many`). The page is kind and says how to start again."""

    message = N_("This link has expired: start again.")
    template = "patient/resume_expired.html"


class NoPrivateLink(NotFound):
    """A private page asked for by a browser that holds no private link (a bookmark, a new browser): the page says
    the emailed link opens it, and how to have it sent again. It names no screening, so it tells nobody anything."""

    message = N_("Your private page opens from the private link in the email we sent you.")
    template = "patient/open_your_link.html"


class NothingToBook(ServiceError):
    message = N_("That time is no longer available. Please choose another.")
    back_to = "patient.result"


def clinic_zone(config: dict[str, Any]) -> ZoneInfo:
    """The clinic's time zone, from its settings."""
    return clock.zone(config["CLINIC_TIMEZONE"])


def clinic_today(config: dict[str, Any]) -> date:
    """Today's date where the clinic is."""
    return clock.today_in(clinic_zone(config))


# --------------------------------------------------------------------------------------------------------------------
# Filling in the questions


@dataclass(frozen=True)
class NewDraft:
    """What the patient's browser keeps (in its session cookie) for a draft: random references only."""

    draft_token: str
    access_token: str


def _new_draft(db: Database, config: dict[str, Any], **prefill: Any) -> NewDraft:
    draft_token, submission_key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    store.create_draft(db, draft_token, submission_key, **prefill)
    # 128 bits, derived from the submission key so that emails can carry the link; becomes it on submission.
    return NewDraft(draft_token, mail.private_token(config["SECRET_KEY"], submission_key))


def start(db: Database, config: dict[str, Any]) -> NewDraft:
    """A new, empty questionnaire (and the moment to forget questionnaires abandoned long ago)."""
    store.purge_stale_drafts(db, config["DRAFT_LIFETIME"])
    return _new_draft(db, config)


@dataclass(frozen=True)
class StepResult:
    saved: bool
    answers: dict[str, Any]  # what the page shows: the saved answers, or those just sent when there are problems
    problems: list[AnswerError]


def save_step(
    db: Database, ruleset: RuleSet, draft: store.Draft, section: Section, sent: dict[str, Any], today: date
) -> StepResult:
    """Merge one step's answers into the draft; save them only when every question shown on the step is answered
    well. Answers to questions the step turns out to hide are dropped, never counted."""
    questionnaire = ruleset.questionnaire
    merged = merge_step(section, draft.answers, sent)
    checked, errors = questionnaire.check(merged, today)
    problems = step_errors(section, errors)
    if problems:
        return StepResult(False, merged, problems)
    store.save_draft_answers(db, draft, checked.values)
    return StepResult(True, checked.values, [])


def save_details(db: Database, draft: store.Draft, full_name: str, email: str, phone: str) -> dict[str, str]:
    """Keep the patient's name, email and phone on their draft."""
    contact = {"full_name": full_name, "email": email, "phone": phone or ""}
    store.save_draft_contact(db, draft, contact)
    return contact


def submit(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    ruleset: RuleSet,
    draft: store.Draft,
    *,
    access_token: str,
    signature: str,
    reply: str,
    today: date,
    language: str = "en",
) -> None:
    """Judge the answers and store the submission with its fired rules, its audit row and its emails, and forget
    the draft, all in one transaction; only then is the patient told. A retried POST stores nothing twice."""
    try:
        answers = ruleset.questionnaire.normalise(draft.answers, today)
    except InvalidAnswers:
        raise StaleAnswers() from None
    facts = record_facts_for(db, config, draft, answers.values)
    evaluation = evaluate_screening(ruleset, record_facts.judged_answers(ruleset.questionnaire, answers, facts))
    held_by = standing_decision_for(db, config, draft, answers.values.get("date_of_birth", ""))
    new = store.NewSubmission(
        submission_key=draft.submission_key,
        access_token=access_token,
        answers=answers,
        evaluation=evaluation,
        contact=draft.contact,
        attested_name=signature,
        ruleset_version=ruleset.version,
        amends=draft.amends,
        rescreen_of=draft.rescreen_of,
        reply=reply.strip() if draft.kind == "amendment" else "",
        overrides=tuple(override.as_json() for override in ruleset.overrides),
        held_by=held_by,
        record_facts=facts,
        language=language,
    )
    try:
        with store.write_transaction(db):
            submission_id = store.record_submission(db, new, draft_id=draft.id)
            store.append_audit(
                db,
                actor.event(
                    "submission_created",
                    role="patient",
                    object_type="submission",
                    object_id=submission_id,
                    # what `audit verify`, backup and restore hold the stored screening and its seal against
                    detail={
                        "outcome": evaluation.outcome,
                        "treatments": evaluation.treatments,
                        "rules": len(evaluation.fired),
                        "seal": store.seal_kind(db, submission_id),  # a keyed seal can never turn plain
                        "held_by": held_by,
                        "record_facts": bool(facts),
                    },
                ),
            )
            if evaluation.engine_errors:
                _record_engine_fault(db, actor, submission_id, evaluation.engine_errors)
            if new.amends is not None:
                store.supersede(db, new.amends, submission_id)
            store.queue_mail(db, _submission_mails(config, new, submission_id, clinic.alert_address(db, config)))
    except store.DuplicateSubmission:
        return  # a double click or a concurrent retry stored it first: the first submission stands
    except store.NotAmendable:
        store.delete_draft(db, draft.id)  # the clinic dealt with the question meanwhile: these changes go nowhere
        raise
    mail.nudge(config)


def _record_engine_fault(db: Database, actor: store.Actor, submission_id: int, rule_ids: tuple[str, ...]) -> None:
    """A rule that could not be evaluated or whose message could not be rendered: the screening went to a clinician
    (domain.rules.ENGINE_ERROR_LEVEL). Logged and audited with the rule ids and the submission id only."""
    log.error(
        "rule engine fault in rule(s) %s for submission %s: sent to a clinician", ", ".join(rule_ids), submission_id
    )
    store.append_audit(
        db,
        actor.event(
            "rule_engine_error",
            role="patient",
            outcome="failure",
            object_type="submission",
            object_id=submission_id,
            detail={"rules": list(rule_ids)},
        ),
    )


def record_facts_for(
    db: Database, config: dict[str, Any], draft: store.Draft, answers: dict[str, Any]
) -> dict[str, Any]:
    """What the clinic's own record supplies to the rules: the date (in the clinic's time) of the latest toxin
    treatment the clinic gave the same person (the screening this draft started from or answers, or the same date of
    birth and email, or the same phone), when it is later than the patient's answer or they answered none; {}
    otherwise. The patient's answers stay as answered (domain.record_facts)."""
    if answers.get("treatment_requested") not in ("toxin", "both"):
        return {}
    contact = draft.contact or {}
    own = {draft.rescreen_of, draft.amends} - {None}
    for given in store.treatments_given_with_people(db, "toxin"):  # newest first
        if given["submission_id"] in own or same_person(
            given,
            email=contact.get("email", ""),
            date_of_birth=answers.get("date_of_birth", ""),
            phone=contact.get("phone", ""),
        ):
            on = clock.local(given["given_at"], clinic_zone(config)).date()
            return record_facts.toxin_facts(answers, on, given["id"])
    return {}


def standing_decision_for(db: Database, config: dict[str, Any], draft: store.Draft, date_of_birth: str) -> int | None:
    """The newest screening of the same person (the one this draft started from, or the same date of birth and
    email, or the same phone) on which a clinician's defer or decline still stands; None when there is none.

    A screening made meanwhile goes to a clinician whatever its answers give, linked to that one."""
    contact = draft.contact or {}
    for earlier in reversed(store.standing_decisions(db, clinic_today(config).isoformat())):
        if earlier["id"] == draft.rescreen_of or same_person(
            earlier, email=contact.get("email", ""), date_of_birth=date_of_birth, phone=contact.get("phone", "")
        ):
            return earlier["id"]
    return None


def _submission_mails(
    config: dict[str, Any], new: store.NewSubmission, submission_id: int, alerts_to: str
) -> tuple[store.Mail, ...]:
    """The patient's copy of their private link; the clinic's alert, to its notification address, when a clinician
    must look (none when the clinic has no notification address)."""
    link = mail.patient_link(config, config["SECRET_KEY"], new.submission_key)
    mails = [mail.submitted(config, new.contact["email"], link, submission_id=submission_id, language=new.language)]
    if alerts_to and needs_clinician(new.evaluation.outcome, amended=new.always_to_clinician):
        mails.append(mail.review_needed(config, alerts_to, submission_id))
    return tuple(mails)


class NoQuestion(ServiceError):
    message = N_("There is no question waiting for your answer.")
    back_to = "patient.result"


def screen_again(
    db: Database, config: dict[str, Any], submission: dict[str, Any], *, date_of_birth: date | None = None
) -> NewDraft:
    """A new screening pre-filled from this one, to check and change (a returning patient's link, or the changed
    answers a practitioner goes through with the patient at the consultation); `date_of_birth` is the one on the
    identity document when the practitioner corrects a mistyped one."""
    answers = dict(submission["answers"])
    if date_of_birth is not None:
        answers["date_of_birth"] = date_of_birth.isoformat()
    return _new_draft(db, config, answers=answers, contact=_contact(submission), rescreen_of=submission["id"])


def start_answering(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> NewDraft:
    """Answer the clinician's question: a draft holding this screening's answers, to send back (and change)."""
    if submission["review_state"] != "information_requested":
        raise NoQuestion()
    return _new_draft(db, config, answers=submission["answers"], contact=_contact(submission), amends=submission["id"])


def _contact(submission: dict[str, Any]) -> dict[str, str]:
    return {key: submission[key] for key in ("full_name", "email", "phone")}


def save_as_far_as_valid(
    db: Database, ruleset: RuleSet, draft: store.Draft, section: Section, sent: dict[str, Any], today: date
) -> StepResult:
    """Save and finish later: keep every answer on the step that is valid so far (one with a problem is left out,
    one not given stays unanswered), whether or not the step is complete. The problems say what was left out."""
    merged = merge_step(section, draft.answers, sent)
    checked, errors = ruleset.questionnaire.check(merged, today)
    store.save_draft_answers(db, draft, checked.values)
    return StepResult(True, checked.values, step_errors(section, errors))


def save_for_later(
    db: Database, config: dict[str, Any], actor: store.Actor, draft: store.Draft, email: str, language: str = "en"
) -> None:
    """Email a one-time link that resumes this draft on any device, for as long as a draft lives, in `language` (the
    page's the patient asked on).

    Once the draft holds the patient's email (their details were given), the link goes only to that address; any
    other gets nothing. The caller says the same to the patient either way."""
    held = (draft.contact.get("email") or "").strip().lower()
    matched = not held or held == email.strip().lower()
    with store.write_transaction(db):
        if matched:
            nonce = links.new_return_nonce()  # the outbox holds the nonce, never the token
            lifetime = config["DRAFT_LIFETIME"]
            store.create_resume_link(
                db,
                links.return_token(config["SECRET_KEY"], nonce),
                draft,
                lifetime,
                (mail.resume_link(config, email, nonce, lasts=lifetime, language=language),),
            )
        store.append_audit(db, actor.event("resume_link_requested", role="patient", detail={"matched": matched}))
    mail.nudge(config)


def resume_link(db: Database, config: dict[str, Any], token: str) -> store.ResumeLink:
    """The saved screening a link resumes, while the link works; ResumeLinkExpired otherwise."""
    found = store.live_resume_link(db, token, config["DRAFT_LIFETIME"]) if len(token) <= 64 else None
    if found is None:
        raise ResumeLinkExpired()
    return found


def needs_date_of_birth(link: store.ResumeLink) -> bool:
    """A saved screening with a date of birth asks for it before it opens; one saved before it was given opens with
    the link alone (the link came to the patient's inbox; nothing in the draft says who they are)."""
    return bool(link.draft.answers.get("date_of_birth"))


def use_resume_link(
    db: Database, config: dict[str, Any], actor: store.Actor, token: str, date_of_birth: str | None
) -> NewDraft:
    """Spend the link and hand the saved screening to this browser. A date of birth that does not match the draft's
    is a FieldError and leaves the link working, until the fifth, which spends it (ResumeLinkExpired, too_many)."""
    link = resume_link(db, config, token)
    if needs_date_of_birth(link) and date_of_birth != link.draft.answers["date_of_birth"]:
        with store.write_transaction(db):
            left = store.count_wrong_resume_try(db, token, RESUME_TRIES)
            if left is None:
                raise ResumeLinkExpired()
            store.append_audit(
                db,
                actor.event("resume_link_refused", role="patient", outcome="failure", detail={"spent": left == 0}),
            )
        if left == 0:
            raise ResumeLinkExpired(too_many=True)
        raise FieldError(
            "date_of_birth",
            N_("That date of birth does not match the one in your saved answers. Check it and try again"),
            tries_left=left,  # the page says how many (web/patient.py), in the patient's words
        )
    new_token = secrets.token_urlsafe(16)
    with store.write_transaction(db):
        if not store.spend_resume_link(db, token, link.draft.id, new_token):
            raise ResumeLinkExpired()
        store.append_audit(db, actor.event("resume_link_used", role="patient"))
    return NewDraft(new_token, mail.private_token(config["SECRET_KEY"], link.draft.submission_key))


# --------------------------------------------------------------------------------------------------------------------
# Screening again


def request_return_link(
    db: Database, config: dict[str, Any], actor: store.Actor, *, email: str, date_of_birth: str
) -> None:
    """Email a one-time link to start again from the last answers, when the email and date of birth match.

    The caller says the same to the patient either way, so nobody can learn who has been screened here."""
    found = store.latest_submission_for(db, email, date_of_birth)
    with store.write_transaction(db):
        if found is not None:
            nonce = links.new_return_nonce()  # the outbox holds the nonce, never the token
            token = links.return_token(config["SECRET_KEY"], nonce)
            held = store.get_submission(db, found)
            own = own_link(config, held)  # the private page too: a patient who lost that email gets it back
            store.create_return_link(
                db,
                token,
                found,
                RETURN_LINK_LIFETIME,
                (
                    mail.return_link(
                        config,
                        held["email"],
                        nonce,
                        submission_id=found,
                        private_link=own,
                        language=mail.language_of(held),
                    ),
                ),
            )
        store.append_audit(
            db, actor.event("return_link_requested", role="patient", detail={"matched": found is not None})
        )
    mail.nudge(config)


def use_return_link(db: Database, config: dict[str, Any], token: str) -> NewDraft:
    """Spend the emailed link: a new screening pre-filled from the last one, to check and change."""
    submission_id = store.use_return_link(db, token) if len(token) <= 64 else None
    if submission_id is None:
        raise ReturnLinkExpired()
    return screen_again(db, config, refuse_restricted(store.get_submission(db, submission_id), patient=True))


# --------------------------------------------------------------------------------------------------------------------
# Booking


@dataclass(frozen=True)
class BookingStatus:
    gates: list[Gate]
    booking: dict[str, Any] | None
    window: tuple[date, date] | None  # the days an appointment may fall on, when something is bookable
    cancelled_by_clinic: dict[str, Any] | None  # the latest cancellation, when the clinic made it
    approved: frozenset[str] = frozenset()  # treatments a clinician approved (read with the decisions, once)
    cancelled_by_patient: dict[str, Any] | None = None  # the latest cancellation, when the patient made it

    @property
    def bookable_treatments(self) -> list[str]:
        return [gate.treatment for gate in self.gates if gate.bookable]


def booking_status(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> BookingStatus:
    """Per treatment, whether and from when it may be booked; the appointment held; a clinic cancellation."""
    decisions = store.decisions_for(db, submission["id"])
    since = store.held_since(db, submission.get("held_by"))  # an approval before the same person's hold is spent
    approved = frozenset(t for d in decisions if d["action"] == "approve" and d["id"] > since for t in d["treatments"])
    if not submission.get("sealed", True):  # changed outside the application: nothing is offered
        waiting = [Gate(treatment, AWAITING_REVIEW) for treatment in submission["treatments"]]
        return BookingStatus(waiting, store.active_booking(db, submission["id"]), None, None, approved)
    today = clinic_today(config)
    deferrals = [d["defer_until"] for d in decisions if d["action"] == "defer" and d["defer_until"]]
    last_toxin = record_facts.counted_toxin_date(submission)  # the record's date when it counted
    gates = booking_gates(
        treatments=submission["treatments"],
        review_state=submission["review_state"],
        approved=approved,
        deferred_until=date.fromisoformat(deferrals[-1]) if deferrals else None,
        screened_on=date.fromisoformat(submission["screening_date"]),
        today=today,
        valid_days=config["SCREENING_VALID_DAYS"],
        last_toxin_date=date.fromisoformat(last_toxin) if last_toxin else None,
        amended=submission["always_to_clinician"],
    )
    booking = store.active_booking(db, submission["id"])
    # Only the latest cancellation is true now: a clinic's cancellation of an earlier appointment is history once
    # the patient booked again (and perhaps cancelled that one herself).
    latest = None if booking else store.last_cancellation(db, submission["id"])
    by = latest["cancelled_by"] if latest else None
    return BookingStatus(
        gates=gates,
        booking=booking,
        window=bookable_window(gates, today),
        cancelled_by_clinic=latest if by == "clinic" else None,
        approved=approved,
        cancelled_by_patient=latest if by == "patient" else None,
    )


def free_slots(db: Database, config: dict[str, Any], status: BookingStatus) -> list[dict[str, Any]]:
    """Free slots on the days this screening may book, from now on, in the clinic's zone."""
    if not status.window or status.booking:
        return []
    tz = clinic_zone(config)
    first, last = status.window
    start = max(clock.day_start_utc(first, tz), clock.to_utc_iso(clock.utc_now()))
    end = clock.day_start_utc(last + timedelta(days=1), tz)
    return store.slots_between(db, start, end, free_only=True)


def bookable_slot(
    db: Database, config: dict[str, Any], submission: dict[str, Any], slot_id: str | None, *, refusal: str = ""
) -> tuple[BookingStatus, dict[str, Any]]:
    """A free slot this screening may book; NothingToBook when it is taken, withdrawn, outside the window, or when
    nothing is bookable."""
    status = booking_status(db, config, submission)
    if (slot_id or "").isdigit() and len(slot_id) <= 18:
        slot = next((s for s in free_slots(db, config, status) if s["id"] == int(slot_id)), None)
        if slot is not None:
            return status, slot
    raise NothingToBook(refusal or None)


def book(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    submission: dict[str, Any],
    slot_id: str | None,
    *,
    reminders: bool = False,
) -> None:
    """Book a patient into a free slot for the treatments they may book, audited, with the confirmation email; with
    `reminders` (the box on the confirmation page, unticked unless the patient ticks it) the patient's consent to a
    reminder when a refresh is due is stored in the same transaction."""
    status, slot = bookable_slot(db, config, submission, slot_id)
    when = clock.readable(slot["starts_at"], clinic_zone(config))  # the clinic's email: English
    language = mail.language_of(submission)
    details = clinic.details(db, config)
    practitioner = slot.get("practitioner") or ""
    with store.write_transaction(db):
        store.book_slot(
            db,
            submission_id=submission["id"],
            slot_id=slot["id"],
            treatments=status.bookable_treatments,
            audit=actor.event("booking_created", role="patient", detail={"slot": slot["id"]}),
            mails=(
                mail.booked(
                    config,
                    submission["email"],
                    own_link(config, submission),
                    clock.readable_in(slot["starts_at"], clinic_zone(config), language),
                    submission_id=submission["id"],
                    practitioner=practitioner,
                    address=details.address,
                    calendar=calendar.appointment(
                        uid=calendar.appointment_uid(config["PUBLIC_URL"], submission["id"], slot["id"]),
                        starts_at=slot["starts_at"],
                        ends_at=slot["ends_at"],
                        clinic_name=details.name,
                        address=details.address,
                        practitioner=practitioner,
                        stamp=clock.to_utc_iso(clock.utc_now()),
                        language=language,
                    ),
                    language=language,
                ),
                *clinic.booking_notice(db, config, "booked", when, submission["id"]),
            ),
        )
        if reminders:
            store.set_reminders(
                db,
                [submission["id"]],
                True,
                actor.event("reminders_agreed", role="patient", object_type="submission", object_id=submission["id"]),
            )
    mail.nudge(config)


def cancel_booking(db: Database, config: dict[str, Any], actor: store.Actor, submission: dict[str, Any]) -> bool:
    """Cancel the patient's own appointment (audited, emailed); False when there was none."""
    held = store.active_booking(db, submission["id"])
    if held is None:
        return False
    when = clock.readable(held["starts_at"], clinic_zone(config))
    cancelled = store.cancel_booking(
        db,
        submission["id"],
        actor.event("booking_cancelled", role="patient"),
        mails=(
            mail.cancelled(
                config,
                submission["email"],
                own_link(config, submission),
                clock.readable_in(held["starts_at"], clinic_zone(config), mail.language_of(submission)),
                by_clinic=False,
                submission_id=submission["id"],
                language=mail.language_of(submission),
            ),
            *clinic.booking_notice(db, config, "cancelled", when, submission["id"]),
        ),
    )
    mail.nudge(config)
    return cancelled


def appointment_calendar(db: Database, config: dict[str, Any], submission: dict[str, Any]) -> str:
    """The appointment as an .ics file: the time and place only, nothing clinical (the booking email attaches the
    same file)."""
    booking = store.active_booking(db, submission["id"])
    if booking is None:
        raise NotFound()
    details = clinic.details(db, config)
    return calendar.appointment(
        uid=calendar.appointment_uid(config["PUBLIC_URL"], submission["id"], booking["slot_id"]),
        starts_at=booking["starts_at"],
        ends_at=booking["ends_at"],
        clinic_name=details.name,
        address=details.address,
        practitioner=booking.get("practitioner") or "",
        stamp=clock.to_utc_iso(clock.utc_now()),
        language=mail.language_of(submission),
    )


def own_link(config: dict[str, Any], submission: dict[str, Any]) -> str:
    """The patient's private link to their result page."""
    return mail.patient_link(config, config["SECRET_KEY"], submission["submission_key"])


# --------------------------------------------------------------------------------------------------------------------
# The page that tells the truth per treatment, booking by day, answering a question, under 18


def treatment_states(
    db: Database,
    submission: dict[str, Any],
    status: BookingStatus,
    *,
    english: RuleSet | None = None,
    localized: RuleSet | None = None,
) -> list[patient_page.TreatmentState]:
    """What the private page says about each treatment now (after any clinician's decision and any booking); with
    the clinic's rule set and a localized one, every rule's message in the localized wording."""
    fired = submission["rules"]
    if english is not None and localized is not None:
        fired = localized_fired(
            fired,
            answers=submission["answers"],
            screening_date=date.fromisoformat(submission["screening_date"]),
            facts=submission["record_facts"],
            english=english,
            localized=localized,
        )
    return patient_page.treatment_states(
        gates=status.gates,
        outcomes=submission["treatments"],
        fired=fired,
        engine_errors=submission["engine_errors"],
        approved=status.approved,
        booked=status.booking is not None,
        cancelled_by_clinic=status.cancelled_by_clinic is not None,
    )


@dataclass(frozen=True)
class Day:
    day: date
    free: int  # how many free times that day


def days_with_free_times(config: dict[str, Any], slots: list[dict[str, Any]]) -> list[Day]:
    """The days (in the clinic's zone) that have at least one free time, in order."""
    tz = clinic_zone(config)
    counts: dict[date, int] = {}
    for slot in slots:
        day = clock.local(slot["starts_at"], tz).date()
        counts[day] = counts.get(day, 0) + 1
    return [Day(day, free) for day, free in sorted(counts.items())]


def times_on(config: dict[str, Any], slots: list[dict[str, Any]], day_text: str | None) -> tuple[date, list[dict]]:
    """The free times on one day; NothingToBook when the day is not one of those offered or has none left."""
    try:
        day = date.fromisoformat(day_text or "")
    except ValueError:
        raise NothingToBook(N_("Choose a day from the list.")) from None
    tz = clinic_zone(config)
    times = [slot for slot in slots if clock.local(slot["starts_at"], tz).date() == day]
    if not times:
        raise NothingToBook(N_("There are no free times left on that day. Please choose another day."))
    return day, times


def reply_to_question(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    ruleset: RuleSet,
    submission: dict[str, Any],
    *,
    reply: str,
    signature: str,
    today: date,
    language: str = "en",
) -> str:
    """Answer the clinician's question without changing any answer: a new version with the same answers and the
    reply, back to a clinician. Returns the private-link token of the new version."""
    if problem := name_mismatch(signature, submission["full_name"]):
        raise FieldError("signature", problem)
    new = start_answering(db, config, submission)
    draft = store.get_draft(db, new.draft_token, config["DRAFT_LIFETIME"])
    submit(
        db,
        config,
        actor,
        ruleset,
        draft,
        access_token=new.access_token,
        signature=" ".join(signature.split()),
        reply=reply,
        today=today,
        language=language,
    )
    return new.access_token


def under_age(draft_answers: dict[str, Any], sent: dict[str, Any], today: date) -> bool:
    """Whether the date of birth just given (or kept) is under 18 on the screening date."""
    return patient_page.too_young(sent.get("date_of_birth") or draft_answers.get("date_of_birth"), today)


def drop_trapped(db: Database, actor: store.Actor, draft: store.Draft) -> None:
    """A declaration whose honeypot was filled (a bot): store nothing of it, forget the draft it typed, and audit a
    `honeypot` event that holds no patient data."""
    with store.write_transaction(db):
        store.delete_draft(db, draft.id)
        store.append_audit(
            db, actor.event("honeypot", role="patient", outcome="failure", detail={"form": "declaration"})
        )


def end_under_age(db: Database, draft: store.Draft) -> None:
    """End the screening kindly at its first step: forget the draft, so no answer is kept."""
    store.delete_draft(db, draft.id)


def check_step(ruleset: RuleSet, draft: store.Draft, section: Section, sent: dict[str, Any], today: date) -> StepResult:
    """What save_step would say about these answers, without saving (the GET after a step sent with problems)."""
    merged = merge_step(section, draft.answers, sent)
    checked, errors = ruleset.questionnaire.check(merged, today)
    problems = step_errors(section, errors)
    return StepResult(False, merged if problems else checked.values, problems)


# --------------------------------------------------------------------------------------------------------------------
# What the patient's pages read


def draft_for(db: Database, draft_token: str | None, lifetime) -> store.Draft | None:
    """The questionnaire this browser is filling in, while it is younger than its lifetime."""
    return store.get_draft(db, draft_token, lifetime) if draft_token else None


def clinician_question(db: Database, submission_id: int) -> str:
    """The question a clinician asked about this screening, for the patient to answer."""
    return store.clinician_question(db, submission_id)


def already_sent(db: Database, submission_key: str | None) -> bool:
    """Whether the answers with this one-time key were sent already (a double click, Back after sending)."""
    return bool(submission_key) and store.submission_id_for_key(db, submission_key) is not None


def submission_for_token(db: Database, access_token: str | None) -> dict[str, Any] | None:
    """The screening a private link opens, or None; Restricted (worded for the patient) for a restricted one."""
    found = store.submission_for_token(db, access_token) if access_token else None
    return refuse_restricted(found, patient=True)


def private_link_opens(db: Database, actor: store.Actor, access_token: str) -> bool:
    """Whether a private link opens a screening; one that does not is audited as denied access."""
    if len(access_token) <= 64 and submission_for_token(db, access_token) is not None:
        return True
    store.append_audit(db, actor.event("access_denied", outcome="denied", object_type="private_link"))
    return False
