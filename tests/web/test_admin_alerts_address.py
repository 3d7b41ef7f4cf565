"""The clinic's alerts go to its notification address, never to the address patients write to, and the settings page
says which alerts go there. Delivered through a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from tests.factories import REVIEW_TOXIN, deliver
from tests.journeys import submit_through_form
from tests.pages import page_text, post_form

SETTINGS = "/clinician/admin/settings"
HARBOUR = {
    "name": "Harbour Clinic",
    "address": "1 Quay Street, Bristol BS1 1AA",
    "phone": "0117 000 0000",
    "email": "hello@harbour.example",
    "contact": "Please phone Harbour Clinic on 0117 000 0000.",
    "notification_email": "diary@harbour.example",
    "notify_bookings": "y",
}


@pytest.mark.mail_server
def test_a_screening_waiting_for_review_is_told_to_the_notification_address(app, auth, smtp):
    _, inbox = smtp
    assert post_form(auth.admin(), SETTINGS, HARBOUR).status_code == 303

    submit_through_form(
        app,
        details={"full_name": "Mary Seacole", "email": "mary@example.org", "phone": "07700 900 123"},
        **REVIEW_TOXIN,
    )
    assert deliver(app)["sent"] == 2

    alerts = [m for m in inbox.messages if "waiting for review" in m["Subject"]]
    assert [m["To"] for m in alerts] == ["diary@harbour.example"]
    assert inbox.to("hello@harbour.example") == []
    assert [m["To"] for m in inbox.messages if "reached" in m["Subject"]] == ["mary@example.org"]


def test_the_settings_page_says_which_alerts_go_to_the_notification_address(auth):
    text = page_text(auth.admin().get(SETTINGS))

    assert "A screening is waiting for review" in text
    assert "Email address for patients" in text and "never gets the clinic's alerts" in text
