"""The treatment appointment's emails, as a real SMTP server receives them: the confirmation in treatment words with
its own .ics (a treatment summary, a UID apart from the consultation's), the cancellation, and the clinic's
withdrawal of the slot, each linking to the private page's treatment times; the clinic is told of each."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import deliver, publish, publish_treatment
from tests.journeys import book_treatment, cancel_treatment, consented_patient
from tests.mail.mail_helpers import PATIENT, assert_nothing_clinical, text_of
from tests.pages import csrf_token, page_text

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)

CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # winter: clinic time (Europe/London) is UTC
CLINIC = "desk@clinic.example"  # the notification address: CLINIC_EMAIL until the settings page names another
PRIVATE = re.compile(r"https://screening\.clinic\.example(/r/[A-Za-z0-9_-]+)(#[a-z-]+)?")


def fields_of(ics: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in ics.split("\r\n") if line and not line.startswith(("BEGIN", "END")))


def treatment_booked(app, db_path, clock, smtp):
    """A patient with a consultation appointment who booked anti-wrinkle injections with Pat on Friday 4 December,
    9:00am; every email so far delivered. Returns (browser, the inbox, treatment slots)."""
    _, inbox = smtp
    clock.set(CONSULTED)
    (consultation_slot,) = publish(db_path, 1, now=clock.now())
    patient, _ = consented_patient(app, db_path, at=CONSULTED, slot=consultation_slot)
    slots = publish_treatment(db_path, CONSULTED + timedelta(days=3), 2)
    assert book_treatment(patient, slots[0]).status_code == 303
    deliver(app)
    return patient, inbox, slots


def test_the_treatment_confirmation_says_treatment_and_attaches_its_own_calendar(app, smtp, db_path, clock):
    patient, inbox, _ = treatment_booked(app, db_path, clock, smtp)

    (message,) = [m for m in inbox.to(PATIENT) if m["Subject"] == "Your treatment appointment at Our clinic"]
    text = text_of(message)
    assert "Your treatment (anti-wrinkle injections) is booked for Friday 4 December 2026, 9:00am with Pat." in text
    assert "Please bring photo ID." in text and "change your mind" in text
    assert "consultation is booked" not in text
    assert PRIVATE.search(text), text
    assert_nothing_clinical(app, message)

    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_param("method") == "PUBLISH"
    emailed = fields_of(attachment.get_content())
    assert emailed["SUMMARY"] == "Treatment at Our clinic" and emailed["DTSTART"] == "20261204T090000Z"
    assert "anti-wrinkle" not in attachment.get_content().lower()  # a calendar is shared: no treatment named
    consultation = fields_of(patient.get("/your-result/appointment.ics").get_data(as_text=True))
    assert emailed["UID"].startswith("treatment-") and emailed["UID"] != consultation["UID"]
    page = fields_of(patient.get("/your-result/treatment.ics").get_data(as_text=True))
    assert {k: v for k, v in page.items() if k != "DTSTAMP"} == {k: v for k, v in emailed.items() if k != "DTSTAMP"}

    (notice,) = [m for m in inbox.to(CLINIC) if m["Subject"].startswith("New treatment booking")]
    assert notice["Subject"] == "New treatment booking: Friday 4 December 2026, 9:00am"


def test_cancelling_the_treatment_emails_the_patient_in_treatment_words_and_tells_the_clinic(app, smtp, db_path, clock):
    patient, inbox, _ = treatment_booked(app, db_path, clock, smtp)
    assert cancel_treatment(patient).status_code == 303
    deliver(app)

    (message,) = [m for m in inbox.to(PATIENT) if m["Subject"].endswith("is cancelled")]
    assert message["Subject"] == "Your treatment appointment at Our clinic is cancelled"
    text = text_of(message)
    cancelled = "Your treatment appointment (anti-wrinkle injections) on Friday 4 December 2026, 9:00am is cancelled."
    assert cancelled in text
    assert "choose another treatment time" in text
    assert PRIVATE.search(text).group(2) == "#treatment-toxin"
    assert_nothing_clinical(app, message)
    (notice,) = [m for m in inbox.to(CLINIC) if "cancelled" in m["Subject"]]
    assert notice["Subject"] == "Treatment booking cancelled: Friday 4 December 2026, 9:00am"


def test_a_withdrawn_treatment_slot_is_emailed_in_treatment_words_with_the_way_to_another_time(
    app, smtp, db_path, clock, auth
):
    _, inbox, slots = treatment_booked(app, db_path, clock, smtp)
    admin = auth.admin()
    confirm = admin.get(f"/clinician/admin/slots/{slots[0]}/withdraw")
    admin.post(
        f"/clinician/admin/slots/{slots[0]}/withdraw",
        data={"csrf_token": csrf_token(confirm), "reason": "The practitioner is unwell."},
    )
    deliver(app)

    (message,) = [m for m in inbox.to(PATIENT) if "has to move" in m["Subject"]]
    assert message["Subject"] == "We're sorry: your treatment appointment at Our clinic has to move"
    text = text_of(message)
    assert "the clinic can no longer give your treatment (anti-wrinkle injections) on Friday 4 December 2026" in text
    assert "The reason: The practitioner is unwell." in text and "choose another treatment time" in text
    assert "consultation" not in text.lower()
    assert_nothing_clinical(app, message)
    path, anchor = PRIVATE.search(text).groups()
    assert anchor == "#treatment-toxin"
    (notice,) = [m for m in inbox.to(CLINIC) if "cancelled" in m["Subject"]]
    assert notice["Subject"].startswith("Treatment booking cancelled")

    reader = app.test_client()  # the emailed link, opened in a browser of its own, leads to the treatment times
    page = reader.get(path, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert 'id="treatment-toxin"' in html and f'id="treatment-slot-{slots[1]}"' in html
    assert f'id="treatment-slot-{slots[0]}"' not in html
    assert "the clinic had to cancel your treatment appointment on Friday 4 December 2026, 9:00am" in page_text(page)
