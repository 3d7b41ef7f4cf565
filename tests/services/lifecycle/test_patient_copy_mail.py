"""The emails in a patient's copy are the ones about their own screenings, whatever address they typed:
never a clinician's reset link queued to the same address, never the clinic's notices when a patient gives the
clinic's own address. And a reset link waiting in the outbox (the mail server down) opens nothing from the database."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from screening import mail, store
from screening.db import connect
from screening.mail import links
from screening.migrations import migrations
from tests.conftest import free_port
from tests.factories import DETAILS, REVIEW_TOXIN, db_connection, deliver, make_app, record, rows
from tests.journeys import Auth, sign_in, submit_through_form, token_of
from tests.pages import page_text, post_form

BO = "bo@example.org"
BO_PASSWORD = "copper meadow 58 anchor"
NEW_PASSWORD = "taken over 99 quietly now"
PUBLIC = "https://screening.clinic.example"
RESET = re.compile(r"/clinician/reset/([^\s\"'\\]+)")


def everything_in_the_database(database: str) -> str:
    with db_connection(database) as db:
        return "\n".join(
            repr(row)
            for table in db.table_names()
            for row in db.query(f"SELECT * FROM [{table}]")  # noqa: S608 - names from the database
        )


def test_a_reset_link_queued_while_mail_is_down_is_not_in_a_patients_copy_and_not_at_rest(tmp_path, smtp, clock):
    down = free_port()  # nothing listens here: the reset email waits in the outbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=down, MAIL_SECURITY="none", PUBLIC_URL=PUBLIC)
    auth = Auth(app)
    bo = auth.account(BO, password=BO_PASSWORD, name="Bo")
    admin = auth.admin()
    sent = admin.post(f"/clinician/admin/clinicians/{bo}/reset", data={"csrf_token": token_of(admin)})
    assert sent.status_code == 303
    assert deliver(app) == {"sent": 0, "failed": 1}

    # Anonymously, a screening with Bo's address, and its copy through the real page.
    patient, submission_id = submit_through_form(app, details={**DETAILS, "email": BO}, **REVIEW_TOXIN)
    copy = patient.get("/your-result/your-data.json")
    assert copy.status_code == 200
    text = copy.get_data(as_text=True)
    data = json.loads(text)
    assert [screening["reference"] for screening in data["screenings"]] == [submission_id]
    assert RESET.search(text) is None and "password" not in text.lower()
    (own,) = data["emails_sent_to_you"]  # the patient's own "your answers have reached us", and nothing else
    assert "reached" in own["subject"] and own["to"] == BO
    readable = page_text(patient.get("/your-result/your-data"))
    assert "/clinician/reset/" not in readable and "Set a new password" not in readable

    # Nothing in the database is a working reset link, nor the token that would make one.
    at_rest = everything_in_the_database(app.config["DATABASE"])
    for found in RESET.finditer(at_rest):
        assert app.test_client().get(found.group(0)).status_code == 404, found.group(0)

    # The email, once the mail server is back, carries a link that works, and that link was nowhere at rest.
    controller, inbox = smtp
    app.config["MAIL_PORT"] = controller.port
    clock.at(clock.now() + timedelta(minutes=3))  # past the failed message's retry
    assert deliver(app)["failed"] == 0
    (reset_mail,) = [m for m in inbox.to(BO) if m["Subject"].startswith("Set a new password")]
    token = RESET.search(reset_mail.get_content()).group(1)
    assert token not in at_rest
    visitor = app.test_client()
    done = post_form(visitor, f"/clinician/reset/{token}", {"new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert done.status_code == 303
    assert sign_in(app.test_client(), BO, NEW_PASSWORD).status_code == 303


@pytest.mark.mail_server  # the clinic's address is desk@clinic.example
def test_a_copy_asked_for_with_the_clinics_own_address_holds_none_of_the_clinics_notices(app, db_path):
    clinic = app.config["CLINIC_EMAIL"]
    for _ in range(3):  # other patients' screenings the clinic is told about
        submit_through_form(app, details={**DETAILS, "email": "someone@example.org"}, **REVIEW_TOXIN)
    assert len(rows(db_path, "SELECT id FROM outbox WHERE kind = 'review_needed' AND to_addr = ?", [clinic])) == 3
    patient, own = submit_through_form(app, details={**DETAILS, "email": clinic.upper()}, **REVIEW_TOXIN)

    data = json.loads(patient.get("/your-result/your-data.json").get_data(as_text=True))
    assert [screening["reference"] for screening in data["screenings"]] == [own]
    subjects = [e["subject"] for e in data["emails_sent_to_you"]]
    assert len(subjects) == 1 and "reached" in subjects[0], subjects
    assert "waiting for review" not in json.dumps(data)


def test_each_patient_email_is_queued_about_its_screening_and_staff_mail_about_none(app, db_path):
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    about = {row["kind"]: row["submission_id"] for row in rows(db_path, "SELECT kind, submission_id FROM outbox")}
    assert about == {"submitted": submission_id, "review_needed": None}
    assert mail.review_needed(app.config, "desk@clinic.example", submission_id).submission_id is None


def test_an_upgraded_clinics_waiting_patient_mail_is_tied_to_its_screening_by_its_link_reference(tmp_path):
    """Mail queued before the outbox recorded what it is about: a waiting message carries its screening's private
    link reference, which names the screening exactly; nothing is matched by address."""
    db = connect(tmp_path / "screening.sqlite3")
    migrations.apply(db, stop_before="0015_outbox_about")
    submission_id = record(db)
    key = store.get_submission(db, submission_id)["submission_key"]
    email = DETAILS["email"]
    for kind, body, sent_at in (
        ("submitted", f"Your result is on your private page:\n{links.private_link_ref(key)}\n", None),
        ("password_reset", "Set a new password: https://clinic.example/clinician/reset/abc\n", None),
        ("decision", "", "2025-01-01T00:00:00Z"),  # sent: its body is blanked, nothing names its screening
    ):
        db.execute(
            "INSERT INTO outbox (kind, to_addr, subject, body, created_at, next_attempt_at, sent_at)"
            " VALUES (?, ?, 'x', ?, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', ?)",
            [kind, email, body, sent_at],
        )
    migrations.apply(db)
    about = [row["submission_id"] for row in db.query("SELECT submission_id FROM outbox ORDER BY id")]
    assert about == [submission_id, None, None]
    db.close()
