"""Retention: `screening purge` on a database holding data of every age, with the store's clock moved (check 44)."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime, timedelta

from screening import settings, store
from screening.cli import cli
from screening.db import migrate
from screening.services.lifecycle import retention
from tests.factories import audit_rows, consult, db_connection, make_app
from tests.services.lifecycle.lifecycle_helpers import amend, book_at, ids, screening

YEAR = timedelta(days=365)
# The moment the tests purge at (the clock runs on from it): the data of every age is made before it.
PURGE_DAY = datetime(2025, 6, 4, 10, 0, tzinfo=UTC)


def every_age(db_path, clock) -> dict:
    """Data of every class, some past its time and some not, as of PURGE_DAY, where the clock is left running."""
    now = PURGE_DAY
    made = {}
    with db_connection(db_path) as db:
        clock.at(now - 8 * YEAR - timedelta(days=20))
        made["consulted_old"] = screening(db)
        book_at(db, made["consulted_old"], clock.now() + timedelta(days=2))
        clock.at(now - 7 * YEAR)
        made["consulted_recent"] = screening(db)
        book_at(db, made["consulted_recent"], clock.now() + timedelta(days=2))
        clock.at(now - 13 * YEAR / 12)
        made["unbooked_old"] = screening(db)
        made["unbooked_old_v2"] = amend(db, made["unbooked_old"])
        made["booked_ahead"] = screening(db)
        book_at(db, made["booked_ahead"], now + timedelta(days=3))
        store.queue_mail(db, [store.Mail("submitted", "old@example.org", "Your answers", "link /r/OLD")])
        db.execute("UPDATE outbox SET sent_at = ? WHERE to_addr = 'old@example.org'", [store.iso(clock.now())])
        clock.at(now - 11 * YEAR / 12)
        made["unbooked_recent"] = screening(db)
        clock.at(now - timedelta(hours=25))
        store.create_draft(db, secrets.token_urlsafe(16), "draft-old")
        store.create_return_link(db, "spent", made["unbooked_recent"], timedelta(hours=1), ())
        clock.at(now - timedelta(hours=1))
        store.create_draft(db, secrets.token_urlsafe(16), "draft-new")
        store.queue_mail(db, [store.Mail("submitted", "new@example.org", "Your answers", "link /r/NEW")])
        store.queue_mail(db, [store.Mail("submitted", "queued@example.org", "Your answers", "link /r/QUEUED")])
        db.execute("UPDATE outbox SET sent_at = ? WHERE to_addr = 'new@example.org'", [store.iso(clock.now())])
    clock.at(now)
    return made


def test_purge_dry_run_counts_and_changes_nothing(app, db_path, clock):
    every_age(db_path, clock)
    before = {table: ids(db_path, table) for table in ("submission", "draft", "outbox")}
    audit_before = len(audit_rows(db_path))
    with db_connection(db_path) as db:
        report = retention.purge(db, retention.Policy(), dry_run=True)
    counts = {item.key: (item.count, item.versions) for item in report.classes}
    assert counts == {
        "drafts": (1, 0),
        "screenings_unbooked": (1, 2),
        "screenings_consulted": (1, 1),
        "sent_mail_bodies": (2, 0),
        "sent_mail": (1, 0),
        "return_links": (1, 0),
    }
    assert {table: ids(db_path, table) for table in ("submission", "draft", "outbox")} == before
    assert len(audit_rows(db_path)) == audit_before


def test_purge_deletes_only_what_is_past_its_time_and_audits_the_counts(app, db_path, clock):
    made = every_age(db_path, clock)
    audit_before = audit_rows(db_path)
    with db_connection(db_path) as db:
        report = retention.purge(db, retention.Policy())
    assert [line.split(":")[0] for line in report.lines()][0] == "unfinished drafts older than 24 hours"
    kept = {made[k] for k in ("consulted_recent", "booked_ahead", "unbooked_recent")}
    assert set(ids(db_path, "submission")) == kept
    assert set(ids(db_path, "submission_rule", "submission_id")) <= kept
    assert set(ids(db_path, "booking", "submission_id")) == {made["consulted_recent"], made["booked_ahead"]}
    assert ids(db_path, "draft", "submission_key") == ["draft-new"]
    with db_connection(db_path) as db:
        mail = {row["to_addr"]: row["body"] for row in db.query("SELECT to_addr, body FROM outbox")}
        assert db.execute("SELECT count(*) FROM return_link").fetchone()[0] == 0
        assert store.verify_audit_chain(db).first_broken is None
    assert mail == {"new@example.org": "", "queued@example.org": "link /r/QUEUED"}  # unsent mail is not touched
    # The audit trail keeps every earlier row, and gains the counts, never content.
    after = audit_rows(db_path)
    assert [row["id"] for row in after[: len(audit_before)]] == [row["id"] for row in audit_before]
    details = [json.loads(row["detail"]) for row in after if row["action"] == "retention_purge"]
    purged = {detail["class"]: detail for detail in details}
    assert purged["drafts"] == {"class": "drafts", "deleted": 1}
    assert purged["screenings_unbooked"] == {"class": "screenings_unbooked", "screenings": 1, "versions": 2}
    assert purged["screenings_consulted"] == {"class": "screenings_consulted", "screenings": 1, "versions": 1}
    assert purged["sent_mail"] == {"class": "sent_mail", "bodies_cleared": 2, "deleted": 1}
    assert "Jane" not in json.dumps(details) and "example.org" not in json.dumps(details)
    # A second purge finds nothing more.
    with db_connection(db_path) as db:
        again = retention.purge(db, retention.Policy())
    assert all(item.count == 0 for item in again.classes)


def test_purge_command_prints_counts_per_class(app, db_path, clock):
    every_age(db_path, clock)
    runner = app.test_cli_runner()
    dry = runner.invoke(cli, ["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "unfinished drafts older than 24 hours: would delete 1" in dry.output
    assert "screenings never booked, quiet for 1 year(s): would delete 1 (2 version(s))" in dry.output
    assert "screenings that led to an appointment, 8 year(s) after it: would delete 1 (1 version(s))" in dry.output
    assert "audit trail: kept" in dry.output
    assert len(ids(db_path, "submission")) == 6
    done = runner.invoke(cli, ["purge"])
    assert done.exit_code == 0, done.output
    assert "screenings never booked, quiet for 1 year(s): deleted 1 (2 version(s))" in done.output
    assert len(ids(db_path, "submission")) == 3


def test_retention_settings_change_the_periods(app, db_path, clock):
    every_age(db_path, clock)
    policy = retention.Policy.from_config(
        {**settings.defaults(""), "RETENTION_UNBOOKED_DAYS": 30, "RETENTION_CONSULTED_YEARS": 10}
    )
    with db_connection(db_path) as db:
        report = retention.purge(db, policy, dry_run=True)
    counts = {item.key: item.count for item in report.classes}
    assert counts["screenings_unbooked"] == 2 and counts["screenings_consulted"] == 0


def test_the_server_purges_by_itself_and_tests_do_not(tmp_path, clock):
    quiet = make_app(tmp_path / "quiet")
    assert "screening.purge" not in quiet.extensions
    database = tmp_path / "served" / "screening.sqlite3"
    migrate(database)
    clock.at(PURGE_DAY - timedelta(days=2))
    with db_connection(database) as db:
        store.create_draft(db, secrets.token_urlsafe(16), "stale")
    clock.at(PURGE_DAY)  # the server's purge runs on this clock too
    server = make_app(database.parent, PURGE_DAILY=True, PURGE_INTERVAL=3600)
    purger = server.extensions["screening.purge"]
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not audit_rows(database, "retention_purge"):
            time.sleep(0.05)
    finally:
        purger.stop()
    assert ids(database, "draft") == []
    assert [json.loads(row["detail"]) for row in audit_rows(database, "retention_purge")] == [
        {"class": "drafts", "deleted": 1}
    ]


def test_a_consultation_record_keeps_its_screening_for_the_consulted_period_and_then_goes_with_it(app, db_path, clock):
    """A consultation recorded for a screening whose booking was never in the past (an early record, or no booking)
    still makes it the clinical record: never purged as unbooked, purged with its record 8 years after it."""
    with db_connection(db_path) as db:
        clock.at(PURGE_DAY - 8 * YEAR - timedelta(days=20))
        old = screening(db)
        consult(db, old, booking_id=book_at(db, old, clock.now() + timedelta(hours=2)))
        clock.at(PURGE_DAY - 2 * YEAR)
        recent = screening(db)
        consult(db, recent, attendance="did_not_attend")  # no booking at all: the record alone keeps it
    clock.at(PURGE_DAY)
    with db_connection(db_path) as db:
        counted = {item.key: item.count for item in retention.purge(db, retention.Policy(), dry_run=True).classes}
        assert (counted["screenings_unbooked"], counted["screenings_consulted"]) == (0, 1)
        retention.purge(db, retention.Policy())
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert ids(db_path, "submission") == [recent]
    assert ids(db_path, "consultation", "submission_id") == [recent]


def test_a_problem_reported_after_a_treatment_is_the_clinical_record_and_counts_its_retention_from_then(
    app, db_path, clock
):
    """A treatment given and a problem reported after it are part of the clinical record: the screening is kept for
    the consulted period from the latest of them, not from the consultation, and goes whole with them after it."""
    with db_connection(db_path) as db:
        clock.at(PURGE_DAY - 8 * YEAR - timedelta(days=60))
        kept = screening(db)
        gone = screening(db)
        for submission_id in (kept, gone):
            consultation = consult(db, submission_id)
            consent = db.execute(
                "INSERT INTO consent (submission_id, consultation_id, treatment, text_version, text_sha256,"
                " clinician_id, clinician_name, register, register_number, discussed, reasons, hopes, taken_at,"
                " signed_at) SELECT ?, id, 'filler', '1', 'x', clinician_id, 'Pat', 'NMC', '1', 'd', 'r', 'h', ?, ?"
                " FROM consultation WHERE id = ?",
                [submission_id, store.iso(clock.now()), store.iso(clock.now()), consultation],
            ).lastrowid
            given = db.execute(
                "INSERT INTO treatment_given (submission_id, consent_id, treatment, clinician_id, clinician_name,"
                " given_at) SELECT ?, ?, 'filler', clinician_id, 'Pat', ? FROM consent WHERE id = ?",
                [submission_id, consent, store.iso(clock.now()), consent],
            ).lastrowid
            reported = clock.now() + (timedelta(days=90) if submission_id == kept else timedelta(days=1))
            db.execute(
                "INSERT INTO complication (submission_id, treatment_given_id, what, started, urgent, reported_by,"
                " reported_at) VALUES (?, ?, 'A lump', '2017-01-01', 0, 'patient', ?)",
                [submission_id, given, store.iso(reported)],
            )
    clock.at(PURGE_DAY)
    with db_connection(db_path) as db:
        retention.purge(db, retention.Policy())
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert ids(db_path, "submission") == [kept]
    assert ids(db_path, "complication", "submission_id") == [kept]
