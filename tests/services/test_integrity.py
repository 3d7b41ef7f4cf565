"""Moving an instance to keyed seals and a keyed audit head: the plain seals that still verify and agree with the
audit trail are keyed once at the first start with a key; a forgery made before is refused and named; a plain seal
written after is never accepted; a head removed and started again is reported."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from screening import store
from screening.services import integrity
from tests.factories import CLEAR, DECLINE, audit_rows, db_connection, make_app, quick_submission

KEY = "b" * 64
LEGACY_ROWS = 3  # the plain instance's audit events: one per screening sent


def plain_instance(folder: Path) -> Path:
    """An instance as it stood before seals were keyed: no key, three screenings with plain seals."""
    make_app(folder)  # no AUDIT_KEY: the chain and the seals are unkeyed
    database = folder / "screening.sqlite3"
    for answers in (CLEAR, DECLINE, CLEAR):
        quick_submission(database, **answers)
    assert len(audit_rows(database)) == LEGACY_ROWS
    return database


def keyed_start(folder: Path):
    """The instance's next start, after `screening init` added its key (AUDIT_LEGACY_ROWS: the rows before)."""
    return make_app(folder, AUDIT_KEY=KEY, AUDIT_LEGACY_ROWS=LEGACY_ROWS)


def forge_plain(database: Path, submission_id: int, sql: str) -> None:
    """Change a screening and recompute its plain seal, as anyone could before seals were keyed."""
    with db_connection(database) as db:
        db.execute(sql, [submission_id])
        db.execute("UPDATE submission SET seal = ? WHERE id = ?", [store.plain_seal(db, submission_id), submission_id])
        db.conn.commit()


def seals(database: Path) -> dict[int, str]:
    with closing(sqlite3.connect(database)) as conn:
        return dict(conn.execute("SELECT id, seal FROM submission ORDER BY id").fetchall())


def check(app) -> integrity.Report:
    with db_connection(app.config["DATABASE"]) as db:
        return integrity.check(db, store.audit_key.key_from_config(app.config))


def test_the_first_keyed_start_keys_every_plain_seal_that_verifies(tmp_path):
    database = plain_instance(tmp_path)
    assert not any(seal.startswith(store.KEYED_SEAL) for seal in seals(database).values())

    app = keyed_start(tmp_path)

    assert all(seal.startswith(store.KEYED_SEAL) for seal in seals(database).values())
    [keyed] = audit_rows(database, integrity.SEALS_KEYED)
    assert json.loads(keyed["detail"]) == {"refused": [], "resealed": 3}
    assert check(app).whole


def test_a_plain_forgery_made_before_the_key_is_refused_and_named(tmp_path):
    database = plain_instance(tmp_path)
    forge_plain(
        database, 2, """UPDATE submission SET outcome = 'clear', treatments = '{"toxin":"clear"}' WHERE id = ?"""
    )

    app = keyed_start(tmp_path)

    assert not seals(database)[2].startswith(store.KEYED_SEAL)
    [keyed] = audit_rows(database, integrity.SEALS_KEYED)
    assert json.loads(keyed["detail"]) == {"refused": [2], "resealed": 2}
    report = check(app)
    assert [problem.submission_id for problem in report.seals] == [2]
    assert "its seal does not match its content" in report.seals[0].reason


def test_a_plain_seal_written_after_the_upgrade_is_never_accepted_or_keyed(tmp_path):
    database = plain_instance(tmp_path)
    keyed_start(tmp_path)
    forge_plain(database, 1, "UPDATE submission SET review_state = 'approved' WHERE id = ?")

    app = keyed_start(tmp_path)  # a second start keys nothing more

    assert not seals(database)[1].startswith(store.KEYED_SEAL)
    assert len(audit_rows(database, integrity.SEALS_KEYED)) == 1
    assert [problem.submission_id for problem in check(app).seals] == [1]


def test_a_screening_sent_with_a_keyed_seal_never_accepts_a_plain_one(tmp_path):
    app = make_app(tmp_path, AUDIT_KEY=KEY)
    database = tmp_path / "screening.sqlite3"
    only = quick_submission(database, **DECLINE)  # the one screening: no other keyed seal to compare with
    forge_plain(database, only, "UPDATE submission SET review_state = 'approved' WHERE id = ?")

    assert [problem.submission_id for problem in check(app).seals] == [only]


def test_a_removed_head_started_again_is_reported(tmp_path):
    database = plain_instance(tmp_path)
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("DELETE FROM audit_head")  # as a trail written before the head existed
        conn.commit()
    keyed_start(tmp_path)
    assert len(audit_rows(database, integrity.HEAD_STARTED)) == 1
    total = len(audit_rows(database))
    with closing(sqlite3.connect(database)) as conn:  # the newest event cut, and the head with it
        conn.execute("DROP TRIGGER audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE id = ?", [total])
        conn.execute("DELETE FROM audit_head")
        conn.commit()

    app = keyed_start(tmp_path)

    report = check(app)
    assert not report.whole
    assert report.problem_lines() == [f"the audit head was removed and started again at event {total}"]
