"""Time `screening rules replay` on 100,000 stored submissions built from the public clinical cases.

Usage: .venv/bin/python bench/bench_replay.py [--rows 100000] [--rounds 3]

Seeds a temporary database (real schema, migrations applied) with submissions whose answers are the 22 public cases
(../shared/clinical/vignettes-public.json), each moved back in time by a different number of days (every date answer
and the screening date together), so no two stored rows are the same. Each row stores the outcome the shipped rules
give. Then it times, end to end (reading the rows, parsing the JSON, judging again, counting), a replay with the
shipped rules (nothing changes) and with a copy in which one caution rule is raised to review (a real edit), and
prints the median. Target: under 10 seconds for 100,000 submissions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from screening.db import connect, migrate
from screening.domain import evaluate_screening, load_ruleset
from screening.services.rules.replay import replay_database

PROJECT = Path(__file__).resolve().parents[1]
VIGNETTES = PROJECT.parent / "shared" / "clinical" / "vignettes-public.json"
DATE_QUESTIONS = ("date_of_birth", "last_toxin_date")


def shifted(case: dict, days: int) -> tuple[dict, date]:
    answers = dict(case["answers"])
    for question in DATE_QUESTIONS:
        if question in answers:
            answers[question] = (date.fromisoformat(answers[question]) - timedelta(days=days)).isoformat()
    return answers, date.fromisoformat(case["screening_date"]) - timedelta(days=days)


def seed(path: Path, rows: int, ruleset) -> None:
    migrate(path)
    db = connect(path)
    cases = json.loads(VIGNETTES.read_text())
    batch = []
    for n in range(rows):
        answers, screening_date = shifted(cases[n % len(cases)], n // len(cases))
        normalised = ruleset.questionnaire.normalise(answers, screening_date)
        evaluation = evaluate_screening(ruleset, normalised)
        batch.append(
            (
                f"k{n}",
                f"t{n}",
                "2025-01-01T00:00:00Z",
                screening_date.isoformat(),
                ruleset.version,
                json.dumps(normalised.values),
                "Bench Patient",
                "bench@example.org",
                "Bench Patient",
                evaluation.outcome,
                json.dumps(evaluation.treatments),
                "[]",
                "x",
            )
        )
    with db.conn:
        db.conn.executemany(
            "INSERT INTO submission (submission_key, access_token_hash, created_at, screening_date, ruleset_version,"
            " answers, full_name, email, attested_name, outcome, treatments, messages, checksum)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    db.close()


def edited_copy(target: Path) -> Path:
    shutil.copytree(PROJECT / "rules", target)
    path = target / "contraindications.toml"
    text = path.read_text()
    level = text.index('level = "caution"', text.index('id = "toxin_heart_condition"'))
    path.write_text(text[:level] + 'level = "review"' + text[level + len('level = "caution"') :])
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="a few seconds' run the test suite makes")
    args = parser.parse_args()
    if args.tiny:
        args.rows, args.rounds = 200, 1
    shipped = load_ruleset(PROJECT / "rules")
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        (instance / "config.py").write_text(f"SECRET_KEY = {'b' * 40!r}\n")
        database = instance / "screening.sqlite3"
        started = time.perf_counter()
        seed(database, args.rows, shipped)
        print(f"seeded {args.rows:,} submissions in {time.perf_counter() - started:.1f} s")
        edited = load_ruleset(edited_copy(Path(folder) / "rules-edited"))
        runs = (
            ("shipped rules, one process", shipped, 1),
            ("shipped rules, one process per core", shipped, None),
            ("one caution rule raised to review, one process per core", edited, None),
        )
        for name, ruleset, workers in runs:
            times = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                report = replay_database(database, ruleset, workers=workers)
                times.append(time.perf_counter() - started)
            flips = ", ".join(f"{was} -> {now}: {len(refs)}" for was, now, refs in report.ordered_transitions())
            print(
                f"{name}: median {statistics.median(times):.2f} s over {args.rounds} rounds "
                f"({', '.join(f'{t:.2f}' for t in times)}); judged {report.judged:,}; changed {report.changed:,}"
                + (f" ({flips})" if flips else "")
            )
        # The command as a clinic runs it, end to end: start-up, the app's checks, replay, JSON out.
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
        environment["SCREENING_INSTANCE_PATH"] = str(instance)
        command = [str(Path(sys.executable).parent / "screening"), "rules", "replay", "--json"]
        command += ["--rules", str(Path(folder) / "rules-edited")]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
        report = json.loads(result.stdout)
        print(
            f"`screening rules replay --rules <edited> --json`, whole command: {time.perf_counter() - started:.2f} s "
            f"(replay itself {report['seconds']:.2f} s); judged {report['judged']:,}; changed {report['changed']:,}"
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
