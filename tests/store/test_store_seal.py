"""The seal covers per-treatment outcomes, review state, decisions and contact details. A change made
outside the application makes the clinician's page warn and the patient's page offer nothing; the application's own
changes (a decision, an amendment) keep the seal in step."""

from __future__ import annotations

import pytest

from screening import migrations as migrations_module
from screening import store
from screening.db import migrate
from screening.store import submissions as submission_store
from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    REVIEW_TOXIN,
    db_connection,
    make_admin,
    publish,
    quick_submission,
)
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
        "UPDATE submission SET held_by = 999 WHERE id = ?",
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


def test_the_sealed_columns_are_those_the_last_sealing_migration_sealed_over():
    # A new sealed column needs a migration that seals the rows again (and freezes the list it used).
    assert submission_store.SEALED_COLUMNS == migrations_module.SEALED_IN_0014


def test_upgrading_keeps_intact_seals_intact_and_a_row_changed_before_the_upgrade_still_shows(db_path):
    with db_connection(db_path) as db:
        kept, changed = quick_submission(db_path, **REVIEW_TOXIN), quick_submission(db_path, **REVIEW_TOXIN)
        # The database as it stood before the hold was sealed: no column, seals over the earlier columns.
        db.execute("DELETE FROM _sqlite_migrations WHERE name = '0014_held_for_clinician'")
        db.execute("ALTER TABLE submission DROP COLUMN held_by")
        for submission_id in (kept, changed):
            store.reseal_submission(db, submission_id, migrations_module.SEALED_IN_0013)
        db.execute("UPDATE submission SET outcome = 'clear' WHERE id = ?", [changed])
        db.conn.commit()

    assert migrate(db_path) == ["0014_held_for_clinician"]

    with db_connection(db_path) as db:
        assert (store.seal_intact(db, kept), store.seal_intact(db, changed)) == (True, False)


def test_upgrading_a_database_from_before_the_seal_seals_every_row(db_path):
    with db_connection(db_path) as db:
        submission_id = quick_submission(db_path, **REVIEW_TOXIN)
        db.execute("DELETE FROM _sqlite_migrations WHERE name IN ('0013_submission_seal', '0014_held_for_clinician')")
        db.execute("ALTER TABLE submission DROP COLUMN held_by")
        db.execute("ALTER TABLE submission DROP COLUMN seal")
        db.conn.commit()

    assert migrate(db_path) == ["0013_submission_seal", "0014_held_for_clinician"]

    with db_connection(db_path) as db:
        assert store.seal_intact(db, submission_id)
