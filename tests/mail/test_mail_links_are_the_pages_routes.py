"""The pages emails link to are named once, in mail/links.py, and each is the app's own route: a page that moves
breaks this test, not the links in the clinic's emails."""

from __future__ import annotations

import pytest
from flask import url_for

from screening.mail import links


@pytest.mark.parametrize(
    ("path", "endpoint", "values"),
    [
        (links.PRIVATE_LINK_PATH, "patient.private_link", {"token": "abc"}),
        (links.RETURN_LINK_PATH, "patient.use_return_link", {"token": "abc"}),
        (links.RESUME_LINK_PATH, "patient.open_resume_link", {"token": "abc"}),
        (links.RESET_LINK_PATH, "account.reset", {"token": "abc"}),
        (links.STOP_REMINDERS_PATH, "patient.stop_reminders", {"token": "12.abc"}),
        (links.SUBMISSION_PATH, "clinician.submission", {"submission_id": 12}),
        (links.DIARY_PATH, "clinician.diary_page", {}),
    ],
)
def test_each_emailed_path_is_the_route_of_its_page(app, path, endpoint, values):
    with app.test_request_context():
        assert path.format(**values) == url_for(endpoint, **values)


def test_a_reset_email_links_to_the_reset_page_of_the_clinics_public_address():
    from screening import mail

    config = {"PUBLIC_URL": "https://screening.clinic.example/"}
    nonce = links.new_reset_nonce()
    message = mail.password_reset(config, "bo@example.org", nonce)
    token = links.reset_token("k" * 40, nonce)
    assert token not in message.body  # at rest: a reference to the token, not the link
    sent = links.render(message.body, secret_key="k" * 40, public_url=config["PUBLIC_URL"])
    assert f"https://screening.clinic.example/clinician/reset/{token}\n" in sent


def test_a_recall_holds_references_at_rest_and_its_stop_link_is_signed_for_its_screening():
    from screening import mail

    config = {"PUBLIC_URL": "https://screening.clinic.example/", "CLINIC_NAME": "Our clinic"}
    nonce = links.new_return_nonce()
    message = mail.recall(config, "jo@example.org", nonce, submission_id=7, treatment="toxin", valid_days=30)
    token, stop = links.return_token("k" * 40, nonce), links.stop_reminders_token("k" * 40, 7)
    assert token not in message.body and stop not in message.body  # references at rest, not links
    sent = links.render(message.body, secret_key="k" * 40, public_url=config["PUBLIC_URL"])
    assert f"https://screening.clinic.example/returning/{token}\n" in sent
    assert f"https://screening.clinic.example/reminders/stop/{stop}\n" in sent
    assert links.stop_reminders_submission("k" * 40, stop) == 7
    assert links.stop_reminders_submission("k" * 40, "8" + stop[1:]) is None  # another screening's id, same MAC
    assert links.stop_reminders_submission("other-key" * 5, stop) is None
