"""A sign-in storm against waitress on loopback, and /healthz meanwhile: sign-in must not stall the site. Not a test.

Starts `waitress-serve` as `make run` does (8 threads, --connection-limit=500, --channel-timeout=15,
--cleanup-interval=2) on a fresh
instance with one clinician, then sends 60 sign-in POSTs at once while /healthz is asked every 20 ms, and reports
/healthz's p50, p95 and max. Two storms:

- one address: 60 wrong passwords from loopback (the limits answer most of them at once);
- sixty addresses: waitress trusts loopback as a proxy (--trusted-proxy) and each POST has its own X-Forwarded-For
  and email, so no limit applies and every attempt would hash (the argon2 semaphore decides).

Target: /healthz p95 under 200 ms in both.

Then the real clinician's side: ATTACKERS threads send wrong passwords for STORM_SECONDS, each attempt from a fresh
address (X-Forwarded-For), while the clinician tries the right password every half second from an address of their
own, each try a fresh sign-in (the sign-in page, then the POST). It reports the clinician's successes out of their
tries, for a storm on another account, on the clinician's own account (from a new browser, and from a known device
that signed in before), and spread over made-up accounts. Run: .venv/bin/python bench/bench_signin_storm.py
(`--clinician`: only the clinician's side)
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
ATTACKERS = 12
STORM_SECONDS = 15.0
CLINICIAN, CLINICIAN_PASSWORD = "clinician@clinic.example", "quiet harbour 73 violin"


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


def cookies_of(response: http.client.HTTPResponse) -> dict[str, str]:
    """Every cookie a response sets, by name (a response may set several)."""
    found = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            found[pair.split("=", 1)[0]] = pair
    return found


def try_sign_in(port: int, email: str, password: str, address: str, device: str = "") -> tuple[int, dict[str, str]]:
    """A fresh browser (with the device cookie, if given) opens the sign-in page and signs in: (status, cookies)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/clinician/login", headers={"Cookie": device} if device else {})
        page = connection.getresponse()
        body = page.read().decode()
        session = cookies_of(page)["__Host-session"]
        token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
        headers = {
            "Cookie": "; ".join(c for c in (session, device) if c),
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": address,
        }
        form = urlencode({"csrf_token": token, "email": email, "password": password})
        connection.request("POST", "/clinician/login", form, headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status, cookies_of(answer)
    finally:
        connection.close()


def clinician_during_storm(port: int, target: str, *, before: str) -> dict[str, object]:
    """The clinician's tries with the right password while ATTACKERS send wrong ones from fresh addresses. `before`:
    "" (nothing), "address" (the clinician's address signed in once before), "device" (and the browser kept its
    device cookie)."""
    device = ""
    if before:
        status, cookies = try_sign_in(port, CLINICIAN, CLINICIAN_PASSWORD, "203.0.113.7")
        assert status == 303, status
        if before == "device":
            device = cookies.get("__Host-device", "")  # none before the known-device lane existed
    stop = threading.Event()
    counter = iter(range(10**9))
    attacks: list[int] = []

    def attack() -> None:
        while not stop.is_set():
            n = next(counter)
            email = f"nobody{n}@clinic.example" if target == "spread" else target
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            attacks.append(try_sign_in(port, email, "not the password at all", address)[0])

    attackers = [threading.Thread(target=attack) for _ in range(ATTACKERS)]
    for thread in attackers:
        thread.start()
    time.sleep(min(2.0, STORM_SECONDS / 5))  # the storm is under way (the account slowed) before the first try
    tries: list[int] = []
    ends = time.perf_counter() + STORM_SECONDS
    while time.perf_counter() < ends:
        tries.append(try_sign_in(port, CLINICIAN, CLINICIAN_PASSWORD, "203.0.113.7", device)[0])
        time.sleep(0.5)
    stop.set()
    for thread in attackers:
        thread.join()
    return {
        "ok": tries.count(303),
        "tries": len(tries),
        "answers": {s: tries.count(s) for s in sorted(set(tries))},
        "attacks": {s: attacks.count(s) for s in sorted(set(attacks))},
    }


def serve(instance: Path, extra_env: dict[str, str], extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    env.update(SCREENING_INSTANCE_PATH=str(instance), SCREENING_MAIL_SENDER="false", **extra_env)
    server = subprocess.Popen(
        [str(BIN / "waitress-serve"), f"--listen=127.0.0.1:{port}", "--threads=8", "--connection-limit=500",
         "--channel-timeout=15", "--cleanup-interval=2", *extra_args, "--call", "screening:create_app"],
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
    global STORM, ATTACKERS, STORM_SECONDS
    if sys.argv[1:] == ["--tiny"]:  # a few seconds' run that proves the script still works (the test suite runs it)
        STORM, ATTACKERS, STORM_SECONDS = 4, 2, 1.0
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
        env["SCREENING_INSTANCE_PATH"] = str(instance)
        subprocess.run([str(BIN / "screening"), "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [str(BIN / "screening"), "clinician", "add", ADMIN, "--name", "Bench", "--role", "admin"],
            env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "screening"), "clinician", "add", CLINICIAN, "--name", "Clinician"],
            env=env, input=CLINICIAN_PASSWORD + "\n", text=True, check=True, capture_output=True,
        )  # fmt: skip
        for name, spread, extra in (
            ("one address", False, ()),
            ("sixty addresses", True, ("--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=x-forwarded-for")),
        )[: 0 if "--clinician" in sys.argv else 2]:
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
        proxy = ("--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=x-forwarded-for")
        for name, target, before in (
            ("storm on another account, clinician in a new browser", ADMIN, ""),
            ("storm on the clinician's account, a new browser", CLINICIAN, ""),
            ("storm on the clinician's account, a known device", CLINICIAN, "device"),
            ("storm over made-up accounts, a new browser", "spread", ""),
            ("storm over made-up accounts, a new browser on an address that signed in before", "spread", "address"),
            ("storm over made-up accounts, a known device", "spread", "device"),
        ):
            server, port = serve(instance, {}, proxy)  # a fresh server: no counters from the storm before
            try:
                result = clinician_during_storm(port, target, before=before)
            finally:
                server.terminate()
                server.wait(timeout=10)
            print(
                f"{name}: the right password got in {result['ok']} of {result['tries']} tries "
                f"(answers {result['answers']}); {ATTACKERS} attackers for {STORM_SECONDS:.0f} s: {result['attacks']}"
            )


if __name__ == "__main__":
    main()
