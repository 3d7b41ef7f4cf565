"""Consent to treatment, in two stages. At or after the consultation the practitioner who will treat goes through the
consent text with the patient and records it (the version shown, what was discussed, the patient's questions, why
they want it and what they hope for); the patient then signs with their typed full name and a tick, on the clinic's
device or later from their private page. The optional consents (photographs, a letter to the GP) are given or
withdrawn separately, and the patient may withdraw consent to the treatment itself.

The clinician who takes consent is the treating practitioner: their register and number are on the record, nobody
else may take a consent for them, re-take theirs, or have the patient sign it on their device; only they may record
the treatment later (treatment_given.clinician_id == consent.clinician_id).

When a vulnerability rule fired (bdd_concern), or a clinic's licensed assessment instrument scored at or above its
cut-off, consent waits for a psychological-suitability assessment that says proceed (or proceed after a discussion);
refer to the GP stops it. An assessment made before a positive score does not count for it: the practitioner assesses
again with the score in hand. Every check raises before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain.consent import (
    ASSESSMENT_OUTCOMES,
    OPTIONS,
    VULNERABILITY_RULES,
    ConsentText,
)
from screening.domain.instruments import Instrument
from screening.domain.names import name_mismatch
from screening.errors import N_, FieldError, NotFound, ServiceError
from screening.services import intake
from screening.services.consent_pdf import consent_pdf
from screening.services.consent_pdf import sha256 as pdf_sha256
from screening.services.intake import own_link
from screening.services.rules.rulebook import current_consent_texts, current_instruments

# The longest each free-text field of a consent may be (the form says the same).
LIMITS = {"discussed": 4000, "patient_questions": 4000, "reasons": 2000, "hopes": 2000, "note": 4000}
SIGNED_WHERE = ("clinic_device", "private_page")


def texts(config: dict[str, Any]) -> dict[str, ConsentText]:
    """The consent texts the running app loaded and checked at start, one per treatment."""
    return current_consent_texts()


# --------------------------------------------------------------------------------------------------------------------
# What the pages show


@dataclass(frozen=True)
class ConsentState:
    texts: dict[str, ConsentText]
    consents: list[dict[str, Any]]  # newest first, each with its standing "options"
    assessments: list[dict[str, Any]]  # newest first
    needs_assessment: bool  # a vulnerability rule fired, or an instrument's score reached its cut-off
    assessed: dict[str, Any] | None  # the newest assessment that counts, when one is needed
    consulted: bool  # a consultation with `consulted` was recorded
    treatments: list[str]  # the screening's treatments that may be consented to now (bookable, none live)
    instruments: dict[str, Instrument]  # the clinic's licensed instruments (none as shipped)
    scores: list[dict[str, Any]]  # the instruments' scores recorded for this screening, newest first
    rule_fired: bool  # a vulnerability rule of the screening fired

    @property
    def awaiting_signature(self) -> list[dict[str, Any]]:
        return [c for c in self.consents if not c["signed_at"] and not c["withdrawn_at"]]

    @property
    def positive_scores(self) -> list[dict[str, Any]]:
        return [score for score in self.scores if score["positive"]]


@dataclass(frozen=True)
class AssessmentDue:
    """Whether consent waits for a psychological-suitability assessment, why, and the assessment that counts."""

    rule_fired: bool
    positive_score: dict[str, Any] | None  # the newest positive instrument score
    current: dict[str, Any] | None  # the newest assessment, if it is not older than the newest positive score

    @property
    def needed(self) -> bool:
        return self.rule_fired or self.positive_score is not None


def assessment_due(
    found: dict[str, Any], scores: list[dict[str, Any]], assessments: list[dict[str, Any]]
) -> AssessmentDue:
    """Work out from the screening's fired rules, its instrument scores and its assessments (both newest first)
    whether an assessment is needed and which one counts."""
    positive = next((score for score in scores if score["positive"]), None)
    newest = assessments[0] if assessments else None
    if newest is not None and positive is not None and newest["created_at"] < positive["created_at"]:
        newest = None  # assessed before the score reached its cut-off: assess again with the score in hand
    return AssessmentDue(needs_assessment(found), positive, newest)


def state(db: Database, config: dict[str, Any], found: dict[str, Any]) -> ConsentState:
    """Everything the clinician's and the patient's pages show of consent for this screening."""
    consents = [{**c, "options": store.consent_options(db, c["id"])} for c in store.consents_for(db, [found["id"]])]
    assessments = store.assessments_for(db, found["id"])
    scores = store.instrument_scores_for(db, found["id"])
    due = assessment_due(found, scores, assessments)
    live = {c["treatment"] for c in consents if not c["withdrawn_at"]}
    bookable = set(intake.booking_status(db, config, found).bookable_treatments)
    return ConsentState(
        texts=texts(config),
        consents=consents,
        assessments=assessments,
        needs_assessment=due.needed,
        assessed=due.current if due.needed else None,
        consulted=_consultation(db, found["id"]) is not None,
        treatments=[t for t in found["treatments"] if t in bookable and t not in live and t in texts(config)],
        instruments=instruments(),
        scores=scores,
        rule_fired=due.rule_fired,
    )


def instruments() -> dict[str, Instrument]:
    """The clinic's licensed assessment instruments the running app loaded and checked at start, by id."""
    return current_instruments()


def needs_assessment(found: dict[str, Any]) -> bool:
    """Whether a rule of this screening that asks for a psychological-suitability assessment fired."""
    return any(rule["rule_id"] in VULNERABILITY_RULES for rule in found["rules"])


def _consultation(db: Database, submission_id: int) -> dict[str, Any] | None:
    return next((c for c in store.consultations_for(db, [submission_id]) if c["consulted"]), None)


# --------------------------------------------------------------------------------------------------------------------
# The suitability assessment


def record_assessment(
    db: Database, actor: store.Actor, found: dict[str, Any], clinician: dict[str, Any], *, outcome: str, note: str
) -> int:
    """Record the practitioner's psychological-suitability assessment (proceed, after a discussion, refer to GP)."""
    if outcome not in ASSESSMENT_OUTCOMES:
        raise FieldError("outcome", "Choose the outcome of the assessment")
    if len(note) > LIMITS["note"]:
        raise FieldError("note", f"Enter {LIMITS['note']:,} characters or fewer")
    _check_register(clinician, "outcome", "recording an assessment")
    scores = store.instrument_scores_for(db, found["id"])
    followed = next((score for score in scores if score["positive"]), scores[0] if scores else None)
    based_on = (
        {"instrument": followed["instrument"], "score": followed["score"], "positive": followed["positive"]}
        if followed
        else {}
    )
    return store.record_assessment(
        db,
        {
            "submission_id": found["id"],
            "clinician_id": clinician["id"],
            "clinician_name": clinician["name"],
            "outcome": outcome,
            "note": note.strip(),
            **based_on,
        },
        actor.event("suitability_assessed", detail={"outcome": outcome, **based_on}),
    )


def record_instrument(
    db: Database,
    actor: store.Actor,
    found: dict[str, Any],
    clinician: dict[str, Any],
    instrument_id: str,
    answers: dict[str, str],
) -> dict[str, Any]:
    """Score a licensed instrument the practitioner administered face to face and keep the score, the cut-off and
    whether it was reached (never the answers, which are the licence holder's text). Raise NotFound for an instrument
    the clinic has not added, FieldError("instrument", ...) before the consultation or without a register number, and
    InvalidInstrumentAnswers naming each item that cannot be scored; nothing is stored then.
    Return the stored score."""
    instrument = instruments().get(instrument_id)
    if instrument is None:
        raise NotFound()
    if _consultation(db, found["id"]) is None:
        raise FieldError("instrument", "Record the consultation first: the instrument is administered at it")
    _check_register(clinician, "instrument", "recording an instrument's score")
    result = instrument.score(answers)
    values = {
        "submission_id": found["id"],
        "instrument": instrument.id,
        "version": instrument.version,
        "instrument_sha256": instrument.sha256,
        "score": result.score,
        "cut_off": instrument.cut_off,
        "positive": int(result.positive),
        "clinician_id": clinician["id"],
        "clinician_name": clinician["name"],
    }
    detail = {"instrument": instrument.id, "version": instrument.version, "score": result.score}
    score_id = store.record_instrument_score(
        db, values, actor.event("instrument_scored", detail={**detail, "positive": result.positive})
    )
    return {**values, "id": score_id}


# --------------------------------------------------------------------------------------------------------------------
# Taking consent


def check_take(
    db: Database,
    config: dict[str, Any],
    found: dict[str, Any],
    clinician: dict[str, Any],
    *,
    treatment: str,
    text_sha256: str,
    discussed: str,
    patient_questions: str,
    reasons: str,
    hopes: str,
) -> tuple[ConsentText, dict[str, Any]]:
    """Raise FieldError for anything that stops this practitioner taking this consent; else the text shown and the
    consultation it follows."""
    consultation = _consultation(db, found["id"])
    if consultation is None:
        raise FieldError("discussed", "Record the consultation first: consent follows the face-to-face consultation")
    if treatment not in found["treatments"]:
        raise FieldError("treatment", "This screening is not for that treatment")
    if treatment not in intake.booking_status(db, config, found).bookable_treatments:
        raise FieldError("treatment", "This treatment cannot be booked on this screening, so consent cannot be taken")
    _check_register(clinician, "discussed", "taking consent")
    for earlier in store.consents_for(db, [found["id"]]):
        if earlier["treatment"] == treatment and not earlier["withdrawn_at"]:
            if earlier["clinician_id"] != clinician["id"]:
                raise FieldError(
                    "discussed",
                    f"Consent to this treatment was taken by {earlier['clinician_name']}, who will treat: only they "
                    "may take it or treat. If the treating practitioner changes, the patient withdraws that consent "
                    "and the new practitioner takes it again",
                )
            raise FieldError("discussed", "You have taken consent to this treatment already")
    due = assessment_due(found, store.instrument_scores_for(db, found["id"]), store.assessments_for(db, found["id"]))
    if due.needed:
        if due.current is None and due.positive_score is not None:
            title = _instrument_title(due.positive_score["instrument"])
            raise FieldError(
                "discussed",
                f"The {title} score reached its cut-off: record the psychological-suitability assessment first, with "
                "the score in hand",
            )
        if due.current is None:
            raise FieldError(
                "discussed",
                "The screening's appearance-concern questions fired: record the psychological-suitability assessment "
                "first",
            )
        if due.current["outcome"] == "refer_gp":
            raise FieldError(
                "discussed",
                "The suitability assessment says refer to the GP: consent cannot be taken, and the patient is not "
                "treated now",
            )
    text = texts(config).get(treatment)
    if text is None or text.sha256 != text_sha256:
        raise FieldError("discussed", "The consent text changed; read it again with the patient")
    for name, value, required in (
        ("discussed", discussed, "Say what you discussed with the patient"),
        ("patient_questions", patient_questions, ""),
        ("reasons", reasons, "Say why the patient wants this treatment"),
        ("hopes", hopes, "Say what the patient hopes for"),
    ):
        if required and not value.strip():
            raise FieldError(name, required)
        if len(value) > LIMITS[name]:
            raise FieldError(name, f"Enter {LIMITS[name]:,} characters or fewer")
    return text, consultation


def take(
    db: Database,
    actor: store.Actor,
    config: dict[str, Any],
    found: dict[str, Any],
    clinician: dict[str, Any],
    *,
    treatment: str,
    text_sha256: str,
    discussed: str,
    patient_questions: str,
    reasons: str,
    hopes: str,
    options: dict[str, bool],
) -> int:
    """Check and store the consent as taken by the signed-in practitioner, who is recorded as the one who treats
    (never a clinician named in the request), with the optional consents' first answers. Returns its id."""
    text, consultation = check_take(
        db,
        config,
        found,
        clinician,
        treatment=treatment,
        text_sha256=text_sha256,
        discussed=discussed,
        patient_questions=patient_questions,
        reasons=reasons,
        hopes=hopes,
    )
    values = {
        "submission_id": found["id"],
        "consultation_id": consultation["id"],
        "treatment": treatment,
        "text_version": text.version,
        "text_sha256": text.sha256,
        "clinician_id": clinician["id"],
        "clinician_name": clinician["name"],
        "register": clinician["register"],
        "register_number": clinician["register_number"],
        "discussed": discussed.strip(),
        "patient_questions": patient_questions.strip(),
        "reasons": reasons.strip(),
        "hopes": hopes.strip(),
    }
    chosen = {option: bool(options.get(option)) for option in OPTIONS}
    return store.take_consent(
        db,
        values,
        chosen,
        actor.event(
            "consent_taken",
            detail={"submission_id": found["id"], "treatment": treatment, "text_version": text.version},
        ),
    )


# --------------------------------------------------------------------------------------------------------------------
# The patient's part: signing, the optional consents, withdrawing


def consent_of(db: Database, found: dict[str, Any], consent_id: int | str | None) -> dict[str, Any]:
    """One consent of this screening; NotFound for any other (another patient's consent is never acted on)."""
    text = str(consent_id or "")
    consent = store.get_consent(db, int(text)) if text.isdigit() and len(text) <= 18 else None
    if consent is None or consent["submission_id"] != found["id"]:
        raise NotFound()
    return consent


def signed_pdf(db: Database, actor: store.Actor, found: dict[str, Any], consent_id: int) -> tuple[bytes, str]:
    """The signed consent's PDF and its file name, audited as read (by the patient or a clinician); NotFound for a
    consent of another screening or one not signed."""
    consent = consent_of(db, found, consent_id)
    document = store.consent_pdf(db, consent["id"])
    if document is None:
        raise NotFound()
    store.append_audit(db, actor.event("consent_pdf_downloaded", object_type="consent", object_id=consent["id"]))
    return document, f"consent-{consent['id']}-{consent['treatment']}.pdf"


def sign(
    db: Database,
    actor: store.Actor,
    config: dict[str, Any],
    found: dict[str, Any],
    consent: dict[str, Any],
    *,
    typed_name: str,
    understood: bool,
    where: str,
    clinician: dict[str, Any] | None = None,
) -> int:
    """The patient's signature: their full name as given and the tick. On the clinic's device only the consent's
    own practitioner may have it signed. Returns the consent's id (the place the signed PDF is to be made)."""
    if where not in SIGNED_WHERE:
        raise ServiceError("Unknown place of signing.")
    if where == "clinic_device" and (clinician is None or clinician["id"] != consent["clinician_id"]):
        raise FieldError(
            "full_name",
            f"This consent was taken by {consent['clinician_name']}: only they may have the patient sign it",
        )
    if consent["withdrawn_at"]:
        raise ServiceError(N_("This consent was withdrawn: it cannot be signed. Nothing was changed."))
    if consent["signed_at"]:
        raise ServiceError(N_("This consent is signed already. Nothing was changed."))
    text = texts(config).get(consent["treatment"])
    if text is None or text.sha256 != consent["text_sha256"]:
        raise FieldError(
            "full_name",
            N_(
                "The consent text changed since this consent was taken: the practitioner goes through it again with you"
            ),
        )
    problem = name_mismatch(typed_name, found["full_name"])
    if problem:
        raise FieldError("full_name", problem)
    if not understood:
        raise FieldError("understood", N_("Tick the box to say you have read and understood the consent, and consent"))
    signed = {
        **consent,
        "signed_name": typed_name.strip(),
        "signed_at": store.iso(clock.utc_now()),
        "signed_where": where,
    }
    document = consent_pdf(
        clinic_name=config["CLINIC_NAME"],
        text=text,
        consent=signed,
        options=store.consent_options(db, consent["id"]),
        patient_name=found["full_name"],
        tz=clock.zone(config["CLINIC_TIMEZONE"]),
    )
    digest = pdf_sha256(document)
    told = mail.consent_signed(
        config,
        found["email"],
        own_link(config, found),
        submission_id=found["id"],
        consent_id=consent["id"],
        language=mail.language_of(found),
    )
    signed_id = store.sign_consent(
        db,
        consent["id"],
        signed_name=signed["signed_name"],
        signed_where=where,
        signed_at=signed["signed_at"],
        pdf=document,
        pdf_sha256=digest,
        audit=actor.event(
            "consent_signed",
            detail={"treatment": consent["treatment"], "signed_where": where, "pdf_sha256": digest},
        ),
        mails=(told,),
    )
    mail.nudge(config)
    return signed_id


def change_option(
    db: Database, actor: store.Actor, consent: dict[str, Any], *, option: str, given: bool, by: str = "patient"
) -> int:
    """Give or withdraw one optional consent (photographs, a letter to the GP); kept as a history."""
    if option not in OPTIONS:
        raise ServiceError(N_("There is no such optional consent."))
    if consent["withdrawn_at"]:
        raise ServiceError(N_("Consent to this treatment was withdrawn: its optional consents cannot change."))
    return store.change_consent_option(
        db,
        consent["id"],
        option,
        given,
        by,
        actor.event("consent_option_changed", detail={"option": option, "given": given, "by": by}),
    )


def withdraw(db: Database, actor: store.Actor, consent: dict[str, Any]) -> None:
    """Withdraw consent to the treatment itself (the record stays, marked withdrawn)."""
    if consent["withdrawn_at"]:
        raise ServiceError(N_("Consent to this treatment was withdrawn already."))
    event = actor.event("consent_withdrawn", detail={"treatment": consent["treatment"]})
    store.withdraw_consent(db, consent["id"], event)


def _instrument_title(instrument_id: str) -> str:
    known = instruments().get(instrument_id)
    return known.title if known else instrument_id


def _check_register(clinician: dict[str, Any], field: str, doing: str) -> None:
    if not clinician.get("register") or not clinician.get("register_number"):
        raise FieldError(
            field, f"Add your professional register and number to your profile (Your account) before {doing}"
        )
