"""A decision's private note has its own column (migration 0020): the seal covers it, and a database upgraded with
decisions already in it keeps every seal whole, its older decline notes read as private."""

from __future__ import annotations

from screening import store
from screening.db import connect
from screening.migrations import migrations
from tests.factories import REVIEW_TOXIN, db_connection, make_clinician, record


def test_an_upgraded_database_keeps_its_seals_and_reads_an_older_decline_note_as_private(tmp_path):
    path = tmp_path / "screening.sqlite3"
    db = connect(path)
    try:
        migrations.apply(db, stop_before="0019_decision_private_note")
        db.conn.commit()
        submission_id = record(db, **REVIEW_TOXIN)
        clinician_id = make_clinician(path)
        db.execute(
            "INSERT INTO decision (submission_id, clinician_id, action, treatments, defer_until, note, created_at)"
            " VALUES (?, ?, 'decline', '[]', NULL, 'Neurologist advises against', '2025-06-04T10:00:00.000000Z')",
            [submission_id, clinician_id],
        )
        db.execute("UPDATE submission SET review_state = 'declined' WHERE id = ?", [submission_id])
        store.reseal_submission(db, submission_id)  # as the decision's writer sealed it before the private note
        db.conn.commit()

        migrations.apply(db)

        found = store.get_submission(db, submission_id)
        (decision,) = store.decisions_for(db, submission_id)
    finally:
        db.close()
    assert found["sealed"] is True
    assert (decision["note"], decision["private_note"]) == ("", "Neurologist advises against")


def test_the_seal_covers_the_private_note(db_path):
    clinician_id = make_clinician(db_path)
    with db_connection(db_path) as db:
        submission_id = record(db, **REVIEW_TOXIN)
        store.record_decision(
            db,
            submission_id,
            clinician_id=clinician_id,
            action="decline",
            state="declined",
            treatments=(),
            defer_until=None,
            note="",
            private_note="Neurologist advises against",
            audit=store.Actor("clinician", clinician_id).event("decision_recorded"),
        )
        assert store.get_submission(db, submission_id)["sealed"] is True

        db.execute("UPDATE decision SET private_note = 'Fine' WHERE submission_id = ?", [submission_id])
        db.conn.commit()

        assert store.get_submission(db, submission_id)["sealed"] is False
