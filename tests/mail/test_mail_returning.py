"""Screening again: a one-time link sent by email, a new screening pre-filled from the last, what changed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import (
    BASELINE_DOB,
    DETAILS,
    answers_by_step,
    deliver,
    rows,
)
from tests.journeys import submit_through_form, walk
from tests.mail.mail_helpers import ask_for_link, assert_nothing_clinical, emailed_link
from tests.pages import csrf_token, page_text, shown_after

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)

PATIENT = DETAILS["email"]


def test_returning_patient_confirms_by_email_and_starts_from_last_answers(app, smtp, db_path, auth):
    _, inbox = smtp
    _, first = submit_through_form(app, "toxin", upcoming_event="yes")
    deliver(app)
    browser = app.test_client()

    asked = ask_for_link(browser, PATIENT.upper())  # the email matches whatever its case

    assert asked.status_code == 303  # to a GET, so Back and Reload send nothing again
    asked = browser.get(asked.headers["Location"])
    assert asked.status_code == 200 and "Check your email" in page_text(asked)
    deliver(app)
    link = emailed_link(inbox)
    assert_nothing_clinical(app, [m for m in inbox.to(PATIENT) if "again" in m["Subject"]][0])
    opened = browser.get(link)
    assert opened.status_code == 303 and opened.headers["Location"] == "/questions/about-you"
    step_one = browser.get("/questions/about-you")
    assert 'value="toxin" checked' in step_one.get_data(as_text=True)  # pre-filled from last time
    assert "filled in your answers from last time" in page_text(step_one)

    result = walk(browser, answers_by_step("toxin", upcoming_event="no"), from_path="/questions/about-you")

    assert result.status_code == 200
    new = rows(db_path, "SELECT id, kind, previous_id, outcome FROM submission WHERE id != ?", [first])[0]
    assert (new["kind"], new["previous_id"], new["outcome"]) == ("rescreen", first, "clear")
    assert rows(db_path, "SELECT superseded_by FROM submission WHERE id = ?", [first])[0]["superseded_by"] is None
    shown = page_text(auth.admin().get(f"/clinician/submissions/{new['id']}"))
    assert f"Screened again: what changed since screening {first}" in shown
    assert "Do you have an important event in the next 2 weeks" in shown
    assert "Rules that went away: upcoming_event" in shown


def test_unknown_details_get_the_same_answer_and_no_email(app, smtp):
    _, inbox = smtp
    submit_through_form(app, "toxin")
    deliver(app)
    before = len(inbox.messages)

    first, second = app.test_client(), app.test_client()
    wrong_email = shown_after(first, ask_for_link(first, "someone.else@example.org"))
    wrong_birthday = shown_after(second, ask_for_link(second, PATIENT, BASELINE_DOB - timedelta(days=1)))
    deliver(app)

    assert page_text(wrong_email) == page_text(wrong_birthday)
    assert "Check your email" in page_text(wrong_email)
    assert len(inbox.messages) == before


def test_the_link_works_once_and_not_after_an_hour(app, smtp, clock):
    _, inbox = smtp
    submit_through_form(app, "toxin")
    ask_for_link(app.test_client())
    deliver(app)
    link = emailed_link(inbox)

    assert app.test_client().get(link).status_code == 303
    again = app.test_client().get(link)
    assert again.status_code == 404 and "This link no longer works" in page_text(again)

    ask_for_link(app.test_client())
    deliver(app)
    second = [m for m in inbox.to(PATIENT) if "again" in m["Subject"]][-1]
    late_link = re.search(r"(/returning/\S+)", second.get_content()).group(1)
    clock.set(clock() + timedelta(minutes=61))
    assert app.test_client().get(late_link).status_code == 404


def test_asking_for_links_is_rate_limited(app, smtp):
    browser = app.test_client()
    statuses = [ask_for_link(browser, f"n{n}@example.org").status_code for n in range(6)]

    assert statuses == [303] * 5 + [429]  # each answered by a redirect to "check your email"


def test_a_missing_date_of_birth_is_a_field_error(app, smtp):
    browser = app.test_client()
    page = browser.get("/returning")
    response = browser.post("/returning", data={"csrf_token": csrf_token(page), "email": PATIENT})

    response = shown_after(browser, response)  # post/redirect/get
    assert "Enter your date of birth" in page_text(response)


def test_the_emailed_link_also_gives_the_private_page_back_to_a_new_browser(app, smtp):
    _, inbox = smtp
    submit_through_form(app, "toxin")
    ask_for_link(app.test_client())
    deliver(app)

    (message,) = [m for m in inbox.to(PATIENT) if "again" in m["Subject"]]
    private = re.search(r"https://screening\.clinic\.example(/r/\S+)", message.get_content()).group(1)
    new_browser = app.test_client()
    opened = new_browser.get(private)
    assert opened.status_code == 303 and opened.headers["Location"] == "/your-result"
    assert "You can book a consultation" in page_text(new_browser.get("/your-result"))
    assert_nothing_clinical(app, message)
