"""Records over their life (store/records.py): deleting a family reaches every row that points at it.

Erasure and the retention purge delete a screening with every row that refers to it. The schema's own foreign keys
(PRAGMA foreign_key_list over every table of a migrated database) say which rows those are: a new table or column
that points at a submission, or at a row deleted with one, fails here until store.SUBMISSION_REFERENCES handles it,
instead of failing a clinic's erasure with "FOREIGN KEY constraint failed"."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from screening import store
from tests.factories import REVIEW_TOXIN, approve, batch_row, consult, db_connection, product_row, record


def reaching_references(db) -> set[tuple[str, str, str]]:
    """(table, column, table it points at) of every foreign key that reaches a submission: pointing at one, or at a
    row deleted with one (every referring row is, unless it is only unlinked)."""
    keys = {
        (table, key["from"], key["table"])
        for table in db.table_names()
        for key in db.execute(f"PRAGMA foreign_key_list({table})").fetchall()  # noqa: S608 - names from the schema
        for key in [dict(zip(("id", "seq", "table", "from", "to"), key, strict=False))]
    }
    unlinked = {(r.table, r.column, r.points_at) for r in store.SUBMISSION_REFERENCES if r.action == "unlink"}
    deleted, reaching = {"submission"}, set()
    while True:
        more = {key for key in keys if key[2] in deleted} - reaching
        if not more:
            return reaching
        reaching |= more
        deleted |= {table for table, column, target in more if (table, column, target) not in unlinked}


def unhandled(db) -> set[tuple[str, str, str]]:
    return reaching_references(db) - {(r.table, r.column, r.points_at) for r in store.SUBMISSION_REFERENCES}


def test_every_foreign_key_that_reaches_a_submission_is_handled_by_deletion(app, db_path):
    with db_connection(db_path) as db:
        reaching = reaching_references(db)
        assert ("consultation", "submission_id", "submission") in reaching
        assert ("consultation", "booking_id", "booking") in reaching  # through a booking deleted with the screening
        assert unhandled(db) == set()
        declared = {(r.table, r.column, r.points_at) for r in store.SUBMISSION_REFERENCES}
        assert declared - reaching == set(), "a handled reference that the schema no longer has"


def test_a_new_table_pointing_at_a_submission_or_its_booking_is_reported(app, db_path):
    with db_connection(db_path) as db:
        db.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, submission_id INTEGER REFERENCES submission (id))")
        db.execute("CREATE TABLE reminder (id INTEGER PRIMARY KEY, booking_id INTEGER REFERENCES booking (id))")
        assert unhandled(db) == {("photo", "submission_id", "submission"), ("reminder", "booking_id", "booking")}


def test_a_family_with_a_row_in_every_referring_table_is_deleted_whole(app, db_path):
    with db_connection(db_path) as db:
        first = record(db)
        second = record(db, **REVIEW_TOXIN)
        db.execute("UPDATE submission SET kind = 'amendment', previous_id = ? WHERE id = ?", [first, second])
        db.execute("UPDATE submission SET superseded_by = ? WHERE id = ?", [second, first])
    approve(db_path, second)
    with db_connection(db_path) as db:
        slot_start = "2030-01-07T09:00:00Z"
        store.add_slots(db, [(slot_start, "2030-01-07T09:30:00Z")], "Dr Pat", store.SYSTEM.event("slots_added"))
        slot_id = next(db.query("SELECT id FROM slot"))["id"]
        booking = store.book_slot(
            db, submission_id=second, slot_id=slot_id, treatments=["toxin"], audit=store.SYSTEM.event("booked")
        )
        consultation = consult(db, first, booking_id=booking)
        db.execute("UPDATE consultation SET new_submission_id = ? WHERE id = ?", [second, consultation])
        store.create_return_link(db, secrets.token_urlsafe(16), second, timedelta(hours=1), ())
        store.queue_mail(db, (store.Mail("decision", "pat@example.org", "Decided", "...", submission_id=second),))
        amending = store.create_draft(db, secrets.token_urlsafe(16), "amending", amends=second)
        store.create_resume_link(db, secrets.token_urlsafe(16), amending, timedelta(hours=1), ())  # finish it later
        store.create_draft(db, secrets.token_urlsafe(16), "again", rescreen_of=first)
        clinician = next(db.query("SELECT clinician_id FROM consultation WHERE id = ?", [consultation]))["clinician_id"]
        consent = db.execute(
            "INSERT INTO consent (submission_id, consultation_id, treatment, text_version, text_sha256, clinician_id,"
            " clinician_name, register, register_number, discussed, reasons, hopes, taken_at)"
            " VALUES (?, ?, 'toxin', '1', 'x', ?, 'Dr Pat', 'GMC', '1234567', 'd', 'r', 'h', '2030-01-07T09:30:00Z')",
            [second, consultation, clinician],
        ).lastrowid
        db.execute(
            "INSERT INTO consent_option (consent_id, option, given, changed_by, changed_at)"
            " VALUES (?, 'gp_letter', 1, 'patient', '2030-01-07T09:30:00Z')",
            [consent],
        )
        db.execute(
            "INSERT INTO suitability_assessment (submission_id, clinician_id, clinician_name, outcome, created_at)"
            " VALUES (?, ?, 'Dr Pat', 'proceed', '2030-01-07T09:30:00Z')",
            [second, clinician],
        )
        db.execute(
            "INSERT INTO instrument_score (submission_id, instrument, version, instrument_sha256, score, cut_off,"
            " positive, clinician_id, clinician_name, created_at)"
            " VALUES (?, 'invented_scale', '1', 'abc', 5, 4, 1, ?, 'Dr Pat', '2030-01-07T09:20:00Z')",
            [second, clinician],
        )
        product = product_row(db)
        batch = batch_row(db, product)
        given = db.execute(
            "INSERT INTO treatment_given (submission_id, consent_id, booking_id, treatment, clinician_id,"
            " clinician_name, given_at, product_id, batch_id)"
            " VALUES (?, ?, ?, 'toxin', ?, 'Dr Pat', '2030-01-10T09:30:00Z', ?, ?)",
            [second, consent, booking, clinician, product, batch],
        ).lastrowid
        db.execute(
            "INSERT INTO treatment_area (treatment_given_id, area, amount, unit) VALUES (?, 'Forehead', 10, 'units')",
            [given],
        )
        db.execute(
            "INSERT INTO recall (treatment_given_id, submission_id, treatment, due_on, outcome, created_at)"
            " VALUES (?, ?, 'toxin', '2030-04-11', 'sent', '2030-04-11T09:00:00Z')",
            [given, second],
        )
        db.execute(
            "INSERT INTO complication (submission_id, treatment_given_id, what, started, urgent, reported_by,"
            " reported_at) VALUES (?, ?, 'A droopy eyelid', '2030-01-12', 0, 'patient', '2030-01-13T09:00:00Z')",
            [second, given],
        )
        store.queue_mail(
            db, (store.Mail("consent_signed", "pat@example.org", "Signed", "...", second, consent_id=consent),)
        )
        other = record(db)  # another patient's screening stays whole
        held = {
            (r.table, r.column): next(
                db.query(
                    f"SELECT count(*) AS n FROM {r.table} WHERE {r.column} IS NOT NULL",  # noqa: S608 - our names
                )
            )["n"]
            for r in store.SUBMISSION_REFERENCES
        }
        assert all(held.values()), [key for key, n in held.items() if not n]  # every reference is exercised
        (family,) = store.families_of(db, [first], datetime(2031, 1, 1, tzinfo=UTC))
        assert family.ids == (first, second)
        with store.write_transaction(db):
            assert store.delete_submissions(db, family.ids) == 2
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert [row["id"] for row in db.query("SELECT id FROM submission")] == [other]
        for ref in store.SUBMISSION_REFERENCES:
            left = db.execute(
                f"SELECT count(*) FROM {ref.table} WHERE {ref.column} IS NOT NULL AND {ref.column} != ?",  # noqa: S608
                [other],
            ).fetchone()[0]
            assert left == 0, ref
        assert next(db.query("SELECT count(*) AS n FROM slot"))["n"] == 1  # slots hold no patient data: they stay
        assert next(db.query("SELECT count(*) AS n FROM batch"))["n"] == 1  # the clinic's stock stays too
