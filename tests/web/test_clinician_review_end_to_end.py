"""The clinician review's acceptance, end to end, and the sign-in limit under the server `make run` starts."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

from screening.app import create_app
from tests.cli_helpers import invoke, script_env
from tests.factories import REVIEW_TOXIN, audit_rows
from tests.journeys import first_sign_in, submit_through_form, token_of
from tests.pages import tree

ADMIN = "ada@clinic.example"
PASSWORD = "plum tractor 41 lantern"
OWN_PASSWORD = "velvet compass 27 meadow"


def test_admin_from_cli_reviews_and_approves_a_form_submission_and_the_trail_is_whole(runner, tmp_path):
    instance = tmp_path  # the folder of the test's app, which the CLI runner runs on
    assert invoke(runner, "init", "--instance", str(instance)).returncode == 0
    added = invoke(runner, "clinician", "add", ADMIN, "--name", "Dr Ada", "--role", "admin", input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    app = create_app(
        {
            "SECRET_KEY": "k" * 40,
            "DATABASE": str(instance / "screening.sqlite3"),
            "INSTANCE_PATH": str(instance),
            "TESTING": True,
        }
    )
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)

    admin = first_sign_in(app, ADMIN, PASSWORD, OWN_PASSWORD)  # the CLI's password is changed at first sign-in
    queue = admin.get("/clinician/queue")
    assert f'href="/clinician/submissions/{submission_id}"' in queue.text

    page = admin.get(f"/clinician/submissions/{submission_id}")
    assert page.status_code == 200
    rule = tree(page).by_id("rule-toxin_other_neuro")
    assert rule is not None
    assert "Peripheral neuromuscular disease or motor neuropathy" in rule.text()  # the rationale
    source_links = [a.attrs["href"] for a in rule.find_all("a") if a.attrs.get("href", "").startswith("http")]
    assert "https://www.nature.com/articles/s41415-022-4006-3" in source_links  # S20, one of the rule's sources
    highlighted = tree(page).by_id("answer-neuro_conditions")
    assert "answer--trigger" in highlighted.classes and "Multiple sclerosis (MS)" in highlighted.text()

    approved = admin.post(
        f"/clinician/submissions/{submission_id}/decision", data={"action": "approve", "csrf_token": token_of(admin)}
    )
    assert approved.status_code == 303

    trail = admin.get(f"/clinician/admin/audit?object_type=submission&object_id={submission_id}")
    assert "<td>Opened a screening</td>" in trail.text and "<td>Recorded a decision</td>" in trail.text
    database = instance / "screening.sqlite3"
    rows = audit_rows(database)
    assert [r["action"] for r in rows if (r["object_type"], r["object_id"]) == ("submission", str(submission_id))] == [
        "submission_created",
        "submission_viewed",
        "decision_recorded",
    ]
    verified = invoke(runner, "audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("the audit chain is whole")


def request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    """One HTTP request over loopback on its own connection, closed afterwards: (status, headers, text)."""
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30)) as connection:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sign_in_limit_holds_under_waitress_with_threads_against_concurrent_attempts(runner, tmp_path):
    """make run serves with waitress, one process, 8 threads: 12 simultaneous wrong passwords from one address
    must still have at most 5 passwords checked: the rest are refused at once (429 when the address is limited, 503
    when the account's one waiting place is taken)."""
    instance = tmp_path  # the folder of the test's app, which the CLI runner runs on
    assert invoke(runner, "init", "--instance", str(instance)).returncode == 0
    invoke(runner, "clinician", "add", ADMIN, "--name", "Dr Ada", input=PASSWORD + "\n")
    port = free_port()
    waitress = Path(sys.executable).parent / "waitress-serve"
    server = subprocess.Popen(
        [str(waitress), f"--listen=127.0.0.1:{port}", "--threads=8", "--call", "screening:create_app"],
        env=script_env(instance),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # up to ~20 s for the server to answer; bounded
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                threading.Event().wait(0.1)
        # One browser's cookie and token (the cookie is Secure; a browser sends it to 127.0.0.1, so do we).
        _, headers, page = request(port, "GET", "/clinician/login")
        cookie = headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        wrong = urlencode({"csrf_token": token, "email": ADMIN, "password": "not the password at all"})

        statuses: list[int] = []
        barrier = threading.Barrier(12)

        def attempt() -> None:
            barrier.wait()
            statuses.append(request(port, "POST", "/clinician/login", wrong, form)[0])

        threads = [threading.Thread(target=attempt) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(statuses) == 12
        refused_unchecked = statuses.count(429) + statuses.count(503)  # limited, or no waiting place for the account
        assert refused_unchecked >= 7, statuses
        assert set(statuses) <= {200, 429, 503}
        # Only checked failures count against the address: limited after five, the right password is refused; with
        # fewer checked (the rest found no waiting place), it still signs in.
        right = urlencode({"csrf_token": token, "email": ADMIN, "password": PASSWORD})
        status, headers, _ = request(port, "POST", "/clinician/login", right, form)
        checked = statuses.count(200)
        if checked >= 5:
            assert status == 429 and headers["Retry-After"]
        else:
            assert status == 303, (checked, status)
    finally:
        server.terminate()
        server.wait(timeout=10)
