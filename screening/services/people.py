"""Who a screening is for, for clinicians' lists and pages: name, age today, what was asked for, the fired
rules by plain title; finding a patient by name, email, date of birth or reference; one person's screenings,
versions, decisions, appointments and consultations together. Plain values in and out; no Flask."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from screening import store
from screening.domain import Questionnaire
from screening.domain.questionnaire import age_in_years
from screening.domain.rule_titles import rule_title
from screening.errors import FieldError, NotFound
from screening.services.lifecycle.restriction import refuse_restricted

AREA_QUESTIONS = {"toxin": "toxin_areas", "filler": "filler_areas"}

STATE_WORDS = {
    "pending": "pending",
    "approved": "approved",
    "declined": "declined",
    "deferred": "deferred",
    "information_requested": "information requested",
    "superseded": "replaced by a newer version",
    "none": "no decision needed",
}


def age_on(date_of_birth: str | None, today: date) -> int | None:
    """A patient's age in years on a day, or None without a date of birth."""
    if not date_of_birth:
        return None
    return age_in_years(date.fromisoformat(date_of_birth), today)


def short_label(label: str) -> str:
    """'Crow's feet (lines at the outer corners of the eyes)' -> 'Crow's feet': enough for a list."""
    return label.split(" (")[0]


def areas(questionnaire: Questionnaire, treatment: str, chosen: Any) -> list[str]:
    """The treatment areas a patient chose, in words, for clinicians' lists."""
    if isinstance(chosen, str):
        chosen = json.loads(chosen)
    question = questionnaire.by_id.get(AREA_QUESTIONS[treatment])
    if not chosen:
        return []
    return [short_label(question.label_of(value)) if question else value for value in chosen]


def asked_for(questionnaire: Questionnaire, treatments: dict[str, str], row: dict[str, Any]) -> list[dict[str, Any]]:
    """Each treatment asked for with its outcome and areas: [{treatment, level, areas}]."""
    return [
        {"treatment": t, "level": level, "areas": areas(questionnaire, t, row.get(AREA_QUESTIONS[t]))}
        for t, level in treatments.items()
    ]


def titled(rule_ids: list[str], levels: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Rule ids with their plain titles and levels, for clinicians' lists."""
    return [{"id": r, "title": rule_title(r), "level": (levels or {}).get(r, "")} for r in rule_ids]


def enrich(db: Database, questionnaire: Questionnaire, rows: list[dict[str, Any]], today: date) -> list[dict]:
    """Add who (name, age today, treatments and areas) and the fired rules by plain title with level to queue rows."""
    ids = [row["id"] for row in rows]
    people = store.people_for(db, ids)
    levels = store.rule_levels(db, ids)
    enriched = []
    for row in rows:
        person = people.get(row["id"], {})
        enriched.append(
            {
                **row,
                "full_name": person.get("full_name", ""),
                "age": age_on(person.get("date_of_birth"), today),
                "asked": asked_for(questionnaire, row["treatments"], person),
                "fired": titled(row.get("rule_ids", []), levels.get(row["id"])),
                "pending": row["review_state"] == "pending",
            }
        )
    return enriched


LEVEL_WORDS = {
    "review": "review-level",
    "caution": "caution-level",
    "defer": "defer-level",
    "decline": "decline-level",
    "clear": "clear",
}
STATE_HEADINGS = {
    "pending": "waiting for a decision",
    "approved": "approved",
    "declined": "declined",
    "deferred": "deferred",
    "information_requested": "waiting for the patient's answer",
}


def queue_heading(filters: dict[str, Any]) -> str:
    """A heading that says what the filters show: 'Review-level screenings waiting for a decision'."""
    level, state, treatment = filters.get("level", "any"), filters.get("state", "any"), filters.get("treatment", "any")
    noun = "screenings" if level == "any" else f"{LEVEL_WORDS.get(level, level)} screenings"
    words = [noun]
    if treatment in ("toxin", "filler"):
        words.append(f"asking for {'anti-wrinkle injections' if treatment == 'toxin' else 'dermal filler'}")
    elif treatment == "both":
        words.append("asking for both treatments")
    if state != "any":
        words.append(STATE_HEADINGS.get(state, state))
    since, until = filters.get("since"), filters.get("until")
    if since:
        words.append(f"sent from {since.isoformat()}")
    if until:
        words.append(f"sent until {until.isoformat()}")
    text = " ".join(words)
    if level == "any" and state == "any" and len(words) == 1:
        text = "all screenings"
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------------------------------
# Finding a patient


class UnknownPatient(NotFound):
    """No screening has that reference: a page that says so and offers the search."""

    template = "clinician/unknown_patient.html"


_REFERENCE = re.compile(r"#?\s*(?:screening\s*)?(\d{1,12})", re.IGNORECASE)


@dataclass(frozen=True)
class Person:
    email: str
    date_of_birth: str
    full_name: str
    age: int | None
    newest: str = field(default="")  # the newest screening's id


def search(
    db: Database,
    questionnaire: Questionnaire,
    today: date,
    *,
    text: str,
    date_of_birth: date | None,
    actor: store.Actor | None = None,
) -> list[dict[str, Any]]:
    """Screenings matching a name (any words), an email (has '@'), a reference ('12', '#12', 'screening 12') and/or
    a date of birth; newest first, one row per screening with who it is for. With an actor, the search is audited:
    who searched and how many they found, never what they typed (a name or a date of birth)."""
    text = " ".join((text or "").split())
    if not text and date_of_birth is None:
        raise FieldError("q", "Enter a name, email address or screening reference, or a date of birth")
    reference = None
    name = email = ""
    match = _REFERENCE.fullmatch(text) if text else None
    if match:
        reference = int(match.group(1))
    elif "@" in text:
        email = text
    elif text:
        if len(text) < 2:
            raise FieldError("q", "Enter at least 2 letters of the name")
        name = text
    rows = store.search_submissions(
        db,
        name=name,
        email=email,
        date_of_birth=date_of_birth.isoformat() if date_of_birth else "",
        reference=reference,
    )
    for row in rows:
        row["treatments"] = json.loads(row["treatments"])
        row["age"] = age_on(row["date_of_birth"], today)
    if actor is not None:
        store.append_audit(db, actor.event("patients_searched", detail={"results": len(rows)}))
    return rows


def patient_page(
    db: Database, questionnaire: Questionnaire, today: date, submission_id: int, actor: store.Actor | None = None
) -> dict[str, Any]:
    """One person (the email and date of birth of this screening): their screenings and versions, decisions,
    appointments and consultation records, newest first, the view audited when an actor is given. NotFound for an
    unknown screening."""
    found = store.get_submission(db, submission_id)
    if found is None:
        raise UnknownPatient(f"No patient has a screening with the reference {submission_id}.")
    refuse_restricted(found)
    if actor is not None:
        store.append_audit(db, actor.event("patient_viewed", object_type="submission", object_id=submission_id))
    date_of_birth = found["answers"].get("date_of_birth", "")
    screenings = store.submissions_of_person(db, found["email"], date_of_birth)
    ids = [row["id"] for row in screenings]
    decisions = {sid: store.decisions_for(db, sid) for sid in ids}
    consultations = store.consultations_for(db, ids)
    levels = store.rule_levels(db, ids)
    for row in screenings:
        row["treatments"] = json.loads(row["treatments"])
        row["decisions"] = decisions[row["id"]]
        row["fired"] = titled(list(levels.get(row["id"], {})), levels.get(row["id"]))
        row["state_words"] = STATE_WORDS.get(row["review_state"], row["review_state"])
    newest = screenings[0] if screenings else found
    return {
        "person": Person(
            email=found["email"],
            date_of_birth=date_of_birth,
            full_name=newest["full_name"],
            age=age_on(date_of_birth, today),
            newest=str(newest["id"]),
        ),
        "screenings": screenings,
        "bookings": store.bookings_of(db, ids),
        "consultations": consultations,
        "names": sorted({row["full_name"] for row in screenings}),
    }


# --------------------------------------------------------------------------------------------------------------------
# The top of a submission page


HEADINGS = {
    "pending": "waiting for a decision",
    "approved": "approved",
    "declined": "declined",
    "deferred": "deferred",
    "information_requested": "information requested",
    "superseded": "replaced by a newer version",
}


def heading(found: dict[str, Any]) -> str:
    """The page heading follows the decision: 'Screening 7: approved'; with no decision needed, the outcome."""
    state = found["review_state"]
    return f"Screening {found['id']}: {HEADINGS.get(state, found['outcome'])}"


def needs_deciding(found: dict[str, Any]) -> str:
    """What a clinician still has to decide on a screening, in one sentence."""
    if found["review_state"] == "pending":
        sent = [t for t, level in found["treatments"].items() if level == "review"] or list(found["treatments"])
        names = " and ".join({"toxin": "anti-wrinkle injections", "filler": "dermal filler"}[t] for t in sent)
        if found["kind"] == "amendment":
            return f"The patient answered the clinic's question: decide on {names}."
        return f"Whether {names} can be booked."
    if found["review_state"] == "information_requested":
        return "Nothing until the patient answers the clinic's question."
    return "Nothing: " + (
        "a decision was recorded." if found["review_state"] != "none" else "no rule needs a clinician."
    )


def summary(db: Database, questionnaire: Questionnaire, today: date, found: dict[str, Any]) -> dict[str, Any]:
    """Who, age, what was asked, outcome per treatment, what needs deciding, the appointment, the consultation."""
    date_of_birth = found["answers"].get("date_of_birth")
    asked = asked_for(questionnaire, found["treatments"], found["answers"])
    consultations = store.consultations_for(db, [found["id"]])
    return {
        "heading": heading(found),
        "age": age_on(date_of_birth, today),
        "date_of_birth": date_of_birth,
        "asked": asked,
        "needs_deciding": needs_deciding(found),
        "appointment": store.active_booking(db, found["id"]),
        "consultations": consultations,
        "fired_titles": {rule["rule_id"]: rule_title(rule["rule_id"]) for rule in found["rules"]},
    }
