"""`make run`'s waitress closes a connection that sends nothing within its channel timeout and one cleanup interval
(waitress checks for idle connections only every cleanup interval: 30 s by default, which doubled the wait)."""

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


def answers(port: int) -> bool:
    try:
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=1)) as connection:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
    except OSError:
        return False


def test_an_idle_connection_is_closed_within_the_channel_timeout_and_one_cleanup_interval(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_", "MAKE"))}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path)
    subprocess.run(
        [str(BIN / "screening"), "init", "--instance", str(tmp_path)], env=env, check=True, capture_output=True
    )
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            ["make", "-s", "run", f"PORT={port}", "CHANNEL_TIMEOUT=2"],
            cwd=PROJECT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-2000:]
            time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port)) as idle:
            idle.settimeout(15)  # waitress's default cleanup interval (30 s) would keep it open past this
            opened = time.monotonic()
            try:
                closed = idle.recv(1) == b""
            except TimeoutError:
                closed = False
            waited = time.monotonic() - opened
        assert closed, "the idle connection was still open after 15 s"
        assert waited < 10, waited
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
