"""The `screening` command: rules check, evaluate, init, help and refusals.

Most tests run the command in this process (Flask's CLI runner, `screening` fixture); the tests marked "console
script" run the installed `.venv/bin/screening` for real, to prove the entry point, its exit codes and its refusals
(which `screening.cli.main` turns into one line) as a terminal sees them.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli_helpers import clean_env, invoke, run_script, script_env
from tests.factories import baseline_answers

PROJECT_DIR = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_DIR / "rules"
SHARED_DIR = PROJECT_DIR.parent / "shared"
VIGNETTES = SHARED_DIR / "clinical" / "vignettes-public.json"
CHECKER = SHARED_DIR / "tools" / "check_vignettes.py"

# The baseline patient of the vignettes: a 34-year-old woman asking for toxin, with nothing to declare.
CLEAR = baseline_answers("toxin")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """For the console script: an environment whose instance folder is private to the test (nothing from the
    project's instance/)."""
    return script_env(tmp_path / "instance")


@pytest.fixture
def screening(runner, tmp_path: Path):
    """`screening ARGS` in this process, with the same private instance folder as `env`; `env` adds variables."""

    def run(*args: str, env: dict[str, str] | None = None, stdin: str | bytes | None = None):
        return invoke(runner, *args, input=stdin, env={**clean_env(tmp_path / "instance"), **(env or {})})

    return run


@pytest.fixture
def evaluate(screening, tmp_path: Path):
    """`screening evaluate` in this process on a file holding these cases (as JSON)."""

    def run(cases, *extra: str):
        path = tmp_path / "cases.json"
        path.write_text(json.dumps(cases), encoding="utf-8")
        return screening("evaluate", str(path), *extra)

    return run


@pytest.fixture
def broken_rules(tmp_path: Path) -> Path:
    """A copy of the rules where rule 'breastfeeding' reads an unknown question 'breast_feeding'."""
    folder = tmp_path / "broken-rules"
    folder.mkdir()
    for path in RULES_DIR.glob("*.toml"):
        shutil.copyfile(path, folder / path.name)
    rules = folder / "contraindications.toml"
    text = rules.read_text(encoding="utf-8")
    assert text.count("condition = 'breastfeeding == \"yes\"'") == 1
    rules.write_text(text.replace("condition = 'breastfeeding == \"yes\"'", "condition = 'breast_feeding == \"yes\"'"))
    return folder


def blind(cases: list[dict]) -> list[dict]:
    """Only what an implementation may see, as the checker hands it over: no expectations, no summaries."""
    return [{"id": c["id"], "screening_date": c["screening_date"], "answers": c["answers"]} for c in cases]


def vignettes() -> list[dict]:
    return json.loads(VIGNETTES.read_text(encoding="utf-8"))


# ====================================================================================================================
# rules check


def test_rules_check_summarises_the_shipped_rules(screening):
    run = screening("rules", "check")

    assert run.returncode == 0, run.stderr
    assert "42 questions" in run.stdout
    assert "45 rules: decline 6, defer 6, review 17, caution 16" in run.stdout
    assert run.stderr == ""


def test_rules_check_refuses_a_broken_copy_naming_the_file_and_rule(screening, broken_rules):
    run = screening("rules", "check", "--rules", str(broken_rules))

    assert run.returncode == 1
    assert "contraindications.toml" in run.stderr
    assert "'breastfeeding'" in run.stderr
    assert "breast_feeding" in run.stderr
    assert "Traceback" not in run.stderr
    assert "rules are valid" not in run.stdout


def test_rules_check_follows_screening_rules_dir(screening, broken_rules):
    run = screening("rules", "check", env={"SCREENING_RULES_DIR": str(broken_rules)})

    assert run.returncode == 1
    assert "breast_feeding" in run.stderr


# ====================================================================================================================
# evaluate


def test_evaluate_agrees_with_every_public_vignette_in_input_order(tmp_path, evaluate):
    if not VIGNETTES.exists():
        pytest.skip(f"{VIGNETTES} is absent (shared/ is not beside this checkout)")
    cases = vignettes()

    run = evaluate(blind(cases))

    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert [result["id"] for result in results] == [case["id"] for case in cases]
    for case, result in zip(cases, results, strict=True):
        assert set(result) == {"id", "outcome", "rules", "treatments", "messages"}, case["id"]
        assert result["outcome"] == case["expected_outcome"], case["id"]
        assert sorted(result["rules"]) == sorted(case["expected_rules"]), case["id"]
        assert len(result["rules"]) == len(set(result["rules"])), case["id"]
        assert isinstance(result["messages"], list), case["id"]
        requested = case["answers"]["treatment_requested"]
        assert set(result["treatments"]) == ({"toxin", "filler"} if requested == "both" else {requested}), case["id"]


def test_evaluate_accepts_a_single_case_object(tmp_path, evaluate):
    run = evaluate({"id": "one", "screening_date": "2025-03-10", "answers": CLEAR})

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [
        {"id": "one", "outcome": "clear", "rules": [], "treatments": {"toxin": "clear"}, "messages": []}
    ]


def test_evaluate_reads_standard_input_for_dash(env):
    # The console script for real: cases through a pipe, results on stdout, exit 0.
    cases = [{"id": "stdin", "screening_date": "2025-03-10", "answers": {**CLEAR, "heart_condition": "yes"}}]

    run = run_script("evaluate", "-", env=env, stdin=json.dumps(cases))

    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)
    assert (result["id"], result["outcome"], result["rules"]) == ("stdin", "caution", ["toxin_heart_condition"])


def test_evaluate_without_a_screening_date_uses_today(clock, evaluate):
    clock.set(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))
    today = clock.today()
    last_toxin = today - timedelta(days=10)
    answers = {**CLEAR, "previous_toxin": "yes", "last_toxin_date": last_toxin.isoformat()}
    answers["previous_adverse_reaction"] = "no"
    today_only = {**answers, "last_toxin_date": today.isoformat()}

    run = evaluate([{"id": "recent", "answers": answers}, {"id": "today", "answers": today_only}])

    assert run.returncode == 0, run.stderr
    recent, same_day = json.loads(run.stdout)
    assert recent["rules"] == ["toxin_within_90_days"]
    first_day = last_toxin + timedelta(days=90)
    assert f"{first_day:%A} {first_day.day} {first_day:%B %Y}" in recent["messages"][0]
    assert same_day["outcome"] == "defer"  # a treatment today is not in the future of a screening dated today


def test_evaluate_without_a_screening_date_uses_today_in_the_clinic_zone(clock, evaluate):
    # 23:30 UTC on 30 June is already 1 July in London (summer time): "today" is the clinic's date, from the one clock.
    clock.set(datetime(2025, 6, 30, 23, 30, tzinfo=UTC))
    answers = {**CLEAR, "previous_toxin": "yes", "last_toxin_date": "2025-07-01", "previous_adverse_reaction": "no"}

    run = evaluate([{"id": "midnight", "answers": answers}])

    assert run.returncode == 0, run.stdout  # on 30 June, a treatment on 1 July would be a date in the future
    [result] = json.loads(run.stdout)
    assert (result["outcome"], result["rules"]) == ("defer", ["toxin_within_90_days"])
    assert "You can book from Monday 29 September 2025." in result["messages"][0]


@pytest.mark.parametrize(
    ("last_toxin", "fired"),
    [("2024-12-11", True), ("2024-12-10", False)],  # 89 and 90 days before the screening date
)
def test_evaluate_uses_the_screening_date_given(tmp_path, evaluate, last_toxin, fired):
    answers = {**CLEAR, "previous_toxin": "yes", "last_toxin_date": last_toxin, "previous_adverse_reaction": "no"}

    run = evaluate([{"id": "a", "screening_date": "2025-03-10", "answers": answers}])

    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)
    if fired:
        assert result["rules"] == ["toxin_within_90_days"]
        assert "You can book from Tuesday 11 March 2025." in result["messages"][0]
    else:
        assert (result["outcome"], result["rules"]) == ("clear", [])


# -- unreadable input: exit 2, one line, no traceback


def test_evaluate_missing_file_exits_2_naming_it(tmp_path, screening):
    missing = tmp_path / "no-such-cases.json"

    run = screening("evaluate", str(missing))

    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1
    assert str(missing) in run.stderr
    assert "Traceback" not in run.stderr


def test_evaluate_invalid_json_exits_2_naming_the_file_and_line(tmp_path, screening):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"id": "a",\n  "answers": {,}\n]\n', encoding="utf-8")

    run = screening("evaluate", str(path))

    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1
    assert str(path) in run.stderr
    assert "line 3" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("document", ["42", '"a case"', "null", "true"])
def test_evaluate_json_that_is_not_a_case_or_list_exits_2(screening, document):
    run = screening("evaluate", "-", stdin=document)

    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_evaluate_text_that_is_not_utf8_exits_2(tmp_path, screening):
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"id": "caf\u00e9"}]'.encode("latin-1"))

    run = screening("evaluate", str(path))

    assert run.returncode == 2
    assert str(path) in run.stderr
    assert "Traceback" not in run.stderr


# -- a bad case: that case gets an error, the others are still evaluated, exit 1


BAD_CASES = [
    pytest.param({**CLEAR, "favourite_colour": "blue"}, ["favourite_colour"], id="unknown-question"),
    pytest.param({**CLEAR, "treatment_requested": "laser"}, ["treatment_requested", "laser"], id="not-an-option"),
    pytest.param({**CLEAR, "toxin_areas": ["forehead", "ears"]}, ["toxin_areas", "ears"], id="not-a-multi-option"),
    pytest.param({**CLEAR, "date_of_birth": "22/07/1990"}, ["date_of_birth", "22/07/1990"], id="malformed-date"),
    pytest.param({**CLEAR, "date_of_birth": "1990-02-30"}, ["date_of_birth", "1990-02-30"], id="impossible-date"),
    pytest.param({**CLEAR, "date_of_birth": "2025-03-11"}, ["date_of_birth", "2025-03-11"], id="future-date"),
    pytest.param(
        {**CLEAR, "neuro_conditions": ["none", "epilepsy"]}, ["neuro_conditions", "epilepsy"], id="none-with-another"
    ),
    pytest.param({k: v for k, v in CLEAR.items() if k != "heart_condition"}, ["heart_condition"], id="unanswered"),
    pytest.param({**CLEAR, "heart_condition": True}, ["heart_condition", "True"], id="wrong-type"),
]


@pytest.mark.parametrize(("answers", "named"), BAD_CASES)
def test_evaluate_bad_case_gets_an_error_and_the_others_are_still_evaluated(tmp_path, evaluate, answers, named):
    cases = [
        {"id": "before", "screening_date": "2025-03-10", "answers": CLEAR},
        {"id": "bad", "screening_date": "2025-03-10", "answers": answers},
        {"id": "after", "screening_date": "2025-03-10", "answers": {**CLEAR, "upcoming_event": "yes"}},
    ]

    run = evaluate(cases)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    before, bad, after = json.loads(run.stdout)
    assert set(bad) == {"id", "error"}
    assert bad["id"] == "bad"
    for name in named:
        assert name in bad["error"], (name, bad["error"])
    assert before["outcome"] == "clear"
    assert (after["outcome"], after["rules"]) == ("caution", ["upcoming_event"])


def test_evaluate_hidden_question_answers_are_ignored_not_an_error(tmp_path, evaluate):
    answers = {**CLEAR, "filler_areas": ["lips"], "wind_instrument": "yes"}  # hidden for a toxin-only patient

    run = evaluate([{"id": "a", "screening_date": "2025-03-10", "answers": answers}])

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["outcome"] == "clear"


@pytest.mark.parametrize(
    "screening_date", ["2025-3-10", "10/03/2025", "20250310", "2025-W11-1", 20250310, "2025-02-30"]
)
def test_evaluate_malformed_screening_date_is_a_case_error(tmp_path, evaluate, screening_date):
    cases = [{"id": "a", "screening_date": screening_date, "answers": CLEAR}, {"id": "b", "answers": CLEAR}]

    run = evaluate(cases)

    assert run.returncode == 1
    bad, good = json.loads(run.stdout)
    assert set(bad) == {"id", "error"}
    assert "screening_date" in bad["error"]
    assert good["outcome"] == "clear"


@pytest.mark.parametrize(
    ("case", "named"),
    [(3, "case 2"), ({"id": "x"}, "answers"), ({"id": "x", "answers": ["date_of_birth"]}, "answers")],
)
def test_evaluate_case_that_is_not_a_case_object_is_a_case_error(tmp_path, evaluate, case, named):
    run = evaluate([{"id": "a", "screening_date": "2025-03-10", "answers": CLEAR}, case])

    assert run.returncode == 1
    good, bad = json.loads(run.stdout)
    assert good["outcome"] == "clear"
    assert named in bad["error"]
    assert "Traceback" not in run.stderr


def test_evaluate_with_broken_rules_exits_1_without_a_traceback(tmp_path, evaluate, broken_rules):
    run = evaluate([{"id": "a", "answers": CLEAR}], "--rules", str(broken_rules))

    assert run.returncode == 1
    assert "breast_feeding" in run.stderr
    assert "Traceback" not in run.stderr


# ====================================================================================================================
# The shared checker


def test_the_shared_checker_agrees_on_every_public_case():
    if not CHECKER.exists():
        pytest.skip(f"{CHECKER} is not present")

    run = subprocess.run(
        [sys.executable, str(CHECKER)], capture_output=True, text=True, cwd=PROJECT_DIR, timeout=300, check=False
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(vignettes())}/{len(vignettes())} cases agree" in run.stdout
    assert "22/22 cases agree" in run.stdout


# ====================================================================================================================
# Help


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        ((), ["evaluate", "init", "rules", "Pre-consultation screening"]),
        (("rules",), ["check", "rules files"]),
        (("rules", "check"), ["--rules", "validate"]),
        (("evaluate",), ["FILE", "--rules", "stdin", "Exit status"]),
        (("init",), ["--instance", "secret key"]),
    ],
)
def test_help_is_given_for_every_command(screening, args, wanted):
    assert screening("init").returncode == 0  # an instance that can start: help is not about set-up here

    run = screening(*args, "--help")

    assert run.returncode == 0
    for text in wanted:
        assert text in run.stdout, text
    assert "Traceback" not in run.stderr


def test_every_command_of_the_group_has_help_text():
    import click

    from screening.cli import cli

    def walk(command: click.Command, path: str):
        assert (command.help or command.short_help or "").strip(), f"`{path}` has no help text"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")

    walk(cli, "screening")
    assert {"rules", "evaluate", "init"} <= set(cli.commands)


def test_top_level_help_on_a_fresh_machine_shows_no_traceback(env):
    # The console script for real: it is installed and answers --help.
    # Before `screening init` there is no SECRET_KEY: help must still be plain help, not an error report.
    run = run_script("--help", env=env)

    assert run.returncode == 0
    assert "evaluate" in run.stdout
    assert "Traceback" not in run.stderr
    assert run.stderr == ""


CLINIC_COMMANDS = {"audit", "backup", "clinician", "erase", "evaluate", "fhir", "init", "mail", "purge", "restore"}
CLINIC_COMMANDS |= {"rules", "slots"}


def test_top_level_help_lists_only_the_clinics_commands(env):
    # The console script for real: Flask's own commands and options (a development server beside `make run`, a
    # shell, the routes, another app or env file, debug mode) are not the clinic's and are not offered.
    run = run_script("--help", env=env)

    assert run.returncode == 0, run.stderr
    listed = set(re.findall(r"^  ([a-z][a-z-]*)  ", run.stdout.split("Commands:", 1)[1], re.MULTILINE))
    assert listed == CLINIC_COMMANDS
    for flask_own in ("--env-file", "--app", "--debug", "--version"):
        assert flask_own not in run.stdout


@pytest.mark.parametrize("command", ["run", "shell", "routes", "limiter"])
def test_flasks_own_commands_are_not_commands_of_the_clinic(screening, command):
    assert screening("init").returncode == 0  # an app that loads: the command is not found, not refused at start

    run = screening(command, "--help")  # --help: where `run` is Flask's, it would start a development server

    assert run.returncode == 2
    assert f"No such command '{command}'" in run.stderr
    assert "Traceback" not in run.stderr


# ====================================================================================================================
# init


def test_init_creates_a_private_config_with_a_secret_key_and_the_database(tmp_path, env):
    # The console script for real: `screening init` sets up an instance.
    instance = tmp_path / "clinic"

    run = run_script("init", "--instance", str(instance), env=env)

    assert run.returncode == 0, run.stderr
    config = instance / "config.py"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert re.search(r"^SECRET_KEY = '[0-9a-f]{64}'$", config.read_text(), re.MULTILINE)
    assert (instance / "screening.sqlite3").is_file()
    assert "0001_drafts_and_submissions" in run.stdout


def test_init_a_second_time_keeps_the_same_key(tmp_path, screening):
    instance = tmp_path / "clinic"
    screening("init", "--instance", str(instance))
    first = (instance / "config.py").read_text()

    run = screening("init", "--instance", str(instance))

    assert run.returncode == 0, run.stderr
    assert (instance / "config.py").read_text() == first
    assert "kept" in run.stdout
    assert "up to date" in run.stdout


def test_init_uses_screening_instance_path_by_default(tmp_path, screening):
    run = screening("init")

    assert run.returncode == 0, run.stderr
    assert (tmp_path / "instance" / "config.py").is_file()


def test_two_inits_make_different_keys(tmp_path, screening):
    keys = []
    for name in ("one", "two"):
        screening("init", "--instance", str(tmp_path / name))
        keys.append((tmp_path / name / "config.py").read_text())

    assert keys[0] != keys[1]


# ====================================================================================================================
# Refusing to start


def test_app_command_without_a_secret_key_says_cannot_start_in_one_line(tmp_path, env):
    # The console script for real: screening.cli.main turns a ConfigurationError into one line and exit 1.
    empty = tmp_path / "empty-instance"
    empty.mkdir()

    run = run_script("audit", "verify", env={**env, "SCREENING_INSTANCE_PATH": str(empty)})

    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot start" in lines[0]
    assert "SECRET_KEY" in lines[0]
    assert "Traceback" not in run.stderr


def test_app_command_with_broken_rules_says_cannot_start_naming_the_problem(tmp_path, env, broken_rules):
    # The console script for real: screening.cli.main turns a RulesError into a refusal and exit 1.
    instance = tmp_path / "clinic"
    assert run_script("init", "--instance", str(instance), env=env).returncode == 0

    run = run_script(
        "audit",
        "verify",
        env={**env, "SCREENING_INSTANCE_PATH": str(instance), "SCREENING_RULES_DIR": str(broken_rules)},
    )

    assert run.returncode == 1
    assert "cannot start" in run.stderr
    assert "contraindications.toml" in run.stderr
    assert "'breastfeeding'" in run.stderr
    assert "breast_feeding" in run.stderr
    assert "Traceback" not in run.stderr


def test_app_command_with_an_initialised_instance_starts(tmp_path, screening):
    instance = tmp_path / "clinic"
    assert screening("init", "--instance", str(instance)).returncode == 0

    # Flask's plain runner: the command builds the app itself from the instance folder, as the console script does
    # (with the server's own duties off, as `screening.cli.main` sets them), rather than running on the test's app.
    quiet = {"SCREENING_MAIL_SENDER": "false", "SCREENING_PURGE_DAILY": "false", "SCREENING_SERVER_LOCK": "false"}
    run = invoke(CliRunner(), "audit", "verify", env={**clean_env(instance), **quiet})

    assert run.returncode == 0, run.stderr
    assert "the audit chain is whole" in run.stdout


# --------------------------------------------------------------------------------------------------------------------
# rules test: the cases beside the rules


def test_rules_test_passes_on_the_shipped_rules_and_check_runs_them(screening, env):
    result = screening("rules", "test", env=env)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\d+ cases passed; 45 of 45 rules fire in at least one case$", result.stdout, re.M)
    check = screening("rules", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert re.search(r"^\d+ rule tests passed$", check.stdout, re.M)


def test_rules_test_fails_naming_the_case_when_a_level_is_edited(screening, env, tmp_path):
    copy = tmp_path / "rules-edited"
    shutil.copytree(RULES_DIR, copy)
    path = copy / "contraindications.toml"
    text = path.read_text()
    block = text.index('id = "upcoming_event"')
    level = text.index('level = "caution"', block)
    path.write_text(text[:level] + 'level = "defer"' + text[level + len('level = "caution"') :])
    result = screening("rules", "test", str(copy), env=env)
    assert result.returncode == 1
    assert "FAIL caution.toml: case 'upcoming_event_fires'" in result.stderr
    assert "upcoming_event (defer, any)" in result.stderr
    assert "Traceback" not in result.stderr
    check = screening("rules", "check", "--rules", str(copy), env=env)
    assert check.returncode == 1
    assert "case 'upcoming_event_fires'" in check.stderr


def test_rules_diff_names_the_change_in_words(screening, env, tmp_path):
    copy = tmp_path / "rules-new"
    shutil.copytree(RULES_DIR, copy)
    path = copy / "contraindications.toml"
    text = path.read_text()
    level = text.index('level = "caution"', text.index('id = "upcoming_event"'))
    path.write_text(text[:level] + 'level = "review"' + text[level + len('level = "caution"') :])
    result = screening("rules", "diff", str(RULES_DIR), str(copy), env=env)
    assert result.returncode == 0, result.stderr
    assert "Rule 'upcoming_event' changed:\n  - Level raised from caution to review\n" in result.stdout
    missing = screening("rules", "diff", str(RULES_DIR), str(tmp_path / "nowhere"), env=env)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr and "nowhere" in missing.stderr


def test_init_adds_a_seed_key_to_an_existing_config_once(runner, tmp_path):
    folder = tmp_path / "clinic"
    assert invoke(runner, "init", "--instance", str(folder)).returncode == 0
    config = folder / "config.py"
    # an instance from before seeds were encrypted: its config has no seed key
    config.write_text("\n".join(line for line in config.read_text().splitlines() if "TOTP_SEED_KEY" not in line) + "\n")

    done = invoke(runner, "init", "--instance", str(folder))

    assert done.returncode == 0 and "second-factor seeds" in done.stdout
    assert config.read_text().count("TOTP_SEED_KEY = '") == 1
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert "second-factor seeds" not in invoke(runner, "init", "--instance", str(folder)).stdout  # once only
