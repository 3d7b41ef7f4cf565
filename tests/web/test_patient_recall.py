"""Recall that rescreens: consent to reminders is asked for at booking (off unless ticked) and withdrawable; one
reminder per treatment given when its refresh is due (toxin at max(12 weeks, 90 days + 1), filler after the clinic's
months), never before, never twice; its link starts a new screening pre-filled from the last one; one click (and a
confirming button) stops it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from screening.services import recall
from tests.factories import (
    DETAILS,
    answers_by_step,
    approve,
    audit_rows,
    db_connection,
    give_treatment,
    outbox,
    publish_soon,
    rows,
)
from tests.journeys import submit_through_form, walk
from tests.pages import csrf_token, location, page_text

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GIVEN = START + timedelta(days=3)  # Thursday 5 March 2026, 9:00 (London is on UTC then)


def booked(app, db_path, clock, treatment: str = "toxin", *, reminders: bool) -> tuple:
    """A patient screened through the real form and booked, ticking the reminders box or not; (browser, id)."""
    clock.set(START)
    slot = publish_soon(db_path, 1, now=clock.now())[0]
    patient, submission_id = submit_through_form(app, treatment)
    if (
        rows(db_path, "SELECT review_state FROM submission WHERE id = ?", [submission_id])[0]["review_state"]
        == "pending"
    ):
        approve(db_path, submission_id)
    confirm = patient.get(f"/your-result/book?slot={slot}")
    assert confirm.status_code == 200
    data = {"slot": str(slot), "csrf_token": csrf_token(confirm)} | ({"reminders": "y"} if reminders else {})
    assert patient.post("/your-result/book", data=data).status_code == 303
    return patient, submission_id


def reminders_at(db_path, submission_id: int):
    return rows(db_path, "SELECT reminders_at FROM submission WHERE id = ?", [submission_id])[0]["reminders_at"]


def round_at(app, clock, moment: datetime) -> int:
    clock.set(moment)
    with db_connection(app.config["DATABASE"]) as db:
        return recall.send_due(db, app.config)


def link_in(body: str, path: str) -> str:
    return re.search(rf"https?://[^/\s]+({path}/\S+)", body).group(1)


def test_the_reminders_box_is_unticked_and_booking_without_it_asks_for_nothing(app, db_path, clock):
    clock.set(START)
    slot = publish_soon(db_path, 1, now=clock.now())[0]
    patient, submission_id = submit_through_form(app, "toxin")
    confirm = patient.get(f"/your-result/book?slot={slot}")
    box = re.search(r'<input[^>]*name="reminders"[^>]*>', confirm.get_data(as_text=True)).group(0)
    assert "checked" not in box

    patient.post("/your-result/book", data={"slot": str(slot), "csrf_token": csrf_token(confirm)})

    assert rows(db_path, "SELECT count(*) AS n FROM booking")[0]["n"] == 1
    assert reminders_at(db_path, submission_id) is None
    assert "We will not email you reminders" in page_text(patient.get("/your-result"))


def test_a_toxin_recall_is_never_early_comes_once_and_its_link_rescreens(app, db_path, clock):
    patient, submission_id = booked(app, db_path, clock, reminders=True)
    assert reminders_at(db_path, submission_id) is not None
    assert len(audit_rows(db_path, "reminders_agreed")) == 1
    clock.set(GIVEN)
    give_treatment(db_path, clock, submission_id)

    assert round_at(app, clock, GIVEN + timedelta(weeks=11)) == 0
    assert round_at(app, clock, GIVEN + timedelta(weeks=12)) == 0  # 84 days: the 90-day rule would still defer
    assert round_at(app, clock, GIVEN + timedelta(days=90)) == 0
    assert outbox(db_path, "recall") == []
    assert round_at(app, clock, GIVEN + timedelta(days=91)) == 1
    assert round_at(app, clock, GIVEN + timedelta(days=120)) == 0  # never a second

    (sent,) = outbox(db_path, "recall")
    (at_rest,) = rows(db_path, "SELECT body FROM outbox WHERE kind = 'recall'")
    assert "⟨return-token:" in at_rest["body"] and "⟨stop-reminders:" in at_rest["body"]  # references, not links
    assert not re.search(r"/(returning|reminders/stop)/[A-Za-z0-9_.-]{16,}", at_rest["body"])
    assert sent["to_addr"] == DETAILS["email"] and sent["submission_id"] == submission_id
    assert "anti-wrinkle injections" in sent["body"]
    assert rows(db_path, "SELECT outcome FROM recall")[0]["outcome"] == "sent"
    assert len(audit_rows(db_path, "recall_sent")) == 1

    fresh = app.test_client()  # the link works in any browser, and once
    opened = fresh.get(link_in(sent["body"], "/returning"))
    assert opened.status_code == 303
    first_step = fresh.get(location(opened))
    assert "We have filled in your answers from last time" in page_text(first_step)
    result = walk(fresh, answers_by_step("toxin"), from_path=location(opened))
    assert result.status_code == 200
    latest = rows(db_path, "SELECT kind, previous_id, outcome FROM submission ORDER BY id DESC LIMIT 1")[0]
    assert latest == {"kind": "rescreen", "previous_id": submission_id, "outcome": "clear"}


def test_without_consent_nothing_is_sent_and_the_treatment_is_settled(app, db_path, clock):
    _, submission_id = booked(app, db_path, clock, reminders=False)
    clock.set(GIVEN)
    give_treatment(db_path, clock, submission_id)

    assert round_at(app, clock, GIVEN + timedelta(days=200)) == 0
    assert outbox(db_path, "recall") == []
    assert rows(db_path, "SELECT outcome FROM recall") == [{"outcome": "no_consent"}]


def test_the_one_click_link_asks_first_then_stops_reminders(app, db_path, clock):
    _, submission_id = booked(app, db_path, clock, reminders=True)
    clock.set(GIVEN)
    give_treatment(db_path, clock, submission_id)
    assert round_at(app, clock, GIVEN + timedelta(days=91)) == 1
    stop = link_in(outbox(db_path, "recall")[0]["body"], "/reminders/stop")
    browser = app.test_client()

    asked = browser.get(stop)
    assert asked.status_code == 200 and "Stop reminders" in page_text(asked)
    assert reminders_at(db_path, submission_id) is not None  # a GET (a mail scanner) changes nothing
    refused = browser.post(stop, data={})  # no CSRF token
    assert refused.status_code == 400 and reminders_at(db_path, submission_id) is not None
    done = browser.post(stop, data={"csrf_token": csrf_token(asked)})

    assert done.status_code == 303 and "Reminders stopped" in page_text(browser.get(location(done)))
    assert reminders_at(db_path, submission_id) is None
    assert len(audit_rows(db_path, "reminders_withdrawn")) == 1
    assert browser.get(stop[:-3] + "abc").status_code == 404  # a link not signed here
    assert browser.get("/reminders/stop/nonsense").status_code == 404


def test_stopped_reminders_stop_the_next_treatments_recall(app, db_path, clock):
    patient, submission_id = booked(app, db_path, clock, reminders=True)
    assert "Stop reminders" in page_text(patient.get("/your-result"))
    stopped = patient.post("/your-result/reminders/stop", data={"csrf_token": csrf_token(patient.get("/your-result"))})
    assert stopped.status_code == 303 and reminders_at(db_path, submission_id) is None
    clock.set(GIVEN)
    give_treatment(db_path, clock, submission_id)

    assert round_at(app, clock, GIVEN + timedelta(days=91)) == 0
    assert outbox(db_path, "recall") == []


def test_the_filler_recall_follows_the_clinics_setting(app, db_path, clock, auth):
    admin = auth.admin()
    page = admin.get("/clinician/admin/settings")
    assert 'value="9"' in page.get_data(as_text=True)  # the default
    fields = {"name": "Our clinic", "contact": "Phone us", "cooling_off_hours": "48", "filler_recall_months": "x"}
    refused = admin.post("/clinician/admin/settings", data={**fields, "csrf_token": csrf_token(page)})
    assert refused.status_code == 400 and "whole number of months from 1 to 36" in page_text(refused)
    fields["filler_recall_months"] = "6"
    assert admin.post("/clinician/admin/settings", data={**fields, "csrf_token": csrf_token(page)}).status_code == 303

    _, submission_id = booked(app, db_path, clock, "filler", reminders=True)
    clock.set(GIVEN)
    give_treatment(db_path, clock, submission_id, "filler")

    assert round_at(app, clock, datetime(2026, 9, 4, 12, 0, tzinfo=UTC)) == 0  # a day short of 6 months
    assert round_at(app, clock, datetime(2026, 9, 5, 8, 0, tzinfo=UTC)) == 1  # 5 September, 9:00 in London
    assert "dermal filler" in outbox(db_path, "recall")[0]["body"]
