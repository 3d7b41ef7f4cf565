"""The aftercare email, queued in the transaction of the treatment given, and the check-in two weeks later, through a
real SMTP server: the check-in is not sent at 13 days and is at 14, and its link opens the patient's private page; a
problem reported before it is due withdraws it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from screening import store
from tests.factories import (
    DETAILS,
    audit_rows,
    consult,
    db_connection,
    deliver,
    outbox,
    rows,
    signed_consent_row,
    someone,
)
from tests.journeys import clinician_reports_problem, record_treatment, signed_in, submit_through_form, token_of
from tests.mail.mail_helpers import assert_nothing_clinical, text_of

pytestmark = pytest.mark.mail_server

PATIENT = DETAILS["email"]
CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GIVEN = CONSULTED + timedelta(days=3)


def treat(app, db_path, clock, auth, treatment: str = "toxin", details=DETAILS):
    """A patient treated by Ada three days after consent, the submission's own email sent: (their browser, the
    submission)."""
    clock.set(CONSULTED)
    patient, submission_id = submit_through_form(app, treatment, details=details)
    ada = auth.account("ada@clinic.example", name="Ada")
    with db_connection(db_path) as db:
        signed_consent_row(db, submission_id, consult(db, submission_id), ada, treatment, store.iso(CONSULTED))
    clock.set(GIVEN)
    browser = signed_in(app, "ada@clinic.example")
    assert deliver(app)["failed"] == 0  # the submission's own email, out of the way
    given = record_treatment(browser, db_path, submission_id, treatment)
    assert given.status_code == 303
    return patient, submission_id


def given_id_of(db_path, submission_id: int) -> int:
    (given,) = rows(db_path, "SELECT id FROM treatment_given WHERE submission_id = ?", [submission_id])
    return given["id"]


def check_ins_to(inbox, address: str) -> list:
    return [m for m in inbox.to(address) if "How are you getting on" in m["Subject"]]


def test_the_aftercare_is_queued_with_the_treatment_and_delivered(app, smtp, db_path, clock, auth):
    _, inbox = smtp
    _, submission_id = treat(app, db_path, clock, auth, "toxin")

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


def report(patient, given_id: int, what: str, started: str):
    """The patient tells the clinic about a problem from the treatment's aftercare page."""
    patient.get(f"/your-result/aftercare/{given_id}")
    sent = patient.post(
        f"/your-result/aftercare/{given_id}",
        data={"csrf_token": token_of(patient), "what": what, "started": started},
    )
    assert sent.status_code == 303


def withdrawn_flags(db_path) -> list[bool]:
    return [json.loads(e["detail"])["check_in_withdrawn"] for e in audit_rows(db_path, "complication_reported")]


def test_a_problem_the_patient_reports_withdraws_their_check_in_and_another_patients_is_still_sent(
    app, smtp, db_path, clock, auth
):
    _, inbox = smtp
    other = {**DETAILS, **someone(2)}
    _, others = treat(app, db_path, clock, auth, "toxin", details=other)
    patient, submission_id = treat(app, db_path, clock, auth, "toxin")
    deliver(app)  # both aftercare emails
    assert [row["submission_id"] for row in outbox(db_path, "check_in") if row["sent_at"] is None] == [
        others,
        submission_id,
    ]

    clock.set(GIVEN + timedelta(days=1))
    report(patient, given_id_of(db_path, submission_id), "My eyelid droops", "05/12/2026")
    assert [row["submission_id"] for row in outbox(db_path, "check_in")] == [others]  # withdrawn with the report
    assert withdrawn_flags(db_path) == [True]

    clock.set(GIVEN + timedelta(days=15))
    assert deliver(app) == {"sent": 1, "failed": 0}
    assert check_ins_to(inbox, PATIENT) == []
    assert len(check_ins_to(inbox, other["email"])) == 1


def test_a_problem_a_clinician_records_withdraws_the_check_in_too(app, smtp, db_path, clock, auth):
    _, inbox = smtp
    _, submission_id = treat(app, db_path, clock, auth, "filler")
    given_id = given_id_of(db_path, submission_id)

    clock.set(GIVEN + timedelta(days=2))
    ada = signed_in(app, "ada@clinic.example")  # a session idles out when the clock jumps
    recorded = clinician_reports_problem(ada, submission_id, given_id, "Phoned: a small lump", "05/12/2026")
    assert recorded.status_code == 303
    assert outbox(db_path, "check_in") == [] and withdrawn_flags(db_path) == [True]

    clock.set(GIVEN + timedelta(days=15))
    deliver(app)
    assert check_ins_to(inbox, PATIENT) == []


def test_a_report_after_the_check_in_was_sent_leaves_the_sent_check_in_alone(app, smtp, db_path, clock, auth):
    _, inbox = smtp
    patient, submission_id = treat(app, db_path, clock, auth, "filler")
    clock.set(GIVEN + timedelta(days=14))
    deliver(app)
    assert len(check_ins_to(inbox, PATIENT)) == 1

    clock.set(GIVEN + timedelta(days=15))
    report(patient, given_id_of(db_path, submission_id), "A hard lump", "17/12/2026")
    (check_in,) = outbox(db_path, "check_in")
    assert check_in["sent_at"] is not None and check_in["submission_id"] == submission_id
    assert withdrawn_flags(db_path) == [False]


def treated_with_both(app, db_path, clock, auth, apart: timedelta):
    """A patient given toxin, then filler `apart` later, on one screening: (their browser, each treatment given by
    treatment, the id of each treatment's queued check-in by treatment)."""
    clock.set(CONSULTED)
    patient, submission_id = submit_through_form(app, "both")
    ada = auth.account("ada@clinic.example", name="Ada")
    with db_connection(db_path) as db:
        consultation_id = consult(db, submission_id)
        for treatment in ("toxin", "filler"):
            signed_consent_row(db, submission_id, consultation_id, ada, treatment, store.iso(CONSULTED))
    for n, treatment in enumerate(("toxin", "filler")):
        clock.set(GIVEN + n * apart)
        assert (
            record_treatment(signed_in(app, "ada@clinic.example"), db_path, submission_id, treatment).status_code == 303
        )
    given = {g["treatment"]: g for g in rows(db_path, "SELECT * FROM treatment_given")}
    queued = dict(zip(("toxin", "filler"), [row["id"] for row in outbox(db_path, "check_in")], strict=True))
    return patient, given, queued


@pytest.mark.parametrize("apart", [timedelta(0), timedelta(hours=1)], ids=["same-moment", "an-hour-apart"])
@pytest.mark.parametrize("reported", ["toxin", "filler"])
def test_a_report_withdraws_only_the_check_in_of_the_treatment_it_follows(
    app, smtp, db_path, clock, auth, apart, reported
):
    _, inbox = smtp
    patient, given, queued = treated_with_both(app, db_path, clock, auth, apart)
    kept = "filler" if reported == "toxin" else "toxin"

    report(patient, given[reported]["id"], "It is sore", "04/12/2026")

    (left,) = outbox(db_path, "check_in")
    assert left["id"] == queued[kept] and left["created_at"] == given[kept]["given_at"]
    clock.set(GIVEN + timedelta(days=15))
    deliver(app)
    assert len(check_ins_to(inbox, PATIENT)) == 1


def test_a_second_report_on_a_treatment_leaves_the_next_treatments_check_in(app, smtp, db_path, clock, auth):
    patient, given, queued = treated_with_both(app, db_path, clock, auth, timedelta(hours=1))

    report(patient, given["toxin"]["id"], "It is sore", "04/12/2026")
    report(patient, given["toxin"]["id"], "Still sore", "04/12/2026")

    assert [row["id"] for row in outbox(db_path, "check_in")] == [queued["filler"]]
    assert withdrawn_flags(db_path) == [True, False]
