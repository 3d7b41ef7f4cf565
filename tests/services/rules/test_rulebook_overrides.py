"""Per-clinic overrides (instance/overrides.toml) change the web outcome, are recorded with each submission, and a
broken file stops the app at start with a clear list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from screening import store
from screening.domain import RulesError, load_ruleset
from tests.factories import answers_by_step, db_connection, make_app, only_submission
from tests.journeys import walk
from tests.pages import page_text

PROJECT_DIR = Path(__file__).resolve().parents[3]
SHIPPED = load_ruleset(PROJECT_DIR / "rules")
RAISE_HEART = """
[rules.toxin_heart_condition]
level = "review"
reason = "Our prescriber sees every cardiac history first."
"""


def heart_patient(client):
    return walk(client, answers_by_step("toxin", heart_condition="yes"))


def test_without_overrides_a_heart_condition_is_a_caution(tmp_path: Path):
    app = make_app(tmp_path)
    heart_patient(app.test_client())
    submission = only_submission(app.config["DATABASE"])
    assert submission["outcome"] == "caution"
    assert submission["ruleset_version"] == SHIPPED.version
    assert submission["overrides"] == []


def test_an_override_raising_a_caution_rule_to_review_changes_the_web_outcome(tmp_path: Path):
    (tmp_path / "overrides.toml").write_text(RAISE_HEART)
    app = make_app(tmp_path)
    page = heart_patient(app.test_client())
    assert "needs to look at your answers" in page_text(page)
    submission = only_submission(app.config["DATABASE"])
    assert submission["outcome"] == "review"
    assert submission["treatments"] == {"toxin": "review"}
    assert [(rule["rule_id"], rule["level"]) for rule in submission["rules"]] == [("toxin_heart_condition", "review")]
    assert submission["overrides"] == [
        {
            "rule": "toxin_heart_condition",
            "shipped_level": "caution",
            "level": "review",
            "reason": "Our prescriber sees every cardiac history first.",
        }
    ]
    assert submission["ruleset_version"] != SHIPPED.version  # the overrides are part of the version
    with db_connection(app.config["DATABASE"]) as db:
        archived = store.archived_ruleset(db, submission["ruleset_version"])
        assert archived is not None and "toxin_heart_condition" in archived["overrides"]


def test_switching_off_a_caution_rule_with_a_reason(tmp_path: Path):
    (tmp_path / "overrides.toml").write_text(
        '[rules.toxin_heart_condition]\nenabled = false\nreason = "Checked at every consultation anyway."\n'
    )
    app = make_app(tmp_path)
    heart_patient(app.test_client())
    assert only_submission(app.config["DATABASE"])["outcome"] == "clear"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[rules.toxin_allergy]\nlevel = "caution"\nreason = "We never see it."\n',
            "rule 'toxin_allergy': a decline rule can never be lowered (asked: caution)",
        ),
        ('[rules.pregnant]\nenabled = false\nreason = "x"\n', "rule 'pregnant': a defer rule can never be switched"),
        ('[rules.filler_keloid]\nlevel = "caution"\n', "rule 'filler_keloid': lowering a rule from review to caution"),
        ('[rules.filler_keloid]\nenabled = false\nreason = "x"\n', "only a caution rule can be switched off"),
        ('[rules.no_such_rule]\nlevel = "review"\n', "rule 'no_such_rule': no such rule in the rules files"),
        ("[rules.upcoming_event\n", "not valid TOML"),
    ],
)
def test_a_refused_overrides_file_stops_the_app_naming_the_rule_and_the_file(tmp_path: Path, text, problem):
    (tmp_path / "overrides.toml").write_text(text)
    with pytest.raises(RulesError) as raised:
        make_app(tmp_path)
    message = str(raised.value)
    assert problem in message
    assert str(tmp_path / "overrides.toml") in message


def test_the_server_command_refuses_to_start_with_a_clear_list(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path / "instance")
    screening = str(Path(sys.executable).parent / "screening")
    assert subprocess.run([screening, "init"], env=env, capture_output=True, cwd=PROJECT_DIR).returncode == 0
    (tmp_path / "instance" / "overrides.toml").write_text('[rules.age_under_18]\nlevel = "review"\nreason = "x"\n')
    result = subprocess.run(
        [screening, "slots", "list"], env=env, capture_output=True, text=True, cwd=PROJECT_DIR, timeout=120
    )
    assert result.returncode == 1
    assert "screening: cannot start: the overrides are refused (1 problem):" in result.stderr
    assert "overrides.toml: rule 'age_under_18': a decline rule can never be lowered (asked: review)" in result.stderr
    assert "Traceback" not in result.stderr
