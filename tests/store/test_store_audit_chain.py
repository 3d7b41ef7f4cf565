"""The audit chain is keyed (HMAC with AUDIT_KEY from instance config). A chain rewritten with the
published unkeyed recipe is refused; chains from before the key verify their old rows the old way; a daily digest
sends the last hash to the clinic."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest

from screening import store
from screening.services import audit_digest
from screening.store import audit_key
from tests.cli_helpers import invoke
from tests.factories import db_connection, deliver

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

TRIGGERS = """
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
"""


def add_events(db_path, count: int) -> None:
    with db_connection(db_path) as db:
        for n in range(count):
            store.append_audit(db, store.AuditEvent(action=f"test_event_{n}", actor_role="system"))


def rewrite_without_the_key(db_path, delete_id: int) -> None:
    """What someone holding only the database can do: drop the triggers, delete a row, renumber and rechain the rest
    with the unkeyed recipe, put the triggers back."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        conn.executescript("DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;")
        conn.execute("DELETE FROM audit_event WHERE id = ?", [delete_id])
        rows = [dict(row) for row in conn.execute("SELECT * FROM audit_event ORDER BY id")]
        conn.execute("DELETE FROM audit_event")
        previous = store.GENESIS_HASH
        for new_id, row in enumerate(rows, start=1):
            row.update(id=new_id, prev_hash=previous)
            row["hash"] = previous = store._audit_hash(row)
            columns, marks = ", ".join(row), ", ".join("?" * len(row))
            conn.execute(f"INSERT INTO audit_event ({columns}) VALUES ({marks})", list(row.values()))  # noqa: S608
        conn.executescript(TRIGGERS)
        conn.commit()


def test_a_chain_rewritten_without_the_key_is_refused(runner, db_path):
    add_events(db_path, 5)
    assert invoke(runner, "audit", "verify").returncode == 0

    rewrite_without_the_key(db_path, delete_id=3)

    done = invoke(runner, "audit", "verify")
    assert done.returncode == 1
    assert "broken at event 1" in done.stderr


def test_rows_from_before_the_key_verify_the_old_way_and_cannot_be_turned_into_an_unkeyed_chain(app, db_path):
    database = app.config["DATABASE"]
    configured = audit_key.key_for_path(database)
    audit_key.unregister(database)  # an instance from before this release: unkeyed rows
    add_events(db_path, 3)
    audit_key.register(database, audit_key.ChainKey(configured.key, legacy_rows=3))
    add_events(db_path, 2)
    with db_connection(db_path) as db:
        report = store.verify_audit_chain(db)
    assert report.first_broken is None and report.rows == 5

    rewrite_without_the_key(db_path, delete_id=5)  # cut the last keyed row, rechain unkeyed
    with db_connection(db_path) as db:
        assert store.verify_audit_chain(db).first_broken == 4


def test_init_adds_an_audit_key_to_an_existing_config_and_counts_the_unkeyed_rows(runner, tmp_path):
    folder = tmp_path / "clinic"
    assert invoke(runner, "init", "--instance", str(folder)).returncode == 0
    config = folder / "config.py"
    assert "AUDIT_KEY = '" in config.read_text()
    # an instance from before the key: its config has none
    config.write_text("\n".join(line for line in config.read_text().splitlines() if "AUDIT_KEY" not in line) + "\n")

    done = invoke(runner, "init", "--instance", str(folder))

    assert done.returncode == 0 and "audit-chain key" in done.stdout
    text = config.read_text()
    assert text.count("AUDIT_KEY = '") == 1 and "AUDIT_LEGACY_ROWS = 0" in text
    assert invoke(runner, "init", "--instance", str(folder)).stdout.count("audit-chain key") == 0  # once only


def test_the_daily_digest_mails_the_last_hash_to_the_clinic(app, smtp, db_path, clock):
    _, inbox = smtp
    add_events(db_path, 2)
    with db_connection(db_path) as db:
        last = store.verify_audit_chain(db).last_hash
        assert audit_digest.digest_due(db)
        assert audit_digest.send_digest(db, app.config) == last
        assert not audit_digest.digest_due(db)
        clock.offset = timedelta(hours=25)
        assert audit_digest.digest_due(db)
    deliver(app)
    (digest,) = inbox.to("desk@clinic.example")
    assert last in digest.get_content() and "events: 2" in digest.get_content()
    assert "screening.audit_digest" not in app.extensions  # off in tests
