"""No usable secret at rest. A copy of the instance folder (database, WAL, outbox files) opens nobody's
private page: queued messages hold references rendered at delivery, and bodies are blanked once sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import DETAILS, REVIEW_TOXIN, db_connection, deliver
from tests.journeys import submit_through_form
from tests.mail.mail_helpers import ask_for_link, emailed_link

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
