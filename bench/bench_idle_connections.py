"""Idle connections against waitress: idle sockets must not starve /healthz. Not a test.

Starts waitress as `make run` does (8 threads, --connection-limit=500, --channel-timeout=15), opens N idle sockets
that never send a byte, then times /healthz. With waitress's defaults (100 connections, 120 s), 110 idle sockets
made /healthz wait until they were closed. Run: .venv/bin/python bench/bench_idle_connections.py [N ...]
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_signin_storm import request, serve  # noqa: E402 - a sibling script, not a package


def main(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        env = {"SCREENING_INSTANCE_PATH": str(instance), "PATH": "/usr/bin:/bin"}
        screening = str(Path(sys.executable).parent / "screening")
        subprocess.run([screening, "init"], env=env, check=True, capture_output=True)
        server, port = serve(instance, {})
        try:
            for count in counts:
                idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
                time.sleep(0.5)
                timings = []
                for _ in range(20):
                    started = time.perf_counter()
                    status = request(port, "GET", "/healthz")[0]
                    timings.append((time.perf_counter() - started) * 1000)
                    assert status == 200
                timings.sort()
                print(f"{count} idle sockets: /healthz median {timings[10]:.1f} ms, max {timings[-1]:.1f} ms")
                for sock in idle:
                    sock.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    if sys.argv[1:] == ["--tiny"]:  # a few seconds' run that proves the script still works (the test suite runs it)
        main([5])
    else:
        main([int(n) for n in sys.argv[1:]] or [110, 400])
