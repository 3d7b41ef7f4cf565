"""Running the `screening` command in tests: in this process through Flask's CLI runner (the default, fast), or as
the installed console script in a subprocess (for the few tests that prove the script itself, its exit codes and what
reaches a real terminal).

Both answer with a subprocess.CompletedProcess (returncode, stdout, stderr), so a test reads the same either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskCliRunner

from screening.cli import cli

SCREENING = Path(sys.executable).parent / "screening"
PROJECT_DIR = Path(__file__).resolve().parents[1]


def invoke(
    runner: FlaskCliRunner, *args: str, input: str | bytes | None = None, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess:
    """Run `screening ARGS` in this process on the runner's app: the group `screening.cli.main` runs, with `input`
    on standard input (a pipe, not a terminal) and `env` added to the environment for the call (None removes one).

    An exception that escapes the command is what the console script would print as a traceback: it fails the test
    here instead of passing as an exit status of 1.
    """
    result = runner.invoke(cli, list(args), input=input, env=env, prog_name="screening")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"`screening {' '.join(args)}` raised {result.exception!r}: the console script would show a traceback"
        ) from result.exception
    return subprocess.CompletedProcess(["screening", *args], result.exit_code, result.stdout, result.stderr)


def script_env(instance: Path) -> dict[str, str]:
    """The environment for the console script: nothing from the caller's SCREENING_* or FLASK_*, this instance."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    environment["SCREENING_INSTANCE_PATH"] = str(instance)
    return environment


def clean_env(instance: Path) -> dict[str, str | None]:
    """The same environment for `invoke`: the caller's SCREENING_* and FLASK_* removed, this instance."""
    removed: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("SCREENING_", "FLASK_"))}
    return {**removed, "SCREENING_INSTANCE_PATH": str(instance)}


def run_script(
    *args: str, env: dict[str, str], stdin: str | bytes | None = None, cwd: Path = PROJECT_DIR
) -> subprocess.CompletedProcess:
    """Run the installed `screening` console script. Text in, text out, unless stdin is bytes: then bytes both ways
    (for tests of what the command does with bytes that are not UTF-8, and of the bytes it writes)."""
    binary = isinstance(stdin, bytes)
    return subprocess.run(
        [str(SCREENING), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=not binary,
        encoding=None if binary else "utf-8",
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


SCREENING = Path(sys.executable).parent / "screening"


def cli_env(instance: Path) -> dict[str, str]:
    """The environment of a shell on the server, with this instance folder (nothing from the project's instance/)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    environment["SCREENING_INSTANCE_PATH"] = str(instance)
    return environment


def run_cli(instance: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `screening ARGS` on this instance folder, as an operator would (for tests about files and
    processes: init, backup and restore, commands on a served instance)."""
    return subprocess.run(
        [str(SCREENING), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_env(instance),
        timeout=60,
        check=False,
    )
