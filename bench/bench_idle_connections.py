"""Idle and slow connections against waitress: idle sockets must not starve /healthz, and how long waitress keeps a
silent or a slow (slowloris) connection open. Not a test.

Starts waitress as `make run` does (8 threads, --connection-limit=500, --channel-timeout=15, --cleanup-interval=2),
opens N idle sockets that never send a byte, then times /healthz. With waitress's defaults (100 connections, 120 s),
110 idle sockets made /healthz wait until they were closed. Then: how long one silent socket stays open; how long a
connection that sends a header line every 5 s stays open (waitress has no bound on header time: a proxy's job);
and the first /healthz after 520 idle sockets, past the connection limit.
Run: .venv/bin/python bench/bench_idle_connections.py [N ...] (`--cleanup-interval=30`, waitress's default, after
the counts measures the server as it was before)
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


def idle_close_seconds(port: int, give_up: float = 60.0) -> float | None:
    """How long a socket that sends nothing stays open (None: still open after give_up)."""
    with socket.create_connection(("127.0.0.1", port)) as idle:
        idle.settimeout(give_up)
        opened = time.perf_counter()
        try:
            return time.perf_counter() - opened if idle.recv(1) == b"" else None
        except TimeoutError:
            return None


def slowloris_seconds(port: int, every: float = 5.0, give_up: float = 40.0) -> float | None:
    """How long a connection that sends one more header line every `every` seconds stays open (None: still open)."""
    with socket.create_connection(("127.0.0.1", port)) as slow:
        opened = time.perf_counter()
        try:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while time.perf_counter() - opened < give_up:
                slow.settimeout(every)
                try:
                    if slow.recv(1) == b"":
                        return time.perf_counter() - opened
                except TimeoutError:
                    pass
                slow.sendall(b"X-Slow: 1\r\n")
        except OSError:
            return time.perf_counter() - opened
    return None


def first_answer_past_the_limit(port: int, count: int) -> float:
    """Seconds the first /healthz waits with `count` idle sockets open."""
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    try:
        time.sleep(0.5)
        started = time.perf_counter()
        assert request(port, "GET", "/healthz")[0] == 200
        return time.perf_counter() - started
    finally:
        for sock in idle:
            sock.close()


def shown(seconds: float | None, give_up: float) -> str:
    return f"{seconds:.1f} s" if seconds is not None else f"still open after {give_up:.0f} s"


def main(counts: list[int], extra: tuple[str, ...] = (), *, slow: bool = True) -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        env = {"SCREENING_INSTANCE_PATH": str(instance), "PATH": "/usr/bin:/bin"}
        screening = str(Path(sys.executable).parent / "screening")
        subprocess.run([screening, "init"], env=env, check=True, capture_output=True)
        server, port = serve(instance, {}, extra)
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
            if slow:
                print(f"one silent socket closed after {shown(idle_close_seconds(port), 60)}")
                print(f"a header line every 5 s: closed after {shown(slowloris_seconds(port), 40)}")
                time.sleep(20)  # the sockets above are gone
                waited = first_answer_past_the_limit(port, 520)
                print(f"520 idle sockets (limit 500): the first /healthz took {waited:.1f} s")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    options = tuple(a for a in sys.argv[1:] if a.startswith("--") and a != "--tiny")
    if "--tiny" in sys.argv[1:]:  # a few seconds' run that proves the script still works (the test suite runs it)
        main([5], options, slow=False)
    else:
        main([int(n) for n in arguments] or [110, 400], options)
