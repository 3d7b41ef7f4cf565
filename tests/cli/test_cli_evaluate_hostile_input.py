"""`screening evaluate` never shows a traceback: a lone surrogate, JSON nested 100,000 deep, a 5,000-digit
number, bytes that are not UTF-8, and a 1 MB bad value.

Where the bytes on standard input or standard output matter (the surrogate, the encoding, the nesting, whose limit is
the real process's), the installed console script runs for real; the others run in this process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import clean_env, invoke, run_script, script_env
from tests.factories import SCREENING_DATE, baseline_answers

DATE = SCREENING_DATE.isoformat()
CLEAR = baseline_answers("toxin")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return script_env(tmp_path / "instance")


@pytest.fixture
def evaluate_file(runner, tmp_path: Path):
    """`screening evaluate FILE` in this process, FILE holding this text."""

    def run(text: str):
        path = tmp_path / "cases.json"
        path.write_text(text, encoding="utf-8")
        return invoke(runner, "evaluate", str(path), env=clean_env(tmp_path / "instance"))

    return run


def case_json(case_id_json: str, answers: dict | None = None) -> str:
    """A case whose id is written as this JSON text (so an escape such as \\ud800 reaches the parser as written)."""
    return f'{{"id": {case_id_json}, "screening_date": "{DATE}", "answers": {json.dumps(answers or CLEAR)}}}'


def assert_no_traceback(stderr: str | bytes) -> None:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    assert "Traceback" not in text
    assert "Error:" not in text.replace("screening evaluate:", "")  # no exception class name either


# --------------------------------------------------------------------------------------------------------------------
# A lone surrogate: the batch is kept, and the output is valid UTF-8 JSON


def test_lone_surrogate_in_an_id_keeps_the_batch_and_the_output_is_utf8_json(env):
    batch = "[" + ", ".join([case_json('"before"'), case_json('"\\ud800"'), case_json('"after"')]) + "]"
    heart = {**CLEAR, "heart_condition": "yes"}
    batch = batch[:-1] + ", " + case_json('"heart"', heart) + "]"

    run = run_script("evaluate", "-", env=env, stdin=batch.encode("ascii"))

    assert run.returncode == 0, run.stderr
    assert_no_traceback(run.stderr)
    text = run.stdout.decode("utf-8")  # strict: raises if the output is not UTF-8
    results = json.loads(text)
    assert [result["id"] for result in results] == ["before", "\ud800", "after", "heart"]
    assert [result["outcome"] for result in results] == ["clear", "clear", "clear", "caution"]
    assert results[3]["rules"] == ["toxin_heart_condition"]


def test_lone_surrogate_in_a_bad_value_is_that_case_error_and_the_output_is_utf8_json(env):
    bad = {**CLEAR, "treatment_requested": "\udc80"}
    batch = "[" + case_json('"bad"', bad) + ", " + case_json('"good"') + "]"
    assert "\\udc80" in batch  # json.dumps wrote the escape, not the character

    run = run_script("evaluate", "-", env=env, stdin=batch.encode("ascii"))

    assert run.returncode == 1
    assert_no_traceback(run.stderr)
    bad_result, good = json.loads(run.stdout.decode("utf-8"))
    assert set(bad_result) == {"id", "error"}
    assert "treatment_requested" in bad_result["error"]
    assert good["outcome"] == "clear"


# --------------------------------------------------------------------------------------------------------------------
# Unreadable input: exit 2, one line naming the input, no traceback


def test_json_nested_100000_deep_exits_2_with_one_line_naming_the_file(tmp_path, env):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")

    run = run_script("evaluate", str(path), env=env)

    assert run.returncode == 2
    assert run.stdout == ""
    assert_no_traceback(run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr[:2000]
    assert str(path) in lines[0]
    assert "nested" in lines[0]


def test_bytes_that_are_not_utf8_on_standard_input_exit_2_and_are_not_echoed(env):
    latin1 = '[{"id": "caf\u00e9", "answers": {}}]'.encode("latin-1")
    assert b"\xe9" in latin1

    run = run_script("evaluate", "-", env=env, stdin=latin1)

    assert run.returncode == 2
    assert run.stdout == b""
    assert_no_traceback(run.stderr)
    message = run.stderr.decode("utf-8")  # the refusal itself is UTF-8: the raw byte is not passed on
    assert len(message.strip().splitlines()) == 1
    assert "standard input" in message
    assert "not UTF-8" in message


# --------------------------------------------------------------------------------------------------------------------
# A bad value in one case: that case gets a short error, the others are evaluated, exit 1


def test_a_5000_digit_number_as_date_of_birth_is_that_case_error(evaluate_file):
    huge = "1" + "9" * 4_999
    big = case_json('"huge"').replace('"date_of_birth": "1990-07-22"', f'"date_of_birth": {huge}')
    assert huge in big
    text = "[" + ", ".join([case_json('"before"'), big, case_json('"after"')]) + "]"

    run = evaluate_file(text)

    assert run.returncode == 1
    assert_no_traceback(run.stderr)
    before, bad, after = json.loads(run.stdout)
    assert set(bad) == {"id", "error"}
    assert bad["id"] == "huge"
    assert "date_of_birth" in bad["error"]
    assert huge not in bad["error"]
    assert len(bad["error"]) < 300
    assert (before["outcome"], after["outcome"]) == ("clear", "clear")


def test_a_5000_digit_number_as_an_id_does_not_lose_the_batch(evaluate_file):
    text = "[" + case_json("7" * 5_000) + ", " + case_json('"after"') + "]"

    run = evaluate_file(text)

    assert run.returncode == 0, run.stderr
    assert_no_traceback(run.stderr)
    first, after = json.loads(run.stdout)
    assert first["outcome"] == "clear"
    assert "7" * 200 not in first["id"]  # the id is named, not echoed whole
    assert after == {"id": "after", "outcome": "clear", "rules": [], "treatments": {"toxin": "clear"}, "messages": []}


@pytest.mark.parametrize("question", ["treatment_requested", "date_of_birth", "current_medicines_not_a_question"])
def test_a_1mb_bad_value_gets_a_short_error(evaluate_file, question):
    answers = {**CLEAR, question: "x" * 1_000_000}
    text = "[" + case_json('"big"', answers) + ", " + case_json('"after"') + "]"

    run = evaluate_file(text)

    assert run.returncode == 1
    assert_no_traceback(run.stderr)
    bad, after = json.loads(run.stdout)
    assert set(bad) == {"id", "error"}
    assert question in bad["error"]
    assert len(bad["error"]) < 300, len(bad["error"])
    assert after["outcome"] == "clear"
    assert len(run.stdout) < 2_000


def test_a_1mb_unknown_question_name_gets_a_short_error(evaluate_file):
    answers = {**CLEAR, "z" * 1_000_000: "no"}
    text = "[" + case_json('"big"', answers) + ", " + case_json('"after"') + "]"

    run = evaluate_file(text)

    assert run.returncode == 1
    bad, after = json.loads(run.stdout)
    assert "is not a question" in bad["error"]
    assert len(bad["error"]) < 300, len(bad["error"])
    assert after["outcome"] == "clear"
