"""Time a backup and the restore drill on a database the size of years of a busy clinic.

Usage: .venv/bin/python bench/bench_backup.py [--rows 100000]

Builds (in a temp folder) a database with the real schema: one real screening (real answers, fired rules) copied
`rows` times, and a whole audit chain of `rows` events, then times `take_backup` (backup API, integrity check,
audit chain walk, every seal checked against the audit trail) and `restore` (checks of the backup, copy into an empty
database, checks of the result), the functions behind `screening backup` and `screening restore`, with the chain and
the seals keyed as on a real instance.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from screening import store
from screening.db import connect, migrate
from screening.domain import evaluate_screening, load_ruleset
from screening.services.lifecycle import backup
from screening.store import audit_key

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: find the tests package for its factories
from tests.factories import DETAILS, answers_by_step  # noqa: E402


def build(path: Path, rows: int) -> None:
    migrate(path)
    db = connect(path)
    ruleset = load_ruleset(ROOT / "rules")
    steps = answers_by_step("both").values()
    flat = {k: v.isoformat() if isinstance(v, date) else v for step in steps for k, v in step.items()}
    flat["upcoming_event"] = "yes"  # a caution: one fired rule per screening, as many have
    answers = ruleset.questionnaire.normalise(flat, date.today())
    evaluation = evaluate_screening(ruleset, answers)
    first = store.record_submission(
        db,
        store.NewSubmission(
            submission_key="k0",
            access_token=secrets.token_urlsafe(16),
            answers=answers,
            evaluation=evaluation,
            contact=DETAILS,
            attested_name=DETAILS["full_name"],
            ruleset_version=ruleset.version,
        ),
    )
    # what the intake records of each screening sent, which backup and restore hold every screening against
    sent = {"outcome": evaluation.outcome, "treatments": evaluation.treatments, "rules": len(evaluation.fired)}

    def created(submission_id: int) -> store.AuditEvent:
        return store.AuditEvent(
            action="submission_created",
            actor_role="patient",
            object_type="submission",
            object_id=str(submission_id),
            detail=sent,
        )

    store.append_audit(db, created(first))
    columns = [c for c in db["submission"].columns_dict if c not in ("id", "submission_key", "access_token_hash")]
    listed = ", ".join(columns)
    with store.write_transaction(db):
        for n in range(1, rows):
            new = db.execute(
                f"INSERT INTO submission (submission_key, access_token_hash, {listed})"  # noqa: S608 - our columns
                f" SELECT ?, ?, {listed} FROM submission WHERE id = ?",
                [f"k{n}", f"h{n}", first],
            ).lastrowid
            db.execute(
                "INSERT INTO submission_rule SELECT ?, position, rule_id, level, applies, patient_message, rationale,"
                " sources, trigger_questions FROM submission_rule WHERE submission_id = ?",
                [new, first],
            )
            store.reseal_submission(db, new)  # the seal covers the id: each copy is sealed as its own
            store.append_audit(db, created(new))
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tiny", action="store_true", help="a few seconds' run the test suite makes")
    args = parser.parse_args()
    if args.tiny:
        args.rows = 50
    with tempfile.TemporaryDirectory() as folder:
        live = Path(folder) / "screening.sqlite3"
        target = Path(folder) / "restored" / "screening.sqlite3"
        chain_key = audit_key.ChainKey(secrets.token_hex(32).encode())  # keyed, as `screening init` sets up
        for path in (live, target):
            audit_key.register(str(path), chain_key)
        started = time.perf_counter()
        build(live, args.rows)
        print(f"built {args.rows:,} submissions in {time.perf_counter() - started:.1f} s")
        copy = Path(folder) / "backup.sqlite3"
        started = time.perf_counter()
        summary = backup.take_backup(live, copy)
        print(f"backup: {time.perf_counter() - started:.2f} s, {summary.size_bytes / 1e6:.1f} MB")
        migrate(target)
        report = backup.restore(copy, target)
        print(f"restore (checks, copy, checks): {report.seconds:.2f} s; {report.restored.submissions:,} submissions")


if __name__ == "__main__":
    main()
