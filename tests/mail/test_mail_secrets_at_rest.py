"""No usable secret at rest. A copy of the instance folder (database, WAL, outbox files) opens nobody's
private page: queued messages hold references rendered at delivery, and bodies are blanked once sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_helpers import invoke
from tests.factories import DETAILS, REVIEW_TOXIN, db_connection, deliver, publish
from tests.journeys import book, decide, post_step, start, submit_through_form, token_of
from tests.mail.mail_helpers import ask_for_link, emailed_link, text_of
from tests.pages import location, post_form

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

PUBLIC = "https://screening.clinic.example"
LINK = re.compile(r"/(?:r|returning)/([A-Za-z0-9_-]{16,})")


def everything_at_rest(instance: Path, database: str) -> str:
    """Every row of every table, and every byte of every file in the instance folder, as one text."""
    parts = []
    with db_connection(database) as db:
        for table in db.table_names():
            parts += [repr(row) for row in db.query(f"SELECT * FROM [{table}]")]  # noqa: S608 - names from the db
    for path in instance.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def no_link_opens_a_page(app, text: str) -> None:
    client = app.test_client()
    for found in LINK.finditer(text):
        opened = client.get(found.group(0))
        assert opened.status_code in (404, 410) or "your-result" not in opened.headers.get("Location", ""), found


def test_a_copy_of_the_instance_folder_holds_no_private_link(app, smtp, tmp_path):
    _, inbox = smtp
    database = app.config["DATABASE"]
    submit_through_form(app, **REVIEW_TOXIN)  # the patient's link, and the clinic's notice
    ask_for_link(app.test_client(), DETAILS["email"])  # a one-time return link

    queued = everything_at_rest(tmp_path, database)
    no_link_opens_a_page(app, queued)
    with db_connection(database) as db:
        bodies = [row["body"] for row in db.query("SELECT body FROM outbox")]
    assert len(bodies) == 3 and not any("/r/" in body for body in bodies)

    assert deliver(app) == {"sent": 3, "failed": 0}

    patient = [m for m in inbox.to(DETAILS["email"]) if "reached" in m["Subject"]][0].get_content()
    private = re.search(r"/r/([A-Za-z0-9_-]+)", patient).group(1)
    returning = emailed_link(inbox).rsplit("/", 1)[1]
    at_rest = everything_at_rest(tmp_path, database)
    assert private not in at_rest and returning not in at_rest
    assert list(tmp_path.rglob("*.eml")) == []  # a mail server is configured: no copies on disk
    with db_connection(database) as db:
        assert [row["body"] for row in db.query("SELECT body FROM outbox")] == ["", "", ""]
    no_link_opens_a_page(app, at_rest)
    # and the links delivered do work
    assert app.test_client().get(f"/r/{private}").headers["Location"].endswith("/your-result")
    assert app.test_client().get(f"/returning/{returning}").status_code == 303


EVERY_LINK = re.compile(r"https?://[^/\s]+(/\S*)")
ONE_TIME = re.compile(r"/(?:r|returning|continue|clinician/reset)/([^\s/]+)")
PATIENT_KINDS = {"submitted", "decision", "booked", "cancelled", "return_link"}


def test_no_queued_email_of_any_kind_holds_a_working_link(app, smtp, tmp_path, clock, auth):
    """Every flow that queues mail, then every outbox row read back: no link in any of them opens a page without
    signing in, and the links delivered afterwards (which do work) were nowhere at rest."""
    _, inbox = smtp
    database = app.config["DATABASE"]
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)  # the patient's link; the clinic's notice
    ask_for_link(app.test_client(), DETAILS["email"])  # a one-time return link
    saving = app.test_client()  # a one-time link to finish a saved screening later
    assert start(saving).status_code == 303
    assert location(post_step(saving, "about-you", {}, extra={"later": "1"})) == "/save-for-later"
    assert post_form(saving, "/save-for-later", {"email": "sam@example.org"}).status_code == 303
    admin = auth.admin()
    assert decide(admin, submission_id, action="approve", treatments=["toxin"]).status_code == 303
    slots = publish(Path(database), 2, now=clock.now())
    assert book(patient, slots[0]).status_code == 303  # the patient's confirmation; the clinic's notice
    assert patient.post("/your-result/cancel", data={"csrf_token": token_of(patient)}).status_code == 303
    assert book(patient, slots[1]).status_code == 303
    withdrawn = post_form(admin, f"/clinician/admin/slots/{slots[1]}/withdraw", {"reason": "The room flooded."})
    assert withdrawn.status_code == 303  # the patient's "we're sorry", the clinic's notice
    bo = auth.account("bo@clinic.example", name="Bo")
    reset = admin.post(f"/clinician/admin/clinicians/{bo}/reset", data={"csrf_token": token_of(admin)})
    assert reset.status_code == 303  # a clinician's one-time reset link

    with db_connection(database) as db:
        queued = list(db.query("SELECT * FROM outbox"))
    assert {row["kind"] for row in queued} >= PATIENT_KINDS | {"review_needed", "password_reset", "clinic_booked"}
    stranger = app.test_client()
    for row in queued:
        for found in EVERY_LINK.finditer(row["body"]):
            opened = stranger.get(found.group(1))
            assert opened.status_code in (302, 303, 404, 410), (row["kind"], found.group(0), opened.status_code)
            assert "your-result" not in opened.headers.get("Location", ""), (row["kind"], found.group(0))
    # Each patient's email names the screening it is about; the clinic's and clinicians' mail names none.
    assert all(row["submission_id"] == submission_id for row in queued if row["kind"] in PATIENT_KINDS)
    assert all(row["submission_id"] is None for row in queued if row["kind"] not in PATIENT_KINDS)
    (tmp_path / "backups").mkdir()
    backup = invoke(app.test_cli_runner(), "backup", str(tmp_path / "backups" / "today.sqlite3"))
    assert backup.returncode == 0, backup.stderr
    at_rest = everything_at_rest(tmp_path, database)  # the instance folder, and the backup in it
    assert (tmp_path / "backups" / "today.sqlite3").stat().st_size > 0

    assert deliver(app)["failed"] == 0
    delivered = [ONE_TIME.search(text_of(m)) for m in inbox.messages]
    links_sent = [found for found in delivered if found]
    one_time_kinds = PATIENT_KINDS | {"password_reset", "resume_link"}
    assert len(links_sent) == len([row for row in queued if row["kind"] in one_time_kinds])
    assert [found.group(0) for found in links_sent if found.group(1) in at_rest] == []
    (reset_link,) = [found.group(0) for found in links_sent if found.group(0).startswith("/clinician/reset/")]
    assert stranger.get(reset_link).status_code == 200  # the link as delivered works
