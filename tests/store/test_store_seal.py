"""The seal covers per-treatment outcomes, review state, decisions and contact details. A change made
outside the application makes the clinician's page warn and the patient's page offer nothing; the application's own
changes (a decision, an amendment) keep the seal in step."""

from __future__ import annotations

import json

import pytest

from screening import migrations as migrations_module
from screening import store
from screening.db import migrate
from screening.store import audit_key
from screening.store import submissions as submission_store
from tests.cli_helpers import invoke
from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DECLINE,
    REVIEW_TOXIN,
    approve,
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


def forge_clear(app, db_path, submission_id: int, *, with_key: bool = False) -> None:
    """What someone who can write the database file but has not the instance's key can do: make a declined screening
    clear, with its checksum and seal recomputed by the project's own functions (run where the key is not known).
    `with_key`: the same, by someone who also holds the instance's key."""
    if not with_key:
        audit_key.unregister(str(db_path))  # the forger's process: the same code, without instance/config.py
    try:
        with db_connection(db_path) as db:
            row = next(db.query("SELECT answers, ruleset_version FROM submission WHERE id = ?", [submission_id]))
            db.execute("DELETE FROM submission_rule WHERE submission_id = ?", [submission_id])
            db.execute(
                "UPDATE submission SET outcome = 'clear', treatments = '{\"toxin\":\"clear\"}', messages = '[]',"
                " review_state = 'none', queue_rank = 4, checksum = ? WHERE id = ?",
                [
                    store.checksum(json.loads(row["answers"]), "clear", [], row["ruleset_version"]),
                    submission_id,
                ],
            )
            store.reseal_submission(db, submission_id)
            db.conn.commit()
    finally:
        audit_key.register(str(db_path), audit_key.key_from_config(app.config))


def test_a_seal_recomputed_without_the_instance_key_is_refused(app, db_path, clock):
    patient, submission_id = submit_through_form(app, **DECLINE)
    publish(db_path, now=clock.now())

    forge_clear(app, db_path, submission_id)

    assert offered(patient) == []
    page = clinician_page(app, db_path, submission_id)
    assert WARNING in page
    with db_connection(db_path) as db:
        assert not store.seal_intact(db, submission_id)


def test_audit_verify_names_a_forged_screening_and_fails(app, db_path, runner):
    _, submission_id = submit_through_form(app, **DECLINE)
    assert invoke(runner, "audit", "verify").returncode == 0

    forge_clear(app, db_path, submission_id)

    done = invoke(runner, "audit", "verify")
    assert done.returncode == 1
    assert f"screening {submission_id}: its seal does not match its content" in done.stderr
    assert "whole" not in done.stdout


def test_a_forgery_resealed_with_the_key_still_disagrees_with_the_audit_trail(app, db_path, runner):
    _, submission_id = submit_through_form(app, **DECLINE)

    forge_clear(app, db_path, submission_id, with_key=True)

    done = invoke(runner, "audit", "verify")
    assert done.returncode == 1
    assert (
        f"screening {submission_id}: its outcome is 'clear' but the audit trail recorded 'decline' when it was sent"
        in done.stderr
    )


def test_the_check_of_every_seal_at_once_reads_what_each_seal_covers(app, db_path):
    ids = [quick_submission(db_path, **answers) for answers in (REVIEW_TOXIN, DECLINE, REVIEW_TOXIN)]
    approve(db_path, ids[0])  # a decision, which the seal covers too
    approve(db_path, ids[2])

    with db_connection(db_path) as db:
        key = audit_key.key_for(db)
        bulk = {row.id: store.seal_of(row.content, key.seal_key) for row in store.sealed_rows(db)}
        assert bulk == {submission_id: store.submission_seal(db, submission_id) for submission_id in ids}
        assert all(store.seal_intact(db, submission_id) for submission_id in ids)


def test_a_screening_given_the_id_of_an_erased_one_is_held_against_its_own_audit_record(app, db_path, runner):
    erased = quick_submission(db_path, **DECLINE)
    with db_connection(db_path) as db:  # erased (SQLite may hand the newest id out again)
        store.delete_submissions(db, [erased])
        db.conn.commit()

    again = quick_submission(db_path, **REVIEW_TOXIN)

    assert again == erased
    done = invoke(runner, "audit", "verify")
    assert done.returncode == 0, done.stderr


def test_the_sealed_columns_are_those_the_last_sealing_migration_sealed_over():
    # A new sealed column needs a migration that seals the rows again (and freezes the list it used), or one whose
    # empty value the seal leaves out (record_facts).
    assert submission_store.SEALED_COLUMNS == migrations_module.SEALED_IN_0024


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
