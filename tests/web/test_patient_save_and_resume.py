"""Save and finish later: from a question step the patient asks for a one-time link by email (a reference at rest),
and the link resumes the draft on any device after the date of birth in it, once, within DRAFT_LIFETIME."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from screening import store
from tests.factories import BASELINE_DOB, DETAILS, answers_by_step, audit_rows, drafts, outbox, rows
from tests.journeys import form_fields, post_step, start, walk
from tests.pages import csrf_token, location, page_text

PATIENT = DETAILS["email"]
STEPS = answers_by_step("toxin")
FIRST, SECOND, STEPS_AFTER_SECOND = "about-you", "pregnancy", "allergies"
CONTINUE_LINK = re.compile(r"https?://[^/\s]+(/continue/([A-Za-z0-9_-]+))")


def two_steps_answered(client) -> str:
    """Start, answer the first two steps; the path of the third."""
    assert start(client).status_code == 303
    path = f"/questions/{FIRST}"
    for slug in (FIRST, SECOND):
        assert path == f"/questions/{slug}", path
        sent = post_step(client, slug, STEPS[slug])
        assert sent.status_code == 303, page_text(sent)[:400]
        path = location(sent)
    return path


def save_for_later(client, slug: str, answers: dict, email: str = PATIENT, *, query: str = ""):
    """Press "Save and finish later" on a step with these answers, then ask for the link: the answer page."""
    pressed = post_step(client, slug, answers, query=query, extra={"later": "1"})
    assert pressed.status_code == 303 and location(pressed).startswith("/save-for-later"), pressed.status_code
    page = client.get(location(pressed))
    assert page.status_code == 200
    asked = client.post("/save-for-later", data={"csrf_token": csrf_token(page), "email": email})
    assert asked.status_code == 303 and location(asked) == "/save-for-later/sent"
    return client.get("/save-for-later/sent")


def saved_after_two_steps(app, email: str = PATIENT):
    """A patient who answered two steps and saved on the third (answering nothing there): (browser, page)."""
    patient = app.test_client()
    third = two_steps_answered(patient)
    return patient, save_for_later(patient, third.removeprefix("/questions/"), {}, email)


def emailed_link(db_path) -> str:
    """The path of the newest link to a saved screening, as the sender renders it."""
    return CONTINUE_LINK.search(outbox(db_path, "resume_link")[-1]["body"]).group(1)


def dob_fields(dob: date) -> dict:
    return form_fields({"date_of_birth": dob})


def open_link(client, path: str, dob: date | None = BASELINE_DOB):
    """Open the link and give a date of birth on the page it leads to: the answer to that POST."""
    opened = client.get(path)
    assert opened.status_code == 303 and location(opened) == "/continue", opened.status_code
    page = client.get("/continue")
    assert page.status_code == 200
    return client.post("/continue", data={"csrf_token": csrf_token(page), **(dob_fields(dob) if dob else {})})


# --------------------------------------------------------------------------------------------------------------------


def test_asking_for_the_link_queues_one_email_holding_a_reference_not_the_token(app, db_path):
    _, page = saved_after_two_steps(app)

    assert "If that address is right, a link is on its way" in page_text(page)
    (queued,) = rows(db_path, "SELECT * FROM outbox WHERE kind = 'resume_link'")
    assert queued["to_addr"] == PATIENT and queued["submission_id"] is None
    assert "⟨return-token:" in queued["body"] and "/continue/" in queued["body"]
    token = CONTINUE_LINK.search(outbox(db_path, "resume_link")[0]["body"]).group(2)
    assert token not in queued["body"]  # at rest: the nonce's reference; the token exists only when sent
    (link,) = rows(db_path, "SELECT * FROM resume_link")
    assert link["id"] == store.token_hash(token) and link["draft_id"] == drafts(db_path)[0]["id"]
    (audited,) = audit_rows(db_path, "resume_link_requested")
    assert json.loads(audited["detail"]) == {"matched": True}  # no address, no answer


def test_an_address_other_than_the_one_in_the_details_gets_the_same_page_and_no_email(app, db_path):
    patient = app.test_client()
    walk(patient, STEPS, stop_at="/check-your-answers")  # the details hold the patient's address now

    wrong = save_for_later(patient, FIRST, STEPS[FIRST], "someone.else@example.org")
    right = save_for_later(patient, FIRST, STEPS[FIRST], PATIENT.upper())

    assert page_text(wrong) == page_text(right)
    assert [row["to_addr"] for row in outbox(db_path, "resume_link")] == [PATIENT.upper()]
    assert [json.loads(row["detail"]) for row in audit_rows(db_path, "resume_link_requested")] == [
        {"matched": False},
        {"matched": True},
    ]


def test_the_link_resumes_on_a_second_client_after_the_date_of_birth(app, db_path):
    first, _ = saved_after_two_steps(app)
    second = app.test_client()  # another browser: no session

    resumed = open_link(second, emailed_link(db_path))

    assert resumed.status_code == 303
    landed = second.get(location(second.get(location(resumed))))
    assert landed.status_code == 200
    assert "Your answers are back" in page_text(landed)
    third = location(second.get("/resume"))
    assert third == f"/questions/{STEPS_AFTER_SECOND}"  # the first step not yet answered
    kept = second.get(f"/questions/{FIRST}").get_data(as_text=True)
    assert 'value="toxin" checked' in kept  # the answers came with it
    assert len(drafts(db_path)) == 1  # the same draft, moved to the new browser
    gone = first.get(f"/questions/{FIRST}")
    assert gone.status_code == 303 and "/?expired=1" in location(gone)  # the saving browser no longer holds it
    assert len(audit_rows(db_path, "resume_link_used")) == 1
    finished = walk(second, STEPS, from_path=third)
    assert finished.status_code == 200 and len(rows(db_path, "SELECT id FROM submission")) == 1
    assert rows(db_path, "SELECT * FROM resume_link") == []


def test_a_wrong_date_of_birth_is_refused_and_does_not_spend_the_link(app, db_path):
    saved_after_two_steps(app)
    browser = app.test_client()

    wrong = open_link(browser, emailed_link(db_path), BASELINE_DOB - timedelta(days=1))

    assert wrong.status_code == 400
    assert "does not match the one in your saved answers" in page_text(wrong)
    assert "4 tries left" in page_text(wrong)
    assert drafts(db_path)[0]["id"] == rows(db_path, "SELECT draft_id FROM resume_link")[0]["draft_id"]
    assert [row["outcome"] for row in audit_rows(db_path, "resume_link_refused")] == ["failure"]
    again = browser.post("/continue", data={"csrf_token": csrf_token(wrong), **dob_fields(BASELINE_DOB)})
    assert again.status_code == 303  # the right one still works


def test_a_missing_date_of_birth_is_a_field_error_and_counts_nothing(app, db_path):
    saved_after_two_steps(app)

    missing = open_link(app.test_client(), emailed_link(db_path), None)

    assert missing.status_code == 400 and "Enter your date of birth" in page_text(missing)
    assert rows(db_path, "SELECT wrong_tries FROM resume_link")[0]["wrong_tries"] == 0


def test_five_wrong_dates_of_birth_spend_the_link(app, db_path):
    saved_after_two_steps(app)
    path = emailed_link(db_path)
    browser = app.test_client()
    answer = open_link(browser, path, BASELINE_DOB - timedelta(days=1))
    for _ in range(4):
        answer = browser.post(
            "/continue", data={"csrf_token": csrf_token(answer), **dob_fields(BASELINE_DOB - timedelta(days=2))}
        )

    assert answer.status_code == 404
    assert "This link has expired: start again" in page_text(answer)
    assert "wrong too many times" in page_text(answer)
    assert rows(db_path, "SELECT * FROM resume_link") == []
    refused = app.test_client().get(path)
    assert refused.status_code == 404 and "This link has expired" in page_text(refused)


def test_the_link_works_once(app, db_path):
    saved_after_two_steps(app)
    path = emailed_link(db_path)
    assert open_link(app.test_client(), path).status_code == 303

    again = app.test_client().get(path)

    assert again.status_code == 404
    assert "This link has expired: start again" in page_text(again)


def test_the_link_is_refused_after_the_draft_lifetime(app, db_path, clock):
    clock.freeze()
    saved_after_two_steps(app)
    path = emailed_link(db_path)
    lifetime = app.config["DRAFT_LIFETIME"]

    clock.set(clock() + lifetime - timedelta(minutes=1))
    still = app.test_client().get(path)
    clock.set(clock() + timedelta(minutes=2))
    late = app.test_client().get(path)

    assert still.status_code == 303
    assert late.status_code == 404 and "This link has expired: start again" in page_text(late)


def test_a_link_opened_in_time_but_sent_too_late_is_refused_kindly(app, db_path, clock):
    clock.freeze()
    saved_after_two_steps(app)
    browser = app.test_client()
    assert browser.get(emailed_link(db_path)).status_code == 303
    page = browser.get("/continue")

    clock.set(clock() + app.config["DRAFT_LIFETIME"] + timedelta(minutes=1))
    late = browser.post("/continue", data={"csrf_token": csrf_token(page), **dob_fields(BASELINE_DOB)})

    assert late.status_code == 404 and "This link has expired: start again" in page_text(late)


def test_the_lifetime_words_on_the_pages_and_in_the_email_follow_the_setting(app, db_path):
    app.config["DRAFT_LIFETIME"] = timedelta(days=7)
    patient = app.test_client()
    third = two_steps_answered(patient).removeprefix("/questions/")
    asking = patient.get(location(post_step(patient, third, {}, extra={"later": "1"})))

    sent = save_for_later(patient, third, {})

    assert "It works once, within 7 days." in page_text(asking)
    assert "The link works once, within 7 days" in page_text(sent)
    assert "within 7 days" in outbox(db_path, "resume_link")[-1]["body"]
    app.config["DRAFT_LIFETIME"] = timedelta(hours=24)
    assert "within 24 hours" in page_text(patient.get("/save-for-later/sent"))


def test_a_stale_form_without_csrf_is_refused_and_sends_nothing(app, db_path):
    patient = app.test_client()
    third = two_steps_answered(patient).removeprefix("/questions/")
    post_step(patient, third, {}, extra={"later": "1"})

    refused = patient.post("/save-for-later", data={"email": PATIENT})
    saved_elsewhere = app.test_client()
    saved_after_two_steps(app)
    link = emailed_link(db_path)
    assert saved_elsewhere.get(link).status_code == 303
    not_opened = saved_elsewhere.post("/continue", data=dob_fields(BASELINE_DOB))

    assert refused.status_code == 400 and not_opened.status_code == 400
    assert len(outbox(db_path, "resume_link")) == 1 and len(audit_rows(db_path, "resume_link_requested")) == 1
    assert len(audit_rows(db_path, "csrf_failure")) == 2 and audit_rows(db_path, "resume_link_used") == []
    assert rows(db_path, "SELECT count(*) AS n FROM resume_link")[0]["n"] == 1  # still there to use


def test_a_bad_address_is_a_field_error(app, db_path):
    patient = app.test_client()
    third = two_steps_answered(patient).removeprefix("/questions/")
    page = patient.get(location(post_step(patient, third, {}, extra={"later": "1"})))

    sent = patient.post("/save-for-later", data={"csrf_token": csrf_token(page), "email": "not an address"})
    shown = patient.get(location(sent))  # post/redirect/get

    assert "Enter an email address in the correct format" in page_text(shown)
    assert outbox(db_path, "resume_link") == []


def test_saving_keeps_the_steps_valid_answers_and_says_what_was_left_out(app, db_path):
    patient = app.test_client()
    assert start(patient).status_code == 303
    future = {**STEPS[FIRST], "date_of_birth": date(2090, 1, 1)}  # a date of birth that needs correcting

    pressed = post_step(patient, FIRST, future, extra={"later": "1"})
    page = patient.get(location(pressed))

    assert "left_out=1" in location(pressed)
    assert "need correcting, so those were not saved" in page_text(page)
    kept = drafts(db_path)[0]["answers"]
    assert kept["treatment_requested"] == "toxin" and "date_of_birth" not in kept


def test_a_step_saved_whole_says_every_answer_is_saved(app, db_path):
    patient = app.test_client()
    assert start(patient).status_code == 303

    page = patient.get(location(post_step(patient, FIRST, STEPS[FIRST], extra={"later": "1"})))

    assert "Your answers so far are saved." in page_text(page)
    assert drafts(db_path)[0]["answers"]["date_of_birth"] == BASELINE_DOB.isoformat()


def test_a_draft_saved_before_the_date_of_birth_opens_with_the_link_alone(app, db_path):
    patient = app.test_client()
    assert start(patient).status_code == 303
    save_for_later(patient, FIRST, {"treatment_requested": "toxin"})
    browser = app.test_client()

    assert browser.get(emailed_link(db_path)).status_code == 303
    page = browser.get("/continue")
    assert "this link alone opens them" in page_text(page)
    resumed = browser.post("/continue", data={"csrf_token": csrf_token(page)})

    assert resumed.status_code == 303
    assert location(browser.get(location(resumed))) == f"/questions/{FIRST}"  # the date of birth is still to give


def test_the_link_goes_with_its_draft_when_the_stale_draft_is_purged(app, db_path, clock):
    clock.freeze()
    saved_after_two_steps(app)
    assert len(rows(db_path, "SELECT id FROM resume_link")) == 1

    clock.set(clock() + app.config["DRAFT_LIFETIME"] + timedelta(minutes=1))
    assert start(app.test_client()).status_code == 303  # a new questionnaire purges the stale ones

    assert len(drafts(db_path)) == 1  # only the new one
    assert rows(db_path, "SELECT id FROM resume_link") == []
