"""The patient's copy of everything held about them (UK GDPR Art. 15, right of access; Art. 20, portability).

Built from the screening their private link opens: that screening with every version linked to it (answers changed
after a clinician's question, screenings started again from it), and the emails about those screenings. Emails are
chosen by the screening they are about, never by address: an address is whatever a patient typed, so it may be a
clinician's (with a reset link waiting in the outbox) or the clinic's own (with its notices). Nothing about any other
patient, and nothing about clinicians beyond what was decided.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from screening import clock, store
from screening.domain import Questionnaire
from screening.domain.consent import OPTIONS
from screening.errors import N_
from screening.services import products
from screening.services import review as reviewing

ACTION_WORDS = {  # in English in the copy; the copy's page says them in the patient's language (N_)
    "approve": N_("approved"),
    "decline": N_("not approved for booking online"),
    "defer": N_("deferred"),
    "request_information": N_("asked you a question"),
}


def build(
    db: Database,
    questionnaire: Questionnaire,
    ruleset_version: str,
    submission_id: int,
    *,
    clinic: str,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Everything held about the patient whose screening this is, as plain JSON-ready data. `about` says when in the
    clinic's time, in words (`zone`); `generated_at` keeps the moment in UTC for machines."""
    (family,) = store.families_of(db, [submission_id], now)
    screenings = []
    for version_id in family.ids:
        submission = store.get_submission(db, version_id)
        asked = store.decisions_for(db, version_id)
        screenings.append(
            {
                "reference": version_id,
                "kind": submission["kind"],
                "follows": submission["previous_id"],
                "sent_at": submission["created_at"],
                "screening_date": submission["screening_date"],
                "rules_version": submission["ruleset_version"],
                "question_texts": N_("as they stood when you answered")
                if submission["ruleset_version"] == ruleset_version
                else f"from rules version {ruleset_version}; you answered under version "
                f"{submission['ruleset_version']} and the wording may have changed",
                "your_details": {
                    "full_name": submission["full_name"],
                    "email": submission["email"],
                    "phone": submission["phone"],
                    "declaration_signed_as": submission["attested_name"],
                },
                "answers": [
                    {"section": title, "question_id": row.question_id, "question": row.text, "answer": row.display}
                    for title, rows in reviewing.answers_by_section(questionnaire, submission)
                    for row in rows
                ],
                "outcome": submission["outcome"],
                "outcome_per_treatment": submission["treatments"],
                "messages_shown_to_you": submission["messages"],
                "reasons": [
                    {"rule": rule["rule_id"], "level": rule["level"], "message": rule["patient_message"]}
                    for rule in submission["rules"]
                ],
                "your_reply_to_the_clinic": submission["reply"],
                "review_state": submission["review_state"],
                "clinic_decisions": [
                    {
                        "at": d["created_at"],
                        "decision": ACTION_WORDS.get(d["action"], d["action"]),
                        "treatments": d["treatments"],
                        "defer_until": d["defer_until"],
                        "question_from_the_clinic": d["note"],  # never the clinic's private note
                    }
                    for d in asked
                ],
                "appointments": [
                    {
                        "starts_at": b["starts_at"],
                        "ends_at": b["ends_at"],
                        "practitioner": b["practitioner"],
                        "treatments": b["treatments"],
                        "booked_at": b["created_at"],
                        "cancelled_at": b["cancelled_at"],
                        "cancelled_by": b["cancelled_by"],
                    }
                    for b in store.bookings_with_slots(db, version_id)
                ],
                "consents": [_consent(db, c) for c in store.consents_for(db, [version_id])],
                "treatments_given": products.summary(db, [version_id], zone),
                "problems_reported_after_treatment": [_problem(p) for p in store.complications_for(db, [version_id])],
            }
        )
    as_of = clock.readable(store.iso(now), zone) if zone else store.iso(now)
    return {
        "about": f"Everything {clinic} holds about you from its online health screening, as of {as_of}.",
        "clinic": clinic,
        "generated_at": store.iso(now),
        "screenings": screenings,
        "emails_sent_to_you": _emails(db, list(family.ids)),
        "kept_elsewhere": [
            N_(
                "The audit trail records that your screening was sent, viewed and decided, by whom and when; it holds "
                "no answers and no name."
            ),
            N_(
                "Your consultation record, if you had a consultation, is kept in the clinic's records system: ask the "
                "clinic for it."
            ),
        ],
    }


def _problem(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem reported after a treatment, as the patient's copy gives it (the clinic's follow-up included)."""
    return {
        "reference": problem["id"],
        "treatment": problem["treatment"],
        "treatment_given_at": problem["given_at"],
        "what_happened": problem["what"],
        "started": problem["started"],
        "urgent_symptoms_ticked": problem["symptoms"],
        "urgent": problem["urgent"],
        "reported_by": problem["reported_by"],
        "reported_at": problem["reported_at"],
        "follow_up_and_outcome": problem["outcome"] or None,
        "followed_up_at": problem["followed_up_at"],
        "product": problem["product"] or None,
        "batch": problem["batch"] or None,
    }


def _consent(db: Database, consent: dict[str, Any]) -> dict[str, Any]:
    pdf = store.consent_pdf(db, consent["id"])
    return {
        "reference": consent["id"],
        "treatment": consent["treatment"],
        "consent_text_version": consent["text_version"],
        "taken_by": f"{consent['clinician_name']}, {consent['register']} {consent['register_number']}",
        "taken_at": consent["taken_at"],
        "what_was_discussed": consent["discussed"],
        "your_questions": consent["patient_questions"],
        "why_you_want_it": consent["reasons"],
        "what_you_hope_for": consent["hopes"],
        "signed_as": consent["signed_name"],
        "signed_at": consent["signed_at"],
        "withdrawn_at": consent["withdrawn_at"],
        "other_consents": {OPTIONS[o]: given for o, given in store.consent_options(db, consent["id"]).items()},
        "signed_pdf_sha256": consent["pdf_sha256"] or None,
        "signed_pdf_base64": base64.b64encode(pdf).decode("ascii") if pdf else None,
    }


def _emails(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "to": row["to_addr"],
            "subject": row["subject"],
            "written_at": row["created_at"],
            "sent_at": row["sent_at"],
            "body": row["body"] or "(deleted once sent)",
        }
        for row in store.mail_about(db, submission_ids)
    ]
