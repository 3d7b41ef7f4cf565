"""Email through a real SMTP server: what is sent, that it says nothing clinical, retries, and the outbox files."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DETAILS,
    REVIEW_TOXIN,
    deliver,
    make_admin,
    make_app,
    publish,
    rows,
)
from tests.journeys import book, decide, signed_in, submit_through_form, token_of
from tests.mail.mail_helpers import assert_nothing_clinical

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)

PATIENT = DETAILS["email"]


def test_patient_gets_their_private_link_and_it_opens_their_page(app, smtp):
    _, inbox = smtp
    submit_through_form(app, "toxin")

    assert deliver(app) == {"sent": 1, "failed": 0}

    (message,) = inbox.to(PATIENT)
    assert "reached" in message["Subject"]
    link = next(line for line in message.get_content().splitlines() if "/r/" in line)
    assert link.startswith("https://screening.clinic.example/r/")  # from PUBLIC_URL, never the request's Host
    opened = app.test_client().get(link.removeprefix("https://screening.clinic.example"))
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/your-result")
    assert_nothing_clinical(app, message)


def test_review_level_submission_notifies_the_clinic_and_the_decision_notifies_the_patient(app, smtp, auth):
    _, inbox = smtp
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    deliver(app)
    (notice,) = inbox.to("desk@clinic.example")
    assert f"/clinician/submissions/{submission_id}" in notice.get_content()
    assert_nothing_clinical(app, notice)

    clinician = auth.admin()
    decide(clinician, submission_id, action="approve")
    deliver(app)

    decision = [m for m in inbox.to(PATIENT) if "update" in m["Subject"]]
    assert len(decision) == 1
    assert_nothing_clinical(app, decision[0])


def test_booking_and_cancelling_send_the_time_and_the_link(app, smtp, db_path, clock):
    _, inbox = smtp
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "filler")
    book(patient, slots[0])
    patient.post("/your-result/cancel", data={"csrf_token": token_of(patient)})
    deliver(app)

    subjects = [m["Subject"] for m in inbox.to(PATIENT)]
    assert any("Your appointment at" in s and "cancelled" not in s for s in subjects)
    assert any("cancelled" in s for s in subjects)
    for message in inbox.to(PATIENT):
        assert_nothing_clinical(app, message)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe closes


def test_a_failed_send_keeps_the_decision_and_the_message_and_retries_later(tmp_path, smtp, clock):
    controller, inbox = smtp
    down = make_app(
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=closed_port(),
        MAIL_SECURITY="none",
        CLINIC_EMAIL="desk@clinic.example",
    )
    database = Path(down.config["DATABASE"])
    _, submission_id = submit_through_form(down, **REVIEW_TOXIN)
    make_admin(database)
    decided = decide(signed_in(down, ADMIN_EMAIL, ADMIN_PASSWORD), submission_id, action="approve")
    assert decided.status_code == 303

    assert deliver(down) == {"sent": 0, "failed": 3}  # patient's link, clinic's notice, the decision
    queued = rows(database, "SELECT attempts, sent_at, last_error, next_attempt_at FROM outbox")
    assert all(r["attempts"] == 1 and r["sent_at"] is None and r["last_error"] for r in queued)
    assert rows(database, "SELECT review_state FROM submission")[0]["review_state"] == "approved"
    assert deliver(down) == {"sent": 0, "failed": 0}  # not due again yet

    clock.set(clock() + timedelta(minutes=3))
    down.config["MAIL_PORT"] = controller.port  # the server is back
    assert deliver(down) == {"sent": 3, "failed": 0}
    assert len(inbox.messages) == 3


def test_with_no_mail_server_messages_are_written_to_the_instance_outbox(tmp_path, caplog):
    offline = make_app(tmp_path)  # MAIL_SERVER is empty by default
    submit_through_form(offline, "toxin")

    with caplog.at_level(logging.INFO, logger="screening.mail"):
        assert deliver(offline) == {"sent": 1, "failed": 0}

    (written,) = sorted((tmp_path / "outbox").glob("*.eml"))
    assert written.name.endswith("-submitted.eml")
    assert "To: " + PATIENT in written.read_text()
    assert any("no MAIL_SERVER configured" in record.getMessage() for record in caplog.records)
    assert all(PATIENT not in record.getMessage() for record in caplog.records)  # no patient data in the log


def test_the_sender_thread_delivers_without_being_asked(tmp_path, smtp):
    controller, inbox = smtp
    running = make_app(
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_SECURITY="none",
        MAIL_SENDER=True,
        MAIL_INTERVAL=0.2,
    )
    try:
        submit_through_form(running, "toxin")
        for _ in range(100):  # bounded: up to 10 s for the thread's next round
            if inbox.messages:
                break
            running.extensions["screening.mail"].wake.wait(0.1)
        assert [m["To"] for m in inbox.messages] == [PATIENT]
    finally:
        running.extensions["screening.mail"].stop()
