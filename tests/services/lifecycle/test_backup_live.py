"""Backup while patients submit, on a real server on loopback, then restore and serve the copy (check 47)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from tests.cli_helpers import run_cli
from tests.factories import DETAILS, answers_by_step
from tests.journeys import walk
from tests.live_server import LiveServer
from tests.services.lifecycle.http_patient import HttpPatient
from tests.services.lifecycle.served_copy import ServedCopy

PATIENTS = 8
_PRIVATE_LINK = re.compile(r"/r/([A-Za-z0-9_-]{16,64})")


def _journey(patient: HttpPatient, number: int, delay: float, tokens: dict, errors: list) -> None:
    time.sleep(delay)  # patients arrive one after another, so the backup falls in the middle of their submitting
    try:
        details = {**DETAILS, "email": f"patient{number}@example.org"}
        result = walk(patient, answers_by_step("toxin"), details=details)
        link = _PRIVATE_LINK.search(result.get_data(as_text=True))
        assert link, "no private link on the result page"
        tokens[number] = link.group(1)
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(f"patient {number}: {error!r}")


def submission_keys(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT submission_key FROM submission")}


def test_backup_during_submissions_holds_every_acknowledged_one_and_restores_into_a_serving_app(tmp_path):
    first = LiveServer(tmp_path / "instance").start()
    backup = tmp_path / "copies" / "screening-backup.sqlite3"
    backup.parent.mkdir()
    patients = [HttpPatient(first.port) for _ in range(PATIENTS)]
    tokens: dict[int, str] = {}
    errors: list[str] = []
    try:
        threads = [
            threading.Thread(target=_journey, args=(patients[n], n, n * 0.4, tokens, errors)) for n in range(PATIENTS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum(len(p.acknowledged) for p in patients) < 2 and not errors:
            time.sleep(0.05)
        started = time.monotonic()
        taken = run_cli(first.folder, "backup", str(backup))
        for thread in threads:
            thread.join(timeout=180)
        # A restore onto the live server's database is refused while it runs, and changes nothing.
        refused = run_cli(first.folder, "restore", str(backup))
    finally:
        first.stop()

    assert not errors, errors
    assert taken.returncode == 0, taken.stderr
    assert "integrity check ok" in taken.stdout
    acked = [(key, when) for patient in patients for key, when in patient.acknowledged]
    assert len(acked) == PATIENTS
    before = {key for key, when in acked if when < started}
    assert before, "no submission was acknowledged before the backup began"
    assert len(before) < PATIENTS, "the backup did not run while patients were submitting"
    in_backup = submission_keys(backup)
    assert before <= in_backup, "an acknowledged submission is missing from the backup"
    assert f"submissions: {len(in_backup)}" in taken.stdout
    with closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last_hash = conn.execute("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert f"last audit hash: {last_hash}" in taken.stdout
    assert refused.returncode == 1
    assert "a server is running on this database" in refused.stderr
    assert len(submission_keys(first.folder / "screening.sqlite3")) == PATIENTS  # untouched by the refusal

    # Restore into a new instance, serve it, and open the private link of every patient the backup holds. The owner
    # brings back instance/config.py from its safe place too: its keys sign the links and the audit chain.
    second = ServedCopy(tmp_path / "restored")
    second.folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(first.folder / "config.py", second.folder / "config.py")
    second.cli("init", "--instance", str(second.folder))
    restored = run_cli(second.folder, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert re.search(r"restored .* in \d+\.\d\d s", restored.stdout)
    assert "the audit chain is whole" in restored.stdout
    assert submission_keys(second.folder / "screening.sqlite3") == in_backup
    second.start()
    try:
        held = [tokens[n] for n, patient in enumerate(patients) if patient.acknowledged[0][0] in in_backup]
        assert len(held) >= len(before)
        for token in held:
            visitor = HttpPatient(second.port)
            opened = visitor.get(f"/r/{token}")
            assert opened.status_code == 303
            page = visitor.get("/your-result")
            assert page.status_code == 200
            assert "Reference: screening" in page.get_data(as_text=True)
    finally:
        second.stop()
