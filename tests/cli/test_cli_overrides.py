"""Overrides from the CLI: `screening evaluate` honours instance/overrides.toml (or --overrides FILE), `rules check`
validates them and says which rule-test cases they change, and a refused file is a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCREENING = Path(sys.executable).parent / "screening"
HEART = {
    "id": "heart",
    "screening_date": "2025-03-10",
    "answers": {
        "date_of_birth": "1990-07-22",
        "treatment_requested": "toxin",
        "toxin_areas": ["forehead"],
        "sex_at_birth": "male",
        "has_allergies": "no",
        "neuro_conditions": ["none"],
        "swallow_breath_problems": "no",
        "heart_condition": "yes",
        "eye_face_history": ["none"],
        "blood_thinners": ["none"],
        "toxin_interacting_meds": ["none"],
        "skin_problem_at_site": ["none"],
        "cold_sore_now": "no",
        "bleeding_disorder": "no",
        "previous_toxin": "no",
        "unwell_now": "no",
        "upcoming_event": "no",
        "bdd_diagnosis": "no",
        "appearance_preoccupation": "no",
    },
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    environment["SCREENING_INSTANCE_PATH"] = str(tmp_path / "instance")
    (tmp_path / "instance").mkdir()
    return environment


def screening(*args: str, env):
    return subprocess.run(
        [str(SCREENING), *args], capture_output=True, text=True, env=env, cwd=PROJECT_DIR, timeout=120
    )


def test_evaluate_honours_the_instance_overrides(env, tmp_path):
    cases = tmp_path / "case.json"
    cases.write_text(json.dumps(HEART))
    (plain,) = json.loads(screening("evaluate", str(cases), env=env).stdout)
    assert plain["outcome"] == "caution"
    (tmp_path / "instance" / "overrides.toml").write_text('[rules.toxin_heart_condition]\nlevel = "review"\n')
    (raised,) = json.loads(screening("evaluate", str(cases), env=env).stdout)
    assert (raised["outcome"], raised["treatments"]) == ("review", {"toxin": "review"})
    check = screening("rules", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert "1 override(s) valid" in check.stdout
    assert "  toxin_heart_condition: raised from caution to review" in check.stdout
    assert "with the overrides, 1 rule test case(s) give another result: toxin_heart_condition_fires" in check.stdout


def test_evaluate_refuses_an_override_lowering_a_decline_rule(env, tmp_path):
    cases = tmp_path / "case.json"
    cases.write_text(json.dumps(HEART))
    bad = tmp_path / "draft-overrides.toml"
    bad.write_text('[rules.toxin_nmj_contraindicated]\nlevel = "review"\nreason = "We treat medical use."\n')
    result = screening("evaluate", "--overrides", str(bad), str(cases), env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        "draft-overrides.toml: rule 'toxin_nmj_contraindicated': a decline rule can never be lowered (asked: review)"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    check = screening("rules", "check", "--overrides", str(bad), env=env)
    assert check.returncode == 1 and "a decline rule can never be lowered" in check.stderr
    missing = screening("evaluate", "--overrides", str(tmp_path / "none.toml"), str(cases), env=env)
    assert missing.returncode == 1 and "no such overrides file" in missing.stderr
