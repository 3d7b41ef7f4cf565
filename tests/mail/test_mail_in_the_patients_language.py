"""A patient who answered in Spanish gets every email about their screening in Spanish, as a real SMTP server
receives them: the copy of their private link, the booking confirmation with its date in Spanish words and a Spanish
.ics; the clinic's own email about the booking stays in the clinic's English."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.factories import DETAILS, answers_by_step, deliver, publish, rows
from tests.journeys import book, walk
from tests.mail.mail_helpers import PATIENT, assert_nothing_clinical, text_of

pytestmark = [pytest.mark.mail_server, pytest.mark.languages("en,es")]

MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday in winter: clinic time (Europe/London) is UTC
CLINIC = "desk@clinic.example"
PRIVATE = re.compile(r"https://screening\.clinic\.example/r/[A-Za-z0-9_-]+")


def fields_of(ics: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in ics.split("\r\n") if line and not line.startswith(("BEGIN", "END")))


def patient_in(app, code: str):
    """A patient who chose `code` with the switch, answered everything and sent it; returns their browser."""
    patient = app.test_client()
    assert patient.get(f"/language/{code}?next=/").status_code == 303
    result = walk(patient, answers_by_step("toxin"), details=DETAILS, signature=DETAILS["full_name"])
    assert result.status_code == 200
    return patient


def test_a_spanish_patients_emails_and_calendar_are_in_spanish_and_the_clinics_stay_english(app, db_path, clock, smtp):
    _, inbox = smtp
    clock.set(MORNING)
    (slot,) = publish(db_path, 1, now=clock.now(), days_ahead=3)  # Friday 4 December, 9:00
    patient = patient_in(app, "es")
    assert rows(db_path, "SELECT language FROM submission") == [{"language": "es"}]
    assert book(patient, slot).status_code == 303
    deliver(app)

    by_subject = {m["Subject"]: m for m in inbox.to(PATIENT)}
    submitted = by_subject["Sus preguntas de salud han llegado a Our clinic"]
    text = text_of(submitted)
    assert "Gracias por responder a las preguntas de salud antes de su consulta." in text
    assert "No comparta este enlace" in text and PRIVATE.search(text), text
    assert_nothing_clinical(app, submitted)

    booked = by_subject["Su cita en Our clinic"]
    text = text_of(booked)
    assert "Su consulta está reservada para el viernes, 4 de diciembre de 2026, 9:00 con Dr Ada." in text
    assert "Por favor, traiga un documento de identidad con foto." in text
    assert "booked" not in text and "Friday" not in text
    (attachment,) = list(booked.iter_attachments())
    calendar = fields_of(attachment.get_content())
    assert calendar["SUMMARY"] == "Consulta en Our clinic"
    assert calendar["DESCRIPTION"].startswith("Su consulta con Dr Ada.")
    assert calendar["DTSTART"] == "20261204T090000Z"
    # the .ics from the private page says the same
    page = fields_of(patient.get("/your-result/appointment.ics").get_data(as_text=True))
    assert page["SUMMARY"] == "Consulta en Our clinic"

    (notice,) = [m for m in inbox.to(CLINIC) if "booking" in m["Subject"].lower()]
    assert notice["Subject"] == "New booking: Friday 4 December 2026, 9:00am"


def test_the_screenings_language_decides_not_the_page_the_patient_is_on_now(app, db_path, clock, smtp):
    """An English screening's confirmation stays English even when the patient switched to Spanish afterwards."""
    _, inbox = smtp
    clock.set(MORNING)
    (slot,) = publish(db_path, 1, now=clock.now(), days_ahead=3)
    patient = patient_in(app, "en")
    assert patient.get("/language/es?next=/your-result").status_code == 303
    assert '<html lang="es">' in patient.get("/your-result").get_data(as_text=True)  # the page is Spanish now
    assert book(patient, slot).status_code == 303
    deliver(app)
    subjects = {m["Subject"] for m in inbox.to(PATIENT)}
    assert {"Your health questions have reached Our clinic", "Your appointment at Our clinic"} <= subjects
    booked = next(m for m in inbox.to(PATIENT) if m["Subject"] == "Your appointment at Our clinic")
    assert "Your consultation is booked for Friday 4 December 2026, 9:00am with Dr Ada." in text_of(booked)
