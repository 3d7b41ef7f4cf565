"""`screening rules replay`: stored screenings judged again with an edited rule set report the exact flips, and
nothing stored changes. The database is seeded through store.record_submission with the public clinical cases."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from screening import store
from screening.db import connect
from screening.domain import evaluate_screening, load_ruleset
from screening.domain.replay import StoredScreening, _Judge, rejudge, replay
from screening.domain.ruletests import load_cases

PROJECT_DIR = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_DIR / "rules"
SCREENING = Path(sys.executable).parent / "screening"
VIGNETTES = PROJECT_DIR.parent / "shared" / "clinical" / "vignettes-public.json"


def screening(*args: str, env: dict[str, str]):
    return subprocess.run(
        [str(SCREENING), *args], capture_output=True, text=True, env=env, cwd=PROJECT_DIR, timeout=120
    )


def raise_level(folder: Path, rule_id: str, old: str, new: str) -> Path:
    path = folder / "contraindications.toml"
    text = path.read_text()
    at = text.index(f'level = "{old}"', text.index(f'id = "{rule_id}"'))
    path.write_text(text[:at] + f'level = "{new}"' + text[at + len(f'level = "{old}"') :])
    return folder


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[dict[str, str], dict[str, int], Path]:
    """An instance whose database holds the 22 public cases as submissions; returns env, case id -> ref, db path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path / "instance")
    assert screening("init", env=env).returncode == 0
    database = tmp_path / "instance" / "screening.sqlite3"
    ruleset = load_ruleset(RULES_DIR)
    db = connect(database)
    refs = {}
    for case in json.loads(VIGNETTES.read_text()):
        answers = ruleset.questionnaire.normalise(case["answers"], date.fromisoformat(case["screening_date"]))
        refs[case["id"]] = store.record_submission(
            db,
            store.NewSubmission(
                submission_key=f"key-{case['id']}",
                access_token=f"token-{case['id']}",
                answers=answers,
                evaluation=evaluate_screening(ruleset, answers),
                contact={"full_name": "Test Patient", "email": "patient@example.org"},
                attested_name="Test Patient",
                ruleset_version=ruleset.version,
            ),
        )
    db.close()
    return env, refs, database


def digest(database: Path) -> str:
    db = connect(database)
    rows = list(db.conn.execute("SELECT * FROM submission ORDER BY id"))
    rules = list(db.conn.execute("SELECT * FROM submission_rule ORDER BY submission_id, position"))
    db.close()
    return hashlib.sha256(repr((rows, rules)).encode()).hexdigest()


def test_replay_with_the_current_rules_changes_nothing(seeded):
    env, refs, _ = seeded
    result = screening("rules", "replay", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["judged"], report["changed"], report["transitions"]) == (22, 0, [])


def test_replay_reports_the_exact_flips_of_a_raised_caution_rule(seeded, tmp_path):
    env, refs, database = seeded
    before = digest(database)
    edited = raise_level(shutil.copytree(RULES_DIR, tmp_path / "edited"), "toxin_heart_condition", "caution", "review")
    result = screening("rules", "replay", "--rules", str(edited), "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # Only p17 (heart condition and a blood thinner, toxin) has toxin_heart_condition among the public cases.
    assert report["transitions"] == [{"from": "caution", "to": "review", "count": 1, "refs": [refs["p17"]]}]
    assert report["treatment_transitions"] == [
        {"treatment": "toxin", "from": "caution", "to": "review", "count": 1, "refs": [refs["p17"]]}
    ]
    assert digest(database) == before  # nothing stored was changed
    text = screening("rules", "replay", "--rules", str(edited), env=env)
    assert "22 screening(s) judged again" in text.stdout and "1 would change outcome" in text.stdout
    assert f"caution -> review: 1  (refs {refs['p17']})" in text.stdout


def test_replay_lowering_a_review_rule_and_since(seeded, tmp_path):
    env, refs, _ = seeded
    copy = shutil.copytree(RULES_DIR, tmp_path / "edited")
    edited = raise_level(copy, "filler_bleeding_disorder", "review", "caution")
    report = json.loads(screening("rules", "replay", "--rules", str(edited), "--json", env=env).stdout)
    assert report["transitions"] == [{"from": "review", "to": "caution", "count": 1, "refs": [refs["p18"]]}]
    later = json.loads(screening("rules", "replay", "--since", "2100-01-01", "--json", env=env).stdout)
    assert later["judged"] == 0
    bad = screening("rules", "replay", "--since", "tomorrow", env=env)
    assert bad.returncode == 1 and "--since must be a date written YYYY-MM-DD (got 'tomorrow')" in bad.stderr


def test_the_fast_judge_agrees_with_evaluate_screening_on_every_rule_test_case(tmp_path):
    shipped = load_ruleset(RULES_DIR)
    edited = load_ruleset(
        raise_level(shutil.copytree(RULES_DIR, tmp_path / "edited"), "upcoming_event", "caution", "decline")
    )
    for ruleset in (shipped, edited):
        judge = _Judge(ruleset)
        for case in load_cases(RULES_DIR / "tests"):
            answers = shipped.questionnaire.normalise(case.answers, case.screening_date)
            stored = StoredScreening(1, answers.values, case.screening_date, "clear", {})
            full = rejudge(ruleset, stored)
            assert judge(stored) == (full.outcome, full.treatments), case.id
            direct = evaluate_screening(ruleset, answers)
            assert (full.outcome, full.treatments) == (direct.outcome, direct.treatments), case.id
    assert replay(shipped, []).judged == 0


def test_replay_in_parallel_processes_gives_the_same_report(seeded, tmp_path):
    from screening.services.rules.replay import replay_database

    _, refs, database = seeded
    edited = load_ruleset(
        raise_level(shutil.copytree(RULES_DIR, tmp_path / "edited"), "upcoming_event", "caution", "review")
    )
    one = replay_database(database, edited, workers=1)
    two = replay_database(database, edited, workers=2)
    three = replay_database(database, edited, workers=3)
    assert one.as_json() == two.as_json() == three.as_json()
    assert one.transitions == {("caution", "review"): [refs["p22"]]}
    assert replay_database(database, edited, "2100-01-01", workers=2).judged == 0
