"""Backup and restore on real SQLite files: what a good backup holds, and every refusal changing nothing."""

from __future__ import annotations

import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pyotp
import pytest

from screening import store
from screening.db import migrate
from screening.services import credentials
from screening.services.lifecycle import backup
from screening.store import audit_key
from tests.cli_helpers import invoke, run_cli
from tests.factories import (
    CLINICIAN_EMAIL,
    DETAILS,
    RULESET,
    answers_for,
    db_connection,
    evaluate,
    make_app,
    make_clinician,
    normalise,
    quick_submission,
)
from tests.journeys import QUEUE_PATH, sign_in
from tests.pages import csrf_token, location


def instance_with(tmp_path: Path, submissions: int, *, keys_from: Path | None = None) -> Path:
    """An instance folder as `screening init` makes it, holding this many submissions; with `keys_from`, the same
    clinic's config.py (its secret and audit-chain keys), as on a machine the clinic restores onto."""
    folder = tmp_path / "instance"
    if keys_from is not None:
        folder.mkdir(parents=True)
        shutil.copy(keys_from / "config.py", folder / "config.py")
    done = run_cli(folder, "init", "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    # Audit rows written here are keyed with the instance's AUDIT_KEY, as its server would write them.
    configured = re.search(r"^AUDIT_KEY = '([0-9a-f]+)'", (folder / "config.py").read_text(), re.MULTILINE)
    audit_key.register(str(folder / "screening.sqlite3"), audit_key.ChainKey(configured.group(1).encode()))
    for _ in range(submissions):
        quick_submission(folder / "screening.sqlite3")
    return folder


def keys(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [row[0] for row in conn.execute("SELECT submission_key FROM submission ORDER BY id")]


def corrupt(path: Path) -> None:
    """Scribble over the middle of the file, past the header: the tables' pages no longer make sense."""
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, min(len(data), 5 * page), 7):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))


def test_backup_copies_checks_and_summarises(tmp_path):
    folder = instance_with(tmp_path, 3)
    target = tmp_path / "b.sqlite3"
    summary = backup.take_backup(folder / "screening.sqlite3", target)
    assert summary.submissions == 3
    assert summary.chain_broken_at is None and len(summary.last_audit_hash) == 64
    assert keys(target) == keys(folder / "screening.sqlite3")
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".b.sqlite3.partial")) and not (tmp_path / "b.sqlite3-wal").exists()


def test_backup_refuses_an_existing_file_and_keeps_it(tmp_path):
    folder = instance_with(tmp_path, 1)
    target = tmp_path / "b.sqlite3"
    target.write_text("an older copy")
    done = run_cli(folder, "backup", str(target))
    assert done.returncode == 1
    assert f"{target}: exists already" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "an older copy"


def test_backup_into_a_missing_folder_is_refused(tmp_path):
    folder = instance_with(tmp_path, 0)
    done = run_cli(folder, "backup", str(tmp_path / "nowhere" / "b.sqlite3"))
    assert done.returncode == 1 and "no such folder" in done.stderr


def test_restore_of_a_missing_file_names_it_and_changes_nothing(tmp_path):
    folder = instance_with(tmp_path, 2)
    before = keys(folder / "screening.sqlite3")
    done = run_cli(folder, "restore", str(tmp_path / "missing.sqlite3"), "--force")
    assert done.returncode == 1
    assert f"{tmp_path / 'missing.sqlite3'}: no such backup file" in done.stderr
    assert "Traceback" not in done.stderr
    assert keys(folder / "screening.sqlite3") == before


def test_restore_of_a_file_that_is_no_database_is_refused(tmp_path):
    folder = instance_with(tmp_path, 1)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database at all, but long enough to have a header of sixteen bytes")
    done = run_cli(folder, "restore", str(bogus), "--force")
    assert done.returncode == 1 and "not an SQLite database" in done.stderr
    assert len(keys(folder / "screening.sqlite3")) == 1


def test_restore_of_a_backup_failing_integrity_check_changes_nothing(tmp_path):
    source = instance_with(tmp_path, 40)
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    corrupt(copy)
    target = tmp_path / "target" / "screening.sqlite3"
    migrate(target)
    with pytest.raises(backup.BackupError, match="fails the integrity check"):
        backup.restore(copy, target, force=True)
    assert keys(target) == []
    # The same through the command, onto the instance the backup came from: named, refused, nothing changed.
    before = keys(source / "screening.sqlite3")
    done = run_cli(source, "restore", str(copy), "--force")
    assert done.returncode == 1
    assert f"{copy}: fails the integrity check" in done.stderr and "Traceback" not in done.stderr
    assert keys(source / "screening.sqlite3") == before


def test_restore_refuses_a_target_with_data_unless_forced(tmp_path):
    source = instance_with(tmp_path / "a", 2)
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    other = instance_with(tmp_path / "c", 1, keys_from=source)
    before = keys(other / "screening.sqlite3")
    refused = run_cli(other, "restore", str(copy))
    assert refused.returncode == 1
    assert "holds data already" in refused.stderr and "--force" in refused.stderr
    assert keys(other / "screening.sqlite3") == before
    forced = run_cli(other, "restore", str(copy), "--force")
    assert forced.returncode == 0, forced.stderr
    assert keys(other / "screening.sqlite3") == keys(source / "screening.sqlite3")
    assert "the audit chain is whole" in forced.stdout


def test_restore_refuses_a_backup_whose_audit_chain_is_broken(tmp_path):
    source = instance_with(tmp_path, 2)
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    edited = tmp_path / "edited.sqlite3"
    shutil.copy(copy, edited)
    with closing(sqlite3.connect(edited)) as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET detail = '{}' WHERE id = 1")
        conn.commit()
    target = tmp_path / "target" / "screening.sqlite3"
    migrate(target)
    with pytest.raises(backup.BackupError, match="audit chain is broken at event 1"):
        backup.restore(edited, target)
    assert keys(target) == []


def test_a_running_server_holds_the_live_lock(tmp_path):
    database = tmp_path / "db.sqlite3"
    assert not backup.server_running(database)
    lock = backup.ServerLock(database)
    lock.acquire()
    try:
        assert backup.server_running(database)
    finally:
        lock.release()
    assert not backup.server_running(database)


def test_a_restore_where_init_never_ran_leaves_the_database_for_its_owner_only(tmp_path):
    source = instance_with(tmp_path / "a", 2)
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    fresh = tmp_path / "fresh"  # the clinic's config.py copied across, `screening init` never run
    fresh.mkdir()
    shutil.copy(source / "config.py", fresh / "config.py")

    done = run_cli(fresh, "restore", str(copy))

    assert done.returncode == 0, done.stderr
    written = [path for path in fresh.iterdir() if path.name.startswith("screening.sqlite3")]
    assert fresh / "screening.sqlite3" in written
    assert {path.name: oct(path.stat().st_mode & 0o777) for path in written} == {path.name: "0o600" for path in written}


def edited_copy(tmp_path: Path, copy: Path, sql: str, *params) -> Path:
    """The backup as someone who can write files but has not the instance's key would change it."""
    edited = tmp_path / "edited.sqlite3"
    shutil.copy(copy, edited)
    with closing(sqlite3.connect(edited)) as conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        conn.execute(sql, params)
        conn.commit()
    return edited


def test_restore_refuses_a_backup_with_an_edited_outcome_and_names_the_screening(tmp_path):
    source = instance_with(tmp_path, 3)
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    edited = edited_copy(
        tmp_path, copy, """UPDATE submission SET outcome = 'clear', treatments = '{"toxin":"clear"}' WHERE id = 2"""
    )
    target = instance_with(tmp_path / "other", 0, keys_from=source) / "screening.sqlite3"  # the clinic's keys

    with pytest.raises(backup.BackupError, match=r"screening 2: its seal does not match its content") as refused:
        backup.restore(edited, target, force=True)

    assert "not restored" in str(refused.value) and "screening 1" not in str(refused.value)
    assert keys(target) == []
    done = run_cli(source, "restore", str(edited), "--force")  # through the command, onto the clinic's own instance
    assert done.returncode == 1
    assert "screening 2: its seal does not match its content" in done.stderr and "Traceback" not in done.stderr
    assert len(keys(source / "screening.sqlite3")) == 3


def test_restore_refuses_a_backup_cut_short_of_its_newest_audit_events(tmp_path):
    source = instance_with(tmp_path, 3)
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    edited = edited_copy(tmp_path, copy, "DELETE FROM audit_event WHERE id > 1")
    target = instance_with(tmp_path / "other", 0, keys_from=source) / "screening.sqlite3"  # the clinic's keys

    with pytest.raises(backup.BackupError, match="events 2 to 3 are missing from the end"):
        backup.restore(edited, target, force=True)

    assert keys(target) == []


def test_backup_of_a_database_with_a_forged_screening_is_kept_but_fails(tmp_path):
    source = instance_with(tmp_path, 2)
    with closing(sqlite3.connect(source / "screening.sqlite3")) as conn:
        conn.execute("UPDATE submission SET review_state = 'approved' WHERE id = 1")
        conn.commit()
    target = tmp_path / "b.sqlite3"

    done = run_cli(source, "backup", str(target))

    assert done.returncode == 1
    assert "screening 1: its seal does not match its content" in done.stdout
    assert "fails its checks" in done.stderr and "Traceback" not in done.stderr
    assert target.exists()


def configured(folder: Path, name: str) -> str:
    return re.search(rf"^{name} = '([0-9a-f]+)'", (folder / "config.py").read_text(), re.MULTILINE).group(1)


def test_a_backup_holds_no_totp_seed_and_restores_onto_an_instance_with_the_key(tmp_path, clock):
    source = instance_with(tmp_path / "a", 1)
    seed = pyotp.random_base32()
    make_clinician(source / "screening.sqlite3")
    with closing(sqlite3.connect(source / "screening.sqlite3")) as conn:  # the seed as the set-up page stores it
        stored = credentials.seed_at_rest(configured(source, "TOTP_SEED_KEY"), seed)
        conn.execute("UPDATE clinician SET totp_secret = ? WHERE email = ?", [stored, CLINICIAN_EMAIL])
        conn.commit()
    copy = tmp_path / "b.sqlite3"
    backup.take_backup(source / "screening.sqlite3", copy)
    assert seed.encode() not in copy.read_bytes()
    target = tmp_path / "c"
    target.mkdir()
    shutil.copy(source / "config.py", target / "config.py")  # the clinic's keys, on the machine restored onto

    done = run_cli(target, "restore", str(copy))

    assert done.returncode == 0, done.stderr
    app = make_app(target, AUDIT_KEY=configured(target, "AUDIT_KEY"), TOTP_SEED_KEY=configured(target, "TOTP_SEED_KEY"))
    browser = app.test_client()
    assert location(sign_in(browser)) == "/clinician/login/code"
    page = browser.get("/clinician/login/code")
    code = pyotp.TOTP(seed).at(clock.timestamp())
    signed = browser.post("/clinician/login/code", data={"code": code, "csrf_token": csrf_token(page)})
    assert location(signed) == QUEUE_PATH


def test_a_backup_from_before_seals_were_keyed_restores_and_is_keyed_at_the_next_start(tmp_path):
    source = instance_with(tmp_path / "a", 0)
    database = source / "screening.sqlite3"
    chain_key = audit_key.key_for_path(str(database))
    with db_connection(database) as db:
        for number in range(2):  # sealed as the release before sealed them (plain), audited as it audited them
            audit_key.unregister(str(database))
            evaluation = evaluate(answers_for("toxin"))
            submission_id = store.record_submission(
                db,
                store.NewSubmission(
                    submission_key=f"key-{number}",
                    access_token=f"token-{number}",
                    answers=normalise(answers_for("toxin")),
                    evaluation=evaluation,
                    contact=DETAILS,
                    attested_name=DETAILS["full_name"],
                    ruleset_version=RULESET.version,
                ),
            )
            audit_key.register(str(database), chain_key)
            detail = {"outcome": evaluation.outcome, "rules": len(evaluation.fired)}
            store.append_audit(
                db,
                store.Actor("patient").event(
                    "submission_created", object_type="submission", object_id=submission_id, detail=detail
                ),
            )
    copy = tmp_path / "b.sqlite3"
    summary = backup.take_backup(database, copy)
    assert summary.trustworthy and summary.awaiting_key == 2
    target = tmp_path / "c"
    target.mkdir()
    shutil.copy(source / "config.py", target / "config.py")

    done = run_cli(target, "restore", str(copy))

    assert done.returncode == 0, done.stderr
    app = make_app(target, AUDIT_KEY=chain_key.key.decode())  # the server's next start
    with closing(sqlite3.connect(target / "screening.sqlite3")) as conn:
        seals = [row[0] for row in conn.execute("SELECT seal FROM submission")]
    assert len(seals) == 2 and all(seal.startswith(store.KEYED_SEAL) for seal in seals)
    verified = invoke(app.test_cli_runner(), "audit", "verify")
    assert verified.returncode == 0, verified.stderr
