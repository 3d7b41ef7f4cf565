"""The seal covers per-treatment outcomes, review state, decisions and contact details. A change made
outside the application makes the clinician's page warn and the patient's page offer nothing; the application's own
changes (a decision, an amendment) keep the seal in step."""

from __future__ import annotations

import pytest

from screening import store
from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, REVIEW_TOXIN, db_connection, make_admin, publish
from tests.journeys import decide, offered, signed_in, submit_through_form
from tests.pages import page_text

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

WARNING = "Integrity check failed"


def tamper(db_path, sql: str, params=()) -> None:
    with db_connection(db_path) as db:
        db.execute(sql, params)
        db.conn.commit()


def clinician_page(app, db_path, submission_id: int) -> str:
    make_admin(db_path)
    return page_text(signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).get(f"/clinician/submissions/{submission_id}"))


def test_outcomes_changed_on_a_pending_review_warn_the_clinician_and_offer_the_patient_nothing(app, db_path, clock):
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    publish(db_path, now=clock.now())
    assert offered(patient) == []  # waiting for a clinician

    tamper(db_path, """UPDATE submission SET treatments = '{"toxin":"clear"}' WHERE id = ?""", [submission_id])

    assert offered(patient) == []
    assert WARNING in clinician_page(app, db_path, submission_id)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE submission SET review_state = 'approved' WHERE id = ?",
        "UPDATE submission SET email = 'someone.else@example.com' WHERE id = ?",
        "UPDATE submission SET phone = '07700 900999' WHERE id = ?",
        "UPDATE submission SET queue_rank = 4 WHERE id = ?",
    ],
)
def test_review_state_and_contact_details_are_sealed(app, db_path, sql):
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    tamper(db_path, sql, [submission_id])
    assert WARNING in clinician_page(app, db_path, submission_id)


def test_a_decision_keeps_the_seal_and_a_changed_decision_breaks_it(app, db_path, clock, auth):
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    publish(db_path, now=clock.now())
    assert WARNING not in clinician_page(app, db_path, submission_id)
    clinician = auth.admin()
    decide(clinician, submission_id, action="approve")
    assert WARNING not in page_text(clinician.get(f"/clinician/submissions/{submission_id}"))
    assert offered(patient) != []  # approved: the seal is in step, the patient may book
    with db_connection(db_path) as db:
        assert store.seal_intact(db, submission_id)

    tamper(db_path, "UPDATE decision SET note = 'approved by nobody' WHERE submission_id = ?", [submission_id])

    assert offered(patient) == []
    assert WARNING in page_text(clinician.get(f"/clinician/submissions/{submission_id}"))
