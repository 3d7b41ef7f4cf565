"""A message that cannot be built (a line break in a header) is marked failed with its reason and the others are still
delivered; header settings with a line break are refused; the .ics escapes every line break; outbox files are
private to the server's user."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest

from screening import store
from screening.db import connect
from screening.mail.calendar import ics_event
from tests.factories import deliver, make_app, rows
from tests.pages import post_form, tree

pytestmark = pytest.mark.mail_server  # a real SMTP server on loopback (the smtp fixture)

SETTINGS = "/clinician/admin/settings"


def queue(db_path, *mails: store.Mail) -> None:
    db = connect(db_path)
    try:
        with db.conn:
            store.queue_mail(db, mails)
    finally:
        db.close()


def test_a_message_that_cannot_be_built_is_marked_failed_and_the_others_are_delivered(app, db_path, smtp, clock):
    _, inbox = smtp
    queue(
        db_path,
        store.Mail("submitted", "first@example.org", "Your health questions have reached us", "one"),
        store.Mail("decision", "second@example.org", "An update from Harbour\nBcc: someone@evil.example", "two"),
        store.Mail("review_needed", "desk@clinic.example", "A screening is waiting for review", "three"),
    )

    assert deliver(app) == {"sent": 2, "failed": 1}

    assert sorted(m["To"] for m in inbox.messages) == ["desk@clinic.example", "first@example.org"]
    (poison,) = rows(db_path, "SELECT * FROM outbox WHERE sent_at IS NULL")
    assert poison["to_addr"] == "second@example.org"
    assert poison["failed_at"] is not None
    assert "Subject" in poison["last_error"] and "line break" in poison["last_error"]
    assert "evil" not in poison["last_error"]  # the reason names the header, not what it holds

    clock.offset = timedelta(days=2)  # long past any retry
    assert deliver(app) == {"sent": 0, "failed": 0}  # not tried again: rebuilding it cannot work
    assert len(inbox.messages) == 2


def test_a_clinic_name_with_a_line_break_is_refused_on_the_settings_page(app, db_path, auth):
    boss = auth.admin()
    settings = {"name": "Harbour\r\nBcc: someone@evil.example", "contact": "Please phone us.", "notify_bookings": "y"}

    response = post_form(boss, SETTINGS, settings)

    assert response.status_code == 400
    assert "line break" in tree(response).by_id("name-error").text()
    assert rows(db_path, "SELECT count(*) AS n FROM clinic_setting")[0]["n"] == 0


@pytest.mark.parametrize("name", ["MAIL_FROM", "CLINIC_NAME", "CLINIC_EMAIL", "MAIL_SERVER"])
def test_a_header_setting_with_a_line_break_stops_the_start(tmp_path, name):
    from screening.app import ConfigurationError

    with pytest.raises(ConfigurationError, match=f"{name} must not contain a line break"):
        make_app(tmp_path, **{name: "screening@clinic.example\nBcc: someone@evil.example"})


def test_the_calendar_file_escapes_a_bare_carriage_return():
    ics = ics_event(
        uid="1@clinic.example",
        starts_at="2027-01-11T09:00:00Z",
        ends_at="2027-01-11T09:30:00Z",
        summary="Consultation",
        description="At the clinic",
        stamp="2027-01-01T00:00:00Z",
        location="1 Quay Street\rATTACH:https://evil.example/x\r\nATTACH:https://evil.example/y",
    )
    lines = ics.split("\r\n")
    assert not any(line.startswith("ATTACH") for line in lines)
    assert "\r" not in ics.replace("\r\n", "")
    assert "\n" not in ics.replace("\r\n", "")


def test_outbox_files_are_readable_only_by_the_server(tmp_path):
    offline = make_app(tmp_path)  # no MAIL_SERVER: messages are written to instance/outbox/
    queue(offline.config["DATABASE"], store.Mail("submitted", "first@example.org", "Your questions", "a link"))

    assert deliver(offline) == {"sent": 1, "failed": 0}

    (written,) = (tmp_path / "outbox").glob("*.eml")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
