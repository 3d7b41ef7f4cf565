"""Save and finish later through a real SMTP server: the email arrives with a working one-time link, says nothing
clinical, and the link resumes the saved answers in another browser."""

from __future__ import annotations

import re

import pytest

from tests.factories import BASELINE_DOB, DETAILS, answers_by_step, deliver, outbox
from tests.journeys import form_fields, post_step, start
from tests.mail.mail_helpers import assert_nothing_clinical, text_of
from tests.pages import csrf_token, location, page_text

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)

PATIENT = DETAILS["email"]


def test_the_email_arrives_and_its_link_resumes_the_saved_answers(app, smtp):
    _, inbox = smtp
    patient = app.test_client()
    assert start(patient).status_code == 303
    steps = answers_by_step("toxin")
    assert post_step(patient, "about-you", steps["about-you"]).status_code == 303
    pressed = post_step(patient, "pregnancy", steps["pregnancy"], extra={"later": "1"})
    page = patient.get(location(pressed))
    asked = patient.post("/save-for-later", data={"csrf_token": csrf_token(page), "email": PATIENT})
    assert asked.status_code == 303

    assert deliver(app) == {"sent": 1, "failed": 0}

    (message,) = inbox.to(PATIENT)
    assert message["Subject"].startswith("Finish your health questions")
    assert_nothing_clinical(app, message)
    assert "within 24 hours" in text_of(message)
    link = re.search(r"https://screening\.clinic\.example(/continue/\S+)", text_of(message)).group(1)
    assert outbox(app.config["DATABASE"], "resume_link")[0]["sent_at"]
    phone = app.test_client()
    assert phone.get(link).status_code == 303
    form = phone.get("/continue")
    resumed = phone.post(
        "/continue", data={"csrf_token": csrf_token(form), **form_fields({"date_of_birth": BASELINE_DOB})}
    )
    assert resumed.status_code == 303
    landed = phone.get(location(phone.get(location(resumed))))
    assert "Your answers are back" in page_text(landed)
    assert phone.get("/resume").headers["Location"] == "/questions/allergies"  # the first step still to answer
    assert phone.get(link).status_code == 404  # once


@pytest.mark.languages("en,es")
def test_a_link_asked_for_on_a_spanish_page_comes_in_spanish_and_its_wrong_date_says_so_in_spanish(app, smtp):
    _, inbox = smtp
    patient = app.test_client()
    patient.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-ES,es;q=0.9"  # a Spanish browser
    assert start(patient).status_code == 303
    pressed = post_step(patient, "about-you", answers_by_step("toxin")["about-you"], extra={"later": "1"})
    page = patient.get(location(pressed))
    assert "Guarde sus respuestas y termine más tarde" in page_text(page)
    assert patient.post("/save-for-later", data={"csrf_token": csrf_token(page), "email": PATIENT}).status_code == 303
    assert deliver(app) == {"sent": 1, "failed": 0}

    (message,) = inbox.to(PATIENT)
    assert message["Subject"].startswith("Termine sus preguntas de salud")
    assert "durante 24 horas" in text_of(message)
    link = re.search(r"https://screening\.clinic\.example(/continue/\S+)", text_of(message)).group(1)
    phone = app.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert phone.get(link).status_code == 303
    form = phone.get("/continue")
    wrong = phone.post(
        "/continue",
        data={"csrf_token": csrf_token(form), **form_fields({"date_of_birth": BASELINE_DOB.replace(year=1991)})},
    )
    assert wrong.status_code == 400
    assert "Esa fecha de nacimiento no coincide" in page_text(wrong)
    assert "le quedan 4 intentos antes de que este enlace deje de funcionar" in page_text(wrong)
