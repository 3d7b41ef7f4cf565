"""A server killed mid-submission loses nothing it acknowledged.

The real product (waitress, as `make run` serves it, on a loopback port) is filled in by several patients at once
through its pages with JavaScript off; the process is killed with SIGKILL while they are sending answers. Every
submission whose POST was answered with the redirect to the result page must then be in the database, whole, and the
database must pass SQLite's integrity check and serve again. Draft saves commit with synchronous=NORMAL and submissions
with FULL: a killed process (unlike a power cut) may lose neither.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.factories import BASELINE_DOB, baseline_answers

BIN = Path(sys.executable).parent
PATIENTS = 6
KILL_AFTER_SUBMISSIONS = 8  # kill once this many are acknowledged, so some are surely in flight
DEADLINE = 90  # seconds: the whole test stops by itself


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Form(HTMLParser):
    """The first POST form of a page: its action and its fields (name, type, value)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.action, self.fields, self._inside, self._seen = "", [], False, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form" and attributes.get("method", "").lower() == "post" and not self._seen:
            self._inside, self._seen, self.action = True, True, attributes.get("action", "")
        elif self._inside and tag in ("input", "textarea") and attributes.get("name"):
            self.fields.append((attributes["name"], attributes.get("type", tag), attributes.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def clear_answers() -> dict[str, object]:
    """The shared baseline patient (a date of birth as the form's three boxes hold it), her details and declaration."""
    return {
        **baseline_answers("toxin", date_of_birth=BASELINE_DOB),
        "full_name": "Jane Example",
        "email": "jane@example.org",
        "signature": "Jane Example",
        "confirm": "y",
    }


def fill(form: Form, answers: dict[str, object]) -> list[tuple[str, str]]:
    names = {name for name, _, _ in form.fields}
    data = [(name, value) for name, kind, value in form.fields if kind == "hidden"]
    for name, value in answers.items():
        if isinstance(value, date):
            data += [
                (f"{name}-{p}", str(getattr(value, p))) for p in ("day", "month", "year") if f"{name}-{p}" in names
            ]
        elif name in names:
            data += [(name, item) for item in value] if isinstance(value, list) else [(name, str(value))]
    return data


class Patient:
    """One browser without JavaScript: a keep-alive connection and the session cookie (Secure, kept by hand)."""

    def __init__(self, port: int):
        self.port, self.cookies, self.connection = port, {}, None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def request(self, method: str, path: str, body: list[tuple[str, str]] | None = None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        encoded = urlencode(body or []) if method == "POST" else None
        if encoded is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=encoded, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, response.getheader("Location") or "", text

    def screening(self, answers: dict[str, object], acknowledged: list[str]) -> None:
        """Start, answer every step, sign and send; record the submission key once the send is acknowledged."""
        start = Form(self.request("GET", "/")[2])
        status, location, _ = self.request("POST", start.action or "/start", fill(start, {}))
        assert status == 303, status
        path = urlsplit(location).path
        for _ in range(20):
            status, _, page = self.request("GET", path)
            assert status == 200, (path, status)
            form = Form(page)
            data = fill(form, answers)
            status, location, _ = self.request("POST", form.action or path, data)
            assert status == 303, (path, status)
            if path == "/check-your-answers":
                assert urlsplit(location).path == "/your-result"
                acknowledged.append(dict(data)["submission_key"])  # the patient was told: it must be on disk
                return
            path = urlsplit(location).path


def start_server(instance: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    env.update(SCREENING_INSTANCE_PATH=str(instance), SCREENING_RATELIMIT_ENABLED="false")
    server = subprocess.Popen(
        [str(BIN / "waitress-serve"), f"--listen=127.0.0.1:{port}", "--threads=8", "--call", "screening:create_app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):  # bounded: up to 10 s to come up
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_server_killed_mid_submission_keeps_every_acknowledged_submission(tmp_path):
    instance = tmp_path / "instance"
    subprocess.run([str(BIN / "screening"), "init", "--instance", str(instance)], check=True, capture_output=True)
    port = free_port()
    server = start_server(instance, port)
    acknowledged: list[str] = []
    stop_at = time.monotonic() + DEADLINE
    answers = clear_answers()

    failures: list[str] = []
    killed = threading.Event()

    def patient_loop():
        patient = Patient(port)
        try:
            while time.monotonic() < stop_at and not killed.is_set():
                patient.screening(answers, acknowledged)
        except (OSError, http.client.HTTPException):
            pass  # the server died under us: what was not acknowledged may be lost
        except AssertionError as failure:
            if not killed.is_set():
                failures.append(str(failure))  # a page misbehaved before the kill: that is a failure
        finally:
            patient.close()

    threads = [threading.Thread(target=patient_loop, daemon=True) for _ in range(PATIENTS)]
    for thread in threads:
        thread.start()
    try:
        while len(acknowledged) < KILL_AFTER_SUBMISSIONS and time.monotonic() < stop_at:
            time.sleep(0.02)
        killed.set()
        os.kill(server.pid, signal.SIGKILL)  # no shutdown, no checkpoint, no goodbye
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    for thread in threads:
        thread.join(timeout=15)
    told = list(acknowledged)
    assert not failures, failures
    assert len(told) >= KILL_AFTER_SUBMISSIONS

    with sqlite3.connect(instance / "screening.sqlite3") as db:  # recovers the WAL, as the next server would
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {
            key: rules
            for key, rules in db.execute(
                "SELECT submission_key, (SELECT count(*) FROM submission_rule WHERE submission_id = submission.id)"
                " FROM submission"
            )
        }
        audited = db.execute("SELECT count(*) FROM audit_event WHERE action = 'submission_created'").fetchone()[0]
    assert set(told) <= set(stored), f"acknowledged but lost: {set(told) - set(stored)}"
    assert audited == len(stored)  # each stored submission has its audit row: one transaction, all or nothing
    assert all(count == 0 for count in stored.values())  # a clear patient fires no rule; the rows agree

    restarted = start_server(instance, port)
    check = Patient(port)
    try:
        status, _, body = check.request("GET", "/healthz")
        assert status == 200 and "ok" in body
    finally:
        check.close()
        restarted.terminate()
        restarted.wait(timeout=10)
