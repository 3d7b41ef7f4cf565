"""Every benchmark still runs: each script in bench/ in its tiny mode, as the installed venv runs it. A module moved
or renamed in the package breaks a benchmark here, not unseen at the next `make bench`. (Speed targets live in the
benchmarks' own output and bench/README.md, never in a test.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name != "floor_app.py")  # floor_app is served, not run


def test_every_bench_script_is_covered():
    assert {"bench_rules.py", "journey.py", "bench_backup.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_script_runs_in_its_tiny_mode(script):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    run = subprocess.run(
        [sys.executable, str(BENCH / script), "--tiny"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=BENCH.parent,
        env=env,
    )
    assert run.returncode == 0, f"{script} exited {run.returncode}:\n{run.stderr[-3000:]}"
    assert run.stdout.strip(), f"{script} printed no result"
    assert "Traceback" not in run.stderr
