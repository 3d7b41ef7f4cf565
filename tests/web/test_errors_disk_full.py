"""Check 49: a full database answers 503 with Retry-After and stores nothing, then recovers without a restart.

"Disk full" is simulated with SQLite's `PRAGMA max_page_count` on the app's kept connection (screening/db.py
thread_db; the test client runs each request in the test's own thread, so it is the connection the request uses),
set just above the current page count: the next write that needs more pages fails with SQLITE_FULL ("database or
disk is full"), exactly as on a full disk. A full disk has no free pages to reuse, so the database is VACUUMed first
(no free pages left), and the patient lists many medicines: the submission then needs new pages (it fits in the
slack of existing pages otherwise). A read-only file is not simulated: root ignores file permissions.

Mutations that turn this test red (each tried): "full" taken out of views/errors.py's _TRANSIENT (the full
database gives a 500); the draft deleted in a transaction of its own before the submission's (services/intake.py
submit). Tried and still green: store.write_transaction committing instead of rolling back when its block fails
(the failing INSERT is the block's first write, so there is nothing half-done to commit).
"""

from __future__ import annotations

import logging

import pytest

import screening.db
from tests.factories import answers_by_step, count_rows, db_connection, drafts
from tests.journeys import CHECK_PATH, RESULT_PATH, declaration, walk
from tests.pages import location, page_text

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

UNLIMITED = 1073741823  # SQLite's default max_page_count


def test_a_full_database_answers_503_stores_nothing_keeps_the_draft_and_recovers(app, client, db_path, caplog):
    walk(client, answers_by_step("toxin", current_medicines="é" * 2000), stop_at=CHECK_PATH)
    (draft_before,) = drafts(db_path)
    data = declaration(client)
    kept = screening.db.thread_db(app.config["DATABASE"])  # the connection the next request will use
    kept.execute("VACUUM")
    assert kept.execute("PRAGMA freelist_count").fetchone()[0] == 0
    pages = kept.execute("PRAGMA page_count").fetchone()[0]
    caplog.set_level(logging.WARNING, logger="screening")
    try:
        kept.execute(f"PRAGMA max_page_count = {pages + 1}")

        full = client.post(CHECK_PATH, data=data)

        assert kept.execute("PRAGMA max_page_count").fetchone()[0] == pages + 1  # still the request's connection
    finally:
        kept.execute(f"PRAGMA max_page_count = {UNLIMITED}")
    assert full.status_code == 503
    assert full.headers["Retry-After"] == "5"
    assert "Nothing from that page was saved" in page_text(full)
    assert "database unavailable" in caplog.text and "full" in caplog.text  # the alert in the log
    assert count_rows(db_path, "submission") == 0
    assert drafts(db_path) == [draft_before]  # the patient's answers are kept, unchanged
    with db_connection(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    again = client.post(CHECK_PATH, data=data)  # space again: the same declaration, no restart

    assert again.status_code == 303 and location(again) == RESULT_PATH
    assert count_rows(db_path, "submission") == 1
    assert drafts(db_path) == []
    assert client.get(RESULT_PATH).status_code == 200
    with db_connection(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
