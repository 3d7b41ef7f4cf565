"""After the treatment: the aftercare emailed when a treatment given is recorded and shown on the private page, the
check-in two weeks later, problems reported by the patient (or a clinician), the clinician's follow-up, the
"Reported problems" list above the queue, and the pre-filled summary for the MHRA Yellow Card scheme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain import TREATMENT_NAMES
from screening.domain.aftercare import Aftercare
from screening.errors import N_, FieldError, NotFound
from screening.services import clinic
from screening.services.intake import clinic_zone, own_link
from screening.services.people import age_on
from screening.services.rules.rulebook import current_aftercare

CHECK_IN_AFTER = timedelta(days=14)
LIMITS = {"what": 2000, "outcome": 4000, "product": 200, "batch": 200}
YELLOW_CARD_URL = "https://yellowcard.mhra.gov.uk"
SEX_WORDS = {"female": "Female", "male": "Male", "intersex": "Intersex", "prefer_not_to_say": "Not given"}


def texts() -> dict[str, Aftercare]:
    """The aftercare the running app loaded and checked at start, one per treatment."""
    return current_aftercare()


def treatment_mails(
    db: Database, config: dict[str, Any], submission: dict[str, Any], treatment: str
) -> tuple[store.Mail, ...]:
    """The emails a treatment given causes, queued with it: the aftercare now and the check-in due two weeks on."""
    text = texts()[treatment]
    link = own_link(config, submission)
    phone = clinic.details(db, config).phone
    due = clock.utc_now() + CHECK_IN_AFTER
    language = mail.language_of(submission)
    return (
        mail.aftercare(
            config, submission["email"], link, text, submission_id=submission["id"], phone=phone, language=language
        ),
        mail.check_in(config, submission["email"], link, submission_id=submission["id"], due=due, language=language),
    )


@dataclass(frozen=True)
class GivenWithAftercare:
    given: dict[str, Any]  # the treatment_given row
    aftercare: Aftercare


def given_with_aftercare(db: Database, submission: dict[str, Any]) -> list[GivenWithAftercare]:
    """Each treatment given on this screening, newest first, with its aftercare (for the private page)."""
    shown = texts()
    return [
        GivenWithAftercare(given, shown[given["treatment"]])
        for given in store.treatments_given(db, [submission["id"]])
        if given["treatment"] in shown
    ]


# --------------------------------------------------------------------------------------------------------------------
# Reporting a problem


@dataclass(frozen=True)
class Reported:
    complication_id: int
    urgent: bool
    emergency: bool  # a breathing or vision symptom: 999 or A&E
    phone: str  # the clinic's, to call now


# What a patient is asked for again, whole (the catalogue translates whole sentences, web/forms.show_field_error).
_TELL_US = {"what happened": N_("Tell us what happened")}


def _clean(field: str, value: str | None, *, required: bool, label: str) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, _TELL_US.get(label) or f"Tell us {label}")
    if len(value) > LIMITS[field]:
        raise FieldError(field, f"Please keep this to {LIMITS[field]} characters")
    return value


def report(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    submission: dict[str, Any],
    *,
    treatment_given_id: Any,
    what: str | None,
    started: date | None,
    symptoms: list[str],
    clinician: dict[str, Any] | None = None,
) -> Reported:
    """Store a problem reported after a treatment given on this screening (by the patient, or by `clinician`),
    audited; one that ticks an urgent symptom of the treatment's aftercare emails the clinic's notification address
    at once. The treatment's check-in, if not yet sent, is withdrawn with it: the patient has told the clinic how it
    went, and "how did it go?" afterwards would read as if nobody listened. Refused (FieldError, nothing stored) for
    a treatment not given on this screening, an empty description, a start day missing, in the future or before the
    treatment, or a symptom the aftercare does not list."""
    given = next(
        (g for g in store.treatments_given(db, [submission["id"]]) if str(g["id"]) == str(treatment_given_id)), None
    )
    if given is None:
        raise FieldError("treatment_given", "Choose the treatment the problem follows")
    what = _clean("what", what, required=True, label="what happened")
    today = clock.today_in(clinic_zone(config), clock.utc_now())
    given_on = datetime.fromisoformat(given["given_at"]).astimezone(clinic_zone(config)).date()
    if started is None:
        raise FieldError("started", N_("Tell us the day it started"))
    if started > today:
        raise FieldError("started", N_("The day it started cannot be in the future"))
    if started < given_on:
        raise FieldError("started", N_("The day it started cannot be before your treatment"))
    text = texts()[given["treatment"]]
    ticked = list(dict.fromkeys(symptoms))
    if any(text.symptom(s) is None for s in ticked):
        raise FieldError("symptoms", N_("Tick only the symptoms listed"))
    urgent = bool(ticked)
    emergency = any(text.symptom(s).emergency for s in ticked)
    alerts_to = clinic.alert_address(db, config)
    mails = (mail.urgent_report(config, alerts_to, submission["id"]),) if urgent and alerts_to else ()
    by = "clinician" if clinician else "patient"
    complication_id = store.record_complication(
        db,
        {
            "submission_id": submission["id"],
            "treatment_given_id": given["id"],
            "what": what,
            "started": started.isoformat(),
            "symptoms": ticked,
            "urgent": urgent,
            "reported_by": by,
            "reporter_id": clinician["id"] if clinician else None,
        },
        actor.event(
            "complication_reported",
            detail={"treatment_given": given["id"], "urgent": urgent, "reported_by": by},
        ),
        mails,
    )
    if mails:
        mail.nudge(config)
    return Reported(complication_id, urgent, emergency, clinic.details(db, config).phone)


# --------------------------------------------------------------------------------------------------------------------
# The clinician's side


def reported_problems(db: Database) -> list[dict[str, Any]]:
    """The problems not yet followed up, urgent first, then the longest waiting: the list above the queue."""
    return store.open_complications(db)


def complications(db: Database, submission: dict[str, Any]) -> list[dict[str, Any]]:
    """The problems reported for one screening, open and urgent first, each with its ticked symptoms in words
    (`symptom_words`), the treatment's name (`treatment_name`) and the product and batch used (`product_used`,
    `batch_used`: what the practitioner typed on the follow-up, else what the treatment record says; '' when
    neither says)."""
    shown = texts()
    found = store.complications_for(db, [submission["id"]])
    recorded = {t["id"]: t for t in store.treatments_with_products(db, [submission["id"]])} if found else {}
    for row in found:
        text = shown.get(row["treatment"])
        row["symptom_words"] = [(text.symptom(s).text if text and text.symptom(s) else s) for s in row["symptoms"]]
        row["treatment_name"] = TREATMENT_NAMES.get(row["treatment"], row["treatment"])
        row["product_used"], row["batch_used"] = _product_and_batch(row, recorded.get(row["treatment_given_id"]))
    return found


def _product_and_batch(found: dict[str, Any], recorded: dict[str, Any] | None) -> tuple[str, str]:
    """What the practitioner typed on the follow-up (a correction), else what the treatment record says was used."""
    product = f"{recorded['brand']} ({recorded['generic_name']})" if recorded and recorded["brand"] else ""
    batch = (
        f"{recorded['lot_number']} (expiry {recorded['expiry_date']})" if recorded and recorded["lot_number"] else ""
    )
    return found["product"] or product, found["batch"] or batch


def complication_of(db: Database, submission: dict[str, Any], complication_id: Any) -> dict[str, Any]:
    """One reported problem of this screening, or NotFound (a report of another screening is not reachable here)."""
    found = next((c for c in complications(db, submission) if str(c["id"]) == str(complication_id)), None)
    if found is None:
        raise NotFound()
    return found


def follow_up(
    db: Database,
    actor: store.Actor,
    clinician: dict[str, Any],
    submission: dict[str, Any],
    complication_id: Any,
    *,
    outcome: str | None,
    product: str | None,
    batch: str | None,
) -> int:
    """Record a clinician's follow-up of a reported problem: the outcome, and the product and batch as typed;
    audited. Refused (FieldError, nothing stored) without an outcome or with a text over its limit."""
    found = complication_of(db, submission, complication_id)
    values = {
        "outcome": _clean("outcome", outcome, required=True, label="the follow-up and its outcome"),
        "product": _clean("product", product, required=False, label="the product"),
        "batch": _clean("batch", batch, required=False, label="the batch"),
        "followed_up_by": clinician["id"],
        "followed_up_name": clinician["name"],
    }
    return store.follow_up_complication(
        db,
        found["id"],
        values,
        actor.event(
            "complication_followed_up", detail={"urgent": found["urgent"], "again": bool(found["followed_up_at"])}
        ),
    )


@dataclass(frozen=True)
class YellowCard:
    fields: list[tuple[str, str]]  # label, value: in the order the MHRA's form asks
    url: str = YELLOW_CARD_URL


def yellow_card(
    db: Database, config: dict[str, Any], submission: dict[str, Any], complication_id: Any, reporter: dict[str, Any]
) -> YellowCard:
    """The pre-filled summary of one reported problem for the MHRA Yellow Card scheme: the patient's age and sex, the
    product and batch, the dates of the treatment and the onset, the reaction and its outcome, and the reporter (the
    signed-in clinician with their register). The scheme has no interface to send it to: it is printed or copied."""
    found = complication_of(db, submission, complication_id)
    tz = clinic_zone(config)
    answers = submission.get("answers") or {}
    onset = date.fromisoformat(found["started"])
    given_on = datetime.fromisoformat(found["given_at"]).astimezone(tz).date()
    age = age_on(answers.get("date_of_birth"), onset)
    reaction = found["what"]
    if found["symptom_words"]:
        reaction += " Urgent symptoms reported: " + "; ".join(found["symptom_words"]) + "."
    register = " ".join(p for p in (reporter.get("register") or "", reporter.get("register_number") or "") if p)
    product, batch = found["product_used"], found["batch_used"]
    fields = [
        ("Patient's age at onset", f"{age} years" if age is not None else "not known"),
        ("Patient's sex", SEX_WORDS.get(answers.get("sex_at_birth") or "", "Not given")),
        ("Treatment", found["treatment_name"]),
        ("Product (brand name)", product or "not recorded"),
        ("Batch number", batch or "not recorded"),
        ("Date of treatment", given_on.isoformat()),
        ("Date the reaction started", onset.isoformat()),
        ("The reaction", reaction),
        ("Outcome", found["outcome"] or "not yet recorded"),
        ("Reporter", reporter["name"]),
        ("Reporter's professional register", register or "not recorded"),
        ("Reporter's email", reporter.get("email") or ""),
        ("Clinic", config["CLINIC_NAME"]),
    ]
    return YellowCard(fields)
