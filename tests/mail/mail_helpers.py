"""What the mail tests read in the messages a real SMTP server received (the smtp fixture of tests/conftest.py): that
an email says nothing clinical, and the one-time link a returning patient asks for."""

from __future__ import annotations

import re

from screening.services.rules.rulebook import current_ruleset
from tests.factories import BASELINE_DOB, DETAILS
from tests.pages import csrf_token

PATIENT = DETAILS["email"]


def clinical_words(app) -> set[str]:
    """Words that would tell a reader something about the patient's health: option labels, rule ids, levels."""
    with app.app_context():
        ruleset = current_ruleset()
    words = {rule.id for rule in ruleset.rules} | {"decline", "defer", "caution", "sclerosis", "myasthenia"}
    for question in ruleset.questionnaire.questions:
        words |= {option.label.lower() for option in question.options if len(option.label) > 12}
    return words


def assert_nothing_clinical(app, message) -> None:
    text = (message["Subject"] + "\n" + text_of(message)).lower()
    leaked = [word for word in clinical_words(app) if word.lower() in text]
    assert leaked == [], leaked


def text_of(message) -> str:
    """The message's words (its plain-text part: a booking confirmation also carries an .ics attachment)."""
    return message.get_body(("plain",)).get_content()


def ask_for_link(client, email: str = PATIENT, dob=BASELINE_DOB):
    page = client.get("/returning")
    assert page.status_code == 200
    return client.post(
        "/returning",
        data={
            "csrf_token": csrf_token(page),
            "email": email,
            "date_of_birth-day": str(dob.day),
            "date_of_birth-month": str(dob.month),
            "date_of_birth-year": str(dob.year),
        },
    )


def emailed_link(inbox) -> str:
    (message,) = [m for m in inbox.to(PATIENT) if "again" in m["Subject"]]
    return re.search(r"https://screening\.clinic\.example(/returning/\S+)", message.get_content()).group(1)
