"""The aftercare email, queued in the transaction of the treatment given, and the check-in two weeks later, through a
real SMTP server: the check-in is not sent at 13 days and is at 14, and its link opens the patient's private page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from screening import store
from tests.factories import DETAILS, consult, db_connection, deliver, rows, signed_consent_row
from tests.journeys import record_treatment, signed_in, submit_through_form, token_of
from tests.mail.mail_helpers import assert_nothing_clinical, text_of

pytestmark = pytest.mark.mail_server

PATIENT = DETAILS["email"]
CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GIVEN = CONSULTED + timedelta(days=3)


def treat(app, db_path, clock, auth, treatment: str = "toxin") -> int:
    clock.set(CONSULTED)
    _, submission_id = submit_through_form(app, treatment)
    ada = auth.account("ada@clinic.example", name="Ada")
    with db_connection(db_path) as db:
        signed_consent_row(db, submission_id, consult(db, submission_id), ada, treatment, store.iso(CONSULTED))
    clock.set(GIVEN)
    browser = signed_in(app, "ada@clinic.example")
    assert deliver(app)["failed"] == 0  # the submission's own email, out of the way
    given = record_treatment(browser, db_path, submission_id, treatment)
    assert given.status_code == 303
    return submission_id


def test_the_aftercare_is_queued_with_the_treatment_and_delivered(app, smtp, db_path, clock, auth):
    _, inbox = smtp
    submission_id = treat(app, db_path, clock, auth, "toxin")

    (queued,) = rows(db_path, "SELECT * FROM outbox WHERE kind = 'aftercare'")
    (given,) = rows(db_path, "SELECT * FROM treatment_given")
    assert queued["created_at"] == given["given_at"] and queued["submission_id"] == submission_id
    assert deliver(app) == {"sent": 1, "failed": 0}  # the aftercare; the check-in waits

    (message,) = [m for m in inbox.to(PATIENT) if "aftercare" in m["Subject"]]
    body = text_of(message)
    assert "Difficulty swallowing" in body and "Muscle weakness spreading beyond the treated area" in body
    assert "up to 4 weeks after your treatment" in body and "settle within a few days" in body
    assert "call 999 or go to A&E" in body
    assert "https://screening.clinic.example/r/" in body


def test_the_check_in_is_not_sent_at_13_days_and_is_at_14(app, smtp, db_path, clock, auth):
    _, inbox = smtp
    treat(app, db_path, clock, auth, "filler")
    deliver(app)
    assert not [m for m in inbox.to(PATIENT) if "How are you getting on" in m["Subject"]]

    clock.set(GIVEN + timedelta(days=13, hours=23))
    assert deliver(app) == {"sent": 0, "failed": 0}
    assert not [m for m in inbox.to(PATIENT) if "How are you getting on" in m["Subject"]]

    clock.set(GIVEN + timedelta(days=14))
    assert deliver(app) == {"sent": 1, "failed": 0}
    (message,) = [m for m in inbox.to(PATIENT) if "How are you getting on" in m["Subject"]]
    assert_nothing_clinical(app, message)
    link = next(line for line in text_of(message).splitlines() if "/r/" in line)
    opened = app.test_client().get(link.removeprefix("https://screening.clinic.example"))
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/your-result")


def test_an_urgent_report_reaches_the_clinics_notification_address_saying_nothing_clinical(
    app, smtp, db_path, clock, auth
):
    _, inbox = smtp
    clock.set(CONSULTED)
    patient, submission_id = submit_through_form(app, "filler")
    ada = auth.account("ada@clinic.example", name="Ada")
    with db_connection(db_path) as db:
        signed_consent_row(db, submission_id, consult(db, submission_id), ada, "filler", store.iso(CONSULTED))
    clock.set(GIVEN)
    browser = signed_in(app, "ada@clinic.example")
    record_treatment(browser, db_path, submission_id, "filler")
    (given,) = rows(db_path, "SELECT id FROM treatment_given")
    patient.get(f"/your-result/aftercare/{given['id']}")
    sent = patient.post(
        f"/your-result/aftercare/{given['id']}",
        data={
            "csrf_token": token_of(patient),
            "what": "White patch on my lip",
            "started": "04/12/2026",
            "symptoms": "blanching",
        },
    )
    assert sent.status_code == 303
    deliver(app)

    (alert,) = [m for m in inbox.messages if "Urgent report" in m["Subject"]]
    assert alert["To"] == app.config["CLINIC_EMAIL"]
    body = text_of(alert)
    assert f"https://screening.clinic.example/clinician/submissions/{submission_id}" in body
    assert DETAILS["full_name"] not in body and "White patch" not in body and "blanching" not in body
    assert_nothing_clinical(app, alert)
