"""The real application behind a real WSGI server (waitress, as `make run` uses) on a free loopback port, with an
instance folder of its own made through the real CLI: a secret key, an admin, and published slots. The browser tests
(tests/browser) drive it with Chromium; tests/services/lifecycle/test_backup_live.py sends patients to it over HTTP.

The server and the commands run in subprocesses on the wall clock, where the `clock` fixture of tests/conftest.py
cannot reach. So every browser test and helper takes the time from `clinic_now` and `clinic_today` here, and from
nowhere else: they read the product's own clock (screening.clock) in the clinic's zone, as the server does. A test
that needs days to pass (a check-in two weeks after a treatment, a recall at 91 days) restarts the server with its
clock moved on (`LiveServer.move_clock`, through tools/clock_shift) and reads the server's time from `LiveServer.now`.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from screening import clock as app_clock

BIN = Path(sys.executable).parent
CLOCK_SHIFT = Path(__file__).resolve().parent.parent / "tools" / "clock_shift"  # moves a process's Python clocks
ADMIN_EMAIL = "ada@clinic.example"
ADMIN_PASSWORD = "plum tractor 41 lantern"  # the admin's own, chosen at the first sign-in (LiveServer.start)
ADMIN_GIVEN_PASSWORD = "given harbour 19 sparrow"  # what `screening clinician add` is given
# The served instance's CLINIC_TIMEZONE: the default, as `screening init` leaves it.
CLINIC_ZONE = ZoneInfo("Europe/London")


def clinic_now() -> datetime:
    """Now where the served clinic is (aware, in CLINIC_ZONE), by the clock the server reads: the browser tests'
    only way to the time (tests/test_time_comes_from_the_clock.py holds that)."""
    return app_clock.utc_now().astimezone(CLINIC_ZONE)


def clinic_today() -> date:
    """The served clinic's date today, as the server reckons it (screening.clock.today_in in CLINIC_ZONE)."""
    return app_clock.today_in(CLINIC_ZONE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
        # Every actor in these tests comes from 127.0.0.1, so the per-address limits would count them as
        # one visitor and refuse whichever request came eleventh within a minute on a fast machine. The limits
        # have their own tests in tests/web.
        self.env.update(
            SCREENING_INSTANCE_PATH=str(folder), SCREENING_PUBLIC_URL=self.url, SCREENING_RATELIMIT_ENABLED="false"
        )
        self.process: subprocess.Popen | None = None
        self.days_on = 0.0  # how far move_clock has moved the server's clock

    def now(self) -> datetime:
        """Now where the served clinic is, by the server's clock (moved on by move_clock)."""
        return clinic_now() + timedelta(days=self.days_on)

    def send_mail_to(self, port: int, clinic_email: str) -> LiveServer:
        """Send the server's email to the SMTP server on this loopback port (plain, no sign-in), a delivery round
        every second, with the clinic's notification address `clinic_email`. Before start or serve."""
        self.env.update(
            SCREENING_MAIL_SERVER="127.0.0.1",
            SCREENING_MAIL_PORT=str(port),
            SCREENING_MAIL_SECURITY="none",
            SCREENING_MAIL_INTERVAL="1",
            SCREENING_CLINIC_EMAIL=clinic_email,
        )
        return self

    def move_clock(self, days: float) -> LiveServer:
        """Stop the server and serve the same instance again with its clock `days` further on (and the CLI's), as a
        clinic's days pass between a treatment and its check-in or recall: tools/clock_shift moves every Python
        clock of the processes started from here, on top of any shift the suite itself runs under (make
        test-later). The server's jobs run a round as it starts, so what has come due goes out at once."""
        self.stop()
        self.days_on += days
        suite_shift = float(os.environ.get("CLOCK_SHIFT_DAYS", "0") or 0)
        self.env["CLOCK_SHIFT_DAYS"] = str(suite_shift + self.days_on)
        paths = [part for part in self.env.get("PYTHONPATH", "").split(os.pathsep) if part]
        self.env["PYTHONPATH"] = os.pathsep.join([str(CLOCK_SHIFT), *paths])
        return self.serve()

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(BIN / "screening"), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"screening {' '.join(args)}: {done.stderr}")
        return done.stdout

    def publish_slots(self, days_ahead: int = 2) -> None:
        day = (self.now().date() + timedelta(days=days_ahead)).isoformat()
        self.cli(
            "slots",
            "add",
            "--start",
            f"{day}T09:00",
            "--end",
            f"{day}T17:00",
            "--every",
            "30m",
            "--practitioner",
            "Dr Ada",
        )

    def start(self) -> LiveServer:
        self.cli("init", "--instance", str(self.folder))
        self.cli(
            "clinician", "add", ADMIN_EMAIL, "--name", "Dr Ada", "--role", "admin", stdin=ADMIN_GIVEN_PASSWORD + "\n"
        )
        self.publish_slots()
        self.serve()
        self.first_sign_in(ADMIN_EMAIL, ADMIN_GIVEN_PASSWORD, ADMIN_PASSWORD)
        return self

    def first_sign_in(self, email: str, given: str, own: str) -> None:
        """Sign in through the real pages with the password the CLI was given and choose `own` on the page that
        asks for it (an account made by the CLI must), so the tests then sign in with `own` as any clinician does.
        Plain HTTP with the cookies kept by hand: http.cookiejar never sends the __Host- cookie over http."""
        cookies: dict[str, str] = {}

        def call(method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
            headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
            body = None
            if form is not None:
                body = urlencode(form)
                headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.url}
            with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)) as connection:
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.split(";", 1)[0].partition("=")
                    cookies[key.strip()] = rest
            return response.status, response.getheader("Location") or "", text

        def token(text: str) -> str:
            return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)

        _, _, login = call("GET", "/clinician/login")
        status, to, _ = call(
            "POST", "/clinician/login", {"email": email, "password": given, "csrf_token": token(login)}
        )
        if status != 303 or not to.endswith("/clinician/account/choose-password"):
            raise RuntimeError(f"first sign-in of {email}: {status} to {to!r}")
        _, _, page = call("GET", "/clinician/account/choose-password")
        status, to, _ = call(
            "POST", "/clinician/account/choose-password", {"new": own, "again": own, "csrf_token": token(page)}
        )
        if status != 303 or not to.endswith("/clinician/queue"):
            raise RuntimeError(f"choosing the password of {email}: {status} to {to!r}")

    def serve(self):
        """Serve the instance folder as it is with waitress (as `make run` does) and wait for /healthz."""
        self.process = subprocess.Popen(
            [
                str(BIN / "waitress-serve"),
                f"--listen=127.0.0.1:{self.port}",
                "--threads=8",
                "--call",
                "screening:create_app",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)) as connection:
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer /healthz within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
