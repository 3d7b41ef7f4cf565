"""The mail the `screening` command sends: a header setting with a line break is refused with its name, and the links
in emails the command sends lead to the same address as the running server's, or the command refuses and says why."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from contextlib import closing
from email import message_from_bytes
from pathlib import Path

from screening import store
from screening.db import connect
from screening.mail import links
from tests.cli_helpers import run_cli, script_env

PROJECT = Path(__file__).resolve().parents[2]


def init(folder: Path, *config_lines: str) -> Path:
    done = run_cli(folder, "init", "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    if config_lines:
        with (folder / "config.py").open("a", encoding="utf-8") as config:
            config.write("\n" + "\n".join(config_lines) + "\n")
    return folder


def test_a_sender_address_with_a_line_break_stops_the_command_naming_the_setting(tmp_path):
    instance = init(tmp_path / "clinic", "MAIL_FROM = 'screening@clinic.example\\nBcc: someone@evil.example'")

    run = run_cli(instance, "mail", "send")

    assert run.returncode == 1
    assert "MAIL_FROM must not contain a line break" in run.stderr
    assert "evil" not in run.stderr and "Traceback" not in run.stderr


def served_once(instance: Path) -> int:
    """`make run` on a free port until it answers, then stopped: the server as a clinic starts it."""
    port = free_port()
    env = {k: v for k, v in script_env(instance).items() if not k.startswith("MAKE")}
    server = subprocess.Popen(
        ["make", "-s", "run", f"PORT={port}"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            assert time.monotonic() < deadline, "make run did not answer"
            time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return port


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


def queue_a_private_link(instance: Path) -> None:
    db = connect(instance / "screening.sqlite3")
    try:
        with db.conn:
            store.queue_mail(
                db, [store.Mail("cancelled", "jane@example.org", "Your appointment", links.private_link_ref("k" * 22))]
            )
    finally:
        db.close()


def sent_links(instance: Path) -> list[str]:
    found = []
    for path in sorted((instance / "outbox").glob("*.eml")):
        body = message_from_bytes(path.read_bytes()).get_payload(decode=True).decode()
        found += [word for word in body.split() if word.startswith("http")]
    return found


def test_mail_sent_by_the_command_links_to_where_the_server_listens(tmp_path):
    instance = init(tmp_path / "clinic")
    port = served_once(instance)
    queue_a_private_link(instance)

    run = run_cli(instance, "mail", "send")

    assert run.returncode == 0, run.stderr
    (link,) = sent_links(instance)
    assert link.startswith(f"http://127.0.0.1:{port}/r/")


def test_the_fhir_questionnaire_of_the_command_has_the_servers_canonical_url(tmp_path):
    instance = init(tmp_path / "clinic")
    port = served_once(instance)

    run = run_cli(instance, "fhir", "questionnaire")

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["url"].startswith(f"http://127.0.0.1:{port}/fhir/")


def test_with_no_public_url_chosen_and_no_server_run_the_command_refuses_to_send(tmp_path):
    instance = init(tmp_path / "clinic")
    queue_a_private_link(instance)

    run = run_cli(instance, "mail", "send")

    assert run.returncode == 1
    assert "PUBLIC_URL" in run.stderr and "Traceback" not in run.stderr
    assert not (instance / "outbox").exists()  # nothing was sent with a link that may lead nowhere


def test_a_public_url_chosen_in_the_config_is_used_by_the_command(tmp_path):
    instance = init(tmp_path / "clinic", "PUBLIC_URL = 'https://screening.clinic.example'")
    queue_a_private_link(instance)

    run = run_cli(instance, "mail", "send")

    assert run.returncode == 0, run.stderr
    (link,) = sent_links(instance)
    assert link.startswith("https://screening.clinic.example/r/")
