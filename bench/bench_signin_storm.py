"""A sign-in storm against waitress on loopback, and /healthz meanwhile: sign-in must not stall the site. Not a test.

Starts `waitress-serve` as `make run` does (8 threads, --connection-limit=500, --channel-timeout=15) on a fresh
instance with one clinician, then sends 60 sign-in POSTs at once while /healthz is asked every 20 ms, and reports
/healthz's p50, p95 and max. Two storms:

- one address: 60 wrong passwords from loopback (the limits answer most of them at once);
- sixty addresses: waitress trusts loopback as a proxy (--trusted-proxy) and each POST has its own X-Forwarded-For
  and email, so no limit applies and every attempt would hash (the argon2 semaphore decides).

Target: /healthz p95 under 200 ms in both. Run: .venv/bin/python bench/bench_signin_storm.py
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

BIN = Path(sys.executable).parent
ADMIN, PASSWORD = "bench@clinic.example", "plum tractor 41 lantern"
STORM = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def storm(port: int, spread: bool) -> dict[str, float]:
    _, headers, page = request(port, "GET", "/clinician/login")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    statuses: list[int] = []
    timings: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            request(port, "GET", "/healthz")
            timings.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)

    def attempt(n: int) -> None:
        email = f"nobody{n}@clinic.example" if spread else ADMIN
        form = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        if spread:
            form["X-Forwarded-For"] = f"198.51.100.{n + 1}"
        body = urlencode({"csrf_token": token, "email": email, "password": "not the password at all"})
        statuses.append(request(port, "POST", "/clinician/login", body, form)[0])

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    attempts = [threading.Thread(target=attempt, args=(n,)) for n in range(STORM)]
    began = time.perf_counter()
    for thread in attempts:
        thread.start()
    for thread in attempts:
        thread.join()
    took = time.perf_counter() - began
    time.sleep(0.3)
    stop.set()
    poller.join()
    timings.sort()
    return {
        "healthz_p50": statistics.median(timings),
        "healthz_p95": timings[int(len(timings) * 0.95) - 1],
        "healthz_max": timings[-1],
        "samples": len(timings),
        "storm_s": took,
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
    }


def serve(instance: Path, extra_env: dict[str, str], extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    env.update(SCREENING_INSTANCE_PATH=str(instance), SCREENING_MAIL_SENDER="false", **extra_env)
    server = subprocess.Popen(
        [str(BIN / "waitress-serve"), f"--listen=127.0.0.1:{port}", "--threads=8", "--connection-limit=500",
         "--channel-timeout=15", *extra_args, "--call", "screening:create_app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server, port


def main() -> None:
    global STORM
    if sys.argv[1:] == ["--tiny"]:  # a few seconds' run that proves the script still works (the test suite runs it)
        STORM = 4
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
        env["SCREENING_INSTANCE_PATH"] = str(instance)
        subprocess.run([str(BIN / "screening"), "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [str(BIN / "screening"), "clinician", "add", ADMIN, "--name", "Bench", "--role", "admin"],
            env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True,
        )  # fmt: skip
        for name, spread, extra in (
            ("one address", False, ()),
            ("sixty addresses", True, ("--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=x-forwarded-for")),
        ):
            server, port = serve(instance, {}, extra)
            try:
                result = storm(port, spread)
            finally:
                server.terminate()
                server.wait(timeout=10)
            print(
                f"{name}: /healthz p50 {result['healthz_p50']:.1f} ms, p95 {result['healthz_p95']:.1f} ms, "
                f"max {result['healthz_max']:.1f} ms ({result['samples']} samples); storm of {STORM} took "
                f"{result['storm_s']:.2f} s; answers {result['statuses']}"
            )


if __name__ == "__main__":
    main()
