"""`make run` tells the server where it listens: links default to that address, and a PUBLIC_URL chosen elsewhere
that does not lead there is named in a log line at start."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_and_read_log(tmp_path: Path, **env_extra: str) -> tuple[int, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_", "MAKE"))}
    env.update(SCREENING_INSTANCE_PATH=str(tmp_path), **env_extra)
    subprocess.run(
        [str(BIN / "screening"), "init", "--instance", str(tmp_path)], env=env, check=True, capture_output=True
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            ["make", "-s", "run", f"PORT={port}"],
            cwd=PROJECT,
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=1)) as connection:
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"make run did not answer: {log.read_text()[-2000:]}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return port, log.read_text()


def test_a_public_url_that_does_not_lead_to_the_listen_address_is_named_at_start(tmp_path):
    port, log = serve_and_read_log(tmp_path, SCREENING_PUBLIC_URL="http://127.0.0.1:5000")
    assert f"PUBLIC_URL is http://127.0.0.1:5000 but this server listens on 127.0.0.1:{port}" in log


def test_without_a_chosen_public_url_make_run_says_nothing_about_it(tmp_path):
    _, log = serve_and_read_log(tmp_path)
    assert "PUBLIC_URL" not in log


FIRST_ADMIN_LOG = "no clinician account exists yet: create the first admin with:"


def test_with_no_clinician_make_run_logs_the_first_admin_command_once(tmp_path):
    _, log = serve_and_read_log(tmp_path)

    assert log.count(FIRST_ADMIN_LOG) == 1, log[-2000:]
    line = next(line for line in log.splitlines() if FIRST_ADMIN_LOG in line)
    command = line.split(FIRST_ADMIN_LOG, 1)[1].strip()
    assert command.startswith(f"SCREENING_INSTANCE_PATH={tmp_path} {BIN / 'screening'} clinician add ")
    assert command.endswith(" --role admin")


def test_once_a_clinician_exists_make_run_says_nothing_of_the_first_admin(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_", "MAKE"))}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path)
    screening = str(BIN / "screening")
    subprocess.run([screening, "init", "--instance", str(tmp_path)], env=env, check=True, capture_output=True)
    subprocess.run(
        [screening, "clinician", "add", "ada@clinic.example", "--name", "Ada", "--role", "admin"],
        env=env,
        input="plum tractor 41 lantern\n",
        text=True,
        check=True,
        capture_output=True,
    )

    _, log = serve_and_read_log(tmp_path)

    assert "first admin" not in log
