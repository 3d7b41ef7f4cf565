"""The request-information loop: the patient sees the question, replies, may change answers; a new version is
judged again and goes back to the queue; the clinician sees what changed; the earlier version is kept."""

from __future__ import annotations

from tests.factories import FULL_NAME, REVIEW_TOXIN, publish, rows
from tests.journeys import (
    CHECK_PATH,
    RESULT_PATH,
    decide,
    declaration,
    offered,
    post_step,
    submit_through_form,
    token_of,
)
from tests.pages import listed_ids, page_text, shown_after

QUESTION = "Which medicine do you take for MS, and when was your last relapse?"


def asked(app, auth):
    """A review patient and an admin who has asked them a question; returns (patient, admin, submission id)."""
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    admin = auth.admin()
    assert decide(admin, submission_id, action="request_information", question=QUESTION).status_code == 303
    return patient, admin, submission_id


def answer(patient, reply: str = "Ocrelizumab; no relapse for four years."):
    started = patient.post("/your-result/answer", data={"csrf_token": token_of(patient)})
    assert started.status_code == 303 and started.headers["Location"].endswith(CHECK_PATH)
    data = declaration(patient, FULL_NAME)
    return patient.post(CHECK_PATH, data={**data, "reply": reply})


def test_patient_sees_the_question_replies_and_a_new_version_goes_back_to_the_queue(app, db_path, auth):
    patient, admin, first = asked(app, auth)
    page = page_text(patient.get(RESULT_PATH))
    assert "The clinic has a question for you" in page and QUESTION in page
    assert offered(patient) == []

    sent = answer(patient)

    assert sent.status_code == 303
    (old,) = rows(db_path, "SELECT review_state, superseded_by FROM submission WHERE id = ?", [first])
    (new,) = rows(db_path, "SELECT id, kind, previous_id, review_state, reply FROM submission WHERE id != ?", [first])
    assert old == {"review_state": "superseded", "superseded_by": new["id"]}
    assert (new["kind"], new["previous_id"], new["review_state"]) == ("amendment", first, "pending")
    assert new["reply"] == "Ocrelizumab; no relapse for four years."
    assert listed_ids(admin.get("/clinician/queue")) == [new["id"]]
    shown = page_text(admin.get(f"/clinician/submissions/{new['id']}"))
    assert QUESTION in shown and "Ocrelizumab" in shown and "No answer changed." in shown
    assert "A clinician will look at your answers" in page_text(patient.get(RESULT_PATH))


def test_a_reply_is_required_and_nothing_is_sent_without_it(app, db_path, auth):
    patient, _, _ = asked(app, auth)

    refused = shown_after(patient, answer(patient, reply="   "))  # post/redirect/get

    assert "Answer the clinician's question" in page_text(refused)
    assert rows(db_path, "SELECT count(*) AS n FROM submission")[0]["n"] == 1


def test_changed_answers_and_rules_are_shown_and_an_amendment_waits_for_a_clinician_even_when_clear(
    app, db_path, clock, auth
):
    slots = publish(db_path, now=clock.now())
    patient, admin, first = asked(app, auth)
    patient.post("/your-result/answer", data={"csrf_token": token_of(patient)})
    changed = post_step(
        patient,
        "nerves-muscles-heart",
        {
            "neuro_conditions": ["none"],
            "swallow_breath_problems": "no",
            "heart_condition": "no",
            "eye_face_history": ["none"],
        },
        query="?change=1",
    )
    assert changed.status_code == 303
    patient.post(CHECK_PATH, data={**declaration(patient, FULL_NAME), "reply": "I was wrong: it was a one-off."})
    new = rows(db_path, "SELECT id, outcome, review_state FROM submission WHERE id != ?", [first])[0]

    assert (new["outcome"], new["review_state"]) == ("clear", "pending")  # clear now, but a clinician looks first
    assert offered(patient) == []
    assert new["id"] in listed_ids(admin.get("/clinician/queue"))  # and it is in the default queue
    shown = page_text(admin.get(f"/clinician/submissions/{new['id']}"))
    assert "Multiple sclerosis (MS)" in shown and "None of these" in shown  # before and after
    assert "Rules that went away: toxin_other_neuro" in shown

    assert decide(admin, new["id"], action="approve").status_code == 303
    assert offered(patient) == slots


def test_the_earlier_private_link_opens_the_latest_version(app, db_path, auth):
    patient, _, first = asked(app, auth)
    link_holder = app.test_client()
    with patient.session_transaction() as session:
        old_token = session["result"]
    answer(patient)

    opened = link_holder.get(f"/r/{old_token}")

    assert opened.status_code == 303
    assert "A clinician will look at your answers" in page_text(link_holder.get(RESULT_PATH))


def test_a_question_is_answered_once_a_second_answer_is_refused_kindly(app, db_path, auth):
    patient, _, first = asked(app, auth)
    with patient.session_transaction() as session:
        token = session["result"]
    other = app.test_client()
    other.get(f"/r/{token}")
    other.post("/your-result/answer", data={"csrf_token": token_of(other)})
    other_form = declaration(other, FULL_NAME)

    answer(patient)
    late = other.post(CHECK_PATH, data={**other_form, "reply": "A second answer"})

    assert late.status_code == 303 and late.headers["Location"].endswith(RESULT_PATH)
    assert "already dealt with that question" in page_text(other.get(RESULT_PATH))
    assert rows(db_path, "SELECT count(*) AS n FROM submission")[0]["n"] == 2


def test_there_is_nothing_to_answer_without_a_question(app, db_path):
    patient, _ = submit_through_form(app, **REVIEW_TOXIN)

    response = patient.post("/your-result/answer", data={"csrf_token": token_of(patient)})

    assert response.status_code == 303 and response.headers["Location"].endswith(RESULT_PATH)
    assert rows(db_path, "SELECT count(*) AS n FROM draft")[0]["n"] == 0
