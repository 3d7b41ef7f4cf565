"""The booking confirmation carries the appointment as an .ics attachment (text/calendar; method=PUBLISH), written by
the same writer as the page's file; it holds the time and place, nothing clinical, and no working link."""

from __future__ import annotations

import pytest

from tests.factories import deliver, publish, rows
from tests.journeys import book, submit_through_form
from tests.mail.mail_helpers import assert_nothing_clinical, clinical_words, text_of

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)


def _unfolded(ics: str) -> dict[str, str]:
    """The calendar's properties by name, after checking it is one event in one calendar, CRLF line ends."""
    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    lines = [tuple(line.split(":", 1)) for line in ics.split("\r\n") if line]
    assert lines[0] == ("BEGIN", "VCALENDAR") and lines[-1] == ("END", "VCALENDAR")
    assert [value for name, value in lines if name == "BEGIN"] == ["VCALENDAR", "VEVENT"]
    return {name: value for name, value in lines if name not in ("BEGIN", "END")}


def test_the_booking_email_has_the_appointment_as_a_calendar_attachment_that_parses(app, smtp, db_path, clock):
    _, inbox = smtp
    slots = publish(db_path, now=clock.now(), practitioner="Dr Ada")
    patient, _ = submit_through_form(app, "toxin")
    book(patient, slots[0])
    deliver(app)

    (message,) = [m for m in inbox.messages if m["Subject"].startswith("Your appointment at")]
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "appointment.ics"
    ics = attachment.get_content()
    fields = _unfolded(ics)
    (slot,) = rows(db_path, "SELECT * FROM slot WHERE id = ?", [slots[0]])
    assert (fields["VERSION"], fields["METHOD"]) == ("2.0", "PUBLISH")
    assert fields["DTSTART"] == slot["starts_at"].replace("-", "").replace(":", "")  # 2026-12-05T09:00:00Z
    assert fields["SUMMARY"].startswith("Consultation at") and "Dr Ada" in fields["DESCRIPTION"]
    assert "http" not in ics and "/r/" not in ics  # no working link in a file calendars sync and share
    assert not [word for word in clinical_words(app) if word.lower() in ics.lower()]
    assert_nothing_clinical(app, message)
    assert "The appointment is attached" in text_of(message)

    page_file = patient.get("/your-result/appointment.ics").get_data(as_text=True)
    same = {k: v for k, v in _unfolded(page_file).items() if k != "DTSTAMP"}
    assert same == {k: v for k, v in fields.items() if k != "DTSTAMP"}  # one writer: the page's file and the email's

    (row,) = rows(db_path, "SELECT body, calendar, sent_at FROM outbox WHERE kind = 'booked'")
    assert row["sent_at"] and row["body"] == "" and row["calendar"] == ""  # blanked once sent, like the body


def test_other_emails_have_no_attachment(app, smtp, db_path, clock):
    _, inbox = smtp
    submit_through_form(app, "toxin")
    deliver(app)

    (message,) = inbox.messages
    assert message.get_content_type() == "text/plain" and list(message.iter_attachments()) == []
