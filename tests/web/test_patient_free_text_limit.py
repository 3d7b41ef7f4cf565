"""Free text is never cut without a word: every free-text box says its limit, has no `maxlength` (a browser cuts a
pasted text to it silently), and an answer over the limit comes back with a field error and the whole text kept."""

from __future__ import annotations

import pytest
from flask import render_template_string

from screening.domain.journey import ShownQuestion
from screening.web.forms import step_form_class
from tests.factories import RULESET, answers_by_step, only_draft_answers
from tests.journeys import CHECK_PATH, decide, post_step, submit_through_form, walk
from tests.pages import csrf_token, elements, field_error, page_text, shown_after, tree

PASTED = ("Ramipril 5 mg once a day; atorvastatin 20 mg at night; " * 100)[:4999] + "."  # 5,000 characters
TEXT_QUESTIONS = [q for q in RULESET.questionnaire.questions if q.type == "text"]


class Rendered:
    """Rendered HTML read as the page helpers read a response."""

    def __init__(self, html: str):
        self.html = html

    def get_data(self, as_text: bool = True) -> str:
        return self.html


def _box_says_its_limit(page, box_id: str) -> None:
    (box,) = elements(page, "textarea", id=box_id)
    assert "maxlength" not in box, f"{box_id}: a maxlength cuts a pasted text without a word"
    assert box["data-maxlength"] == "2000"
    described = box["aria-describedby"].split()
    counter = f"{box_id}-limit"
    assert counter in described
    assert "up to 2,000 characters" in tree(page).by_id(counter).text()


def test_every_free_text_question_of_the_questionnaire_says_its_limit_and_has_no_maxlength(app):
    assert {q.id for q in TEXT_QUESTIONS} == {
        "allergy_details",
        "neuro_details",
        "current_medicines",
        "previous_reaction_details",
    }  # the spec's free-text questions (Q13, Q16, Q24, Q37)
    for question in TEXT_QUESTIONS:
        section = next(s for s in RULESET.questionnaire.sections if question in s.questions)
        with app.test_request_context():
            form = step_form_class(section)(meta={"csrf": False})
            html = render_template_string(
                '{% from "_macros.html" import render_question %}{{ render_question(shown, field) }}',
                shown=ShownQuestion(question, False),
                field=form[question.id],
            )
        _box_says_its_limit(Rendered(html), question.id)


def test_a_pasted_5000_character_medicines_list_is_refused_with_the_text_kept_for_editing(client):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/medicines")
    page = client.get("/questions/medicines")
    _box_says_its_limit(page, "current_medicines")

    sent = post_step(client, "medicines", {**steps["medicines"], "current_medicines": PASTED})

    shown = shown_after(client, sent)
    assert "5,000 characters" in field_error(shown, "current_medicines")
    assert "2,000 characters or fewer" in field_error(shown, "current_medicines")
    (box,) = tree(shown).find_all("textarea", id="current_medicines")
    assert box.text() == PASTED.strip()  # every character kept, to shorten
    assert only_draft_answers(client.application.config["DATABASE"]).get("current_medicines") is None  # not saved


def test_line_breaks_count_once_as_the_counter_counts_them(client):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/medicines")
    lines = "\r\n".join(["x" * 99] * 20)  # 20 lines of 99: 1,999 characters with "\n", 2,018 with "\r\n"

    sent = post_step(client, "medicines", {**steps["medicines"], "current_medicines": lines})

    assert sent.status_code == 303 and sent.headers["Location"].endswith("/questions/skin")


def test_the_reply_boxes_say_their_limit_and_keep_a_long_reply(app, db_path, auth):
    patient, submission_id = submit_through_form(app, "toxin", neuro_conditions=["multiple_sclerosis"])
    decide(auth.admin(), submission_id, action="request_information", question="Which medicine?")
    page = patient.get("/your-result/answer")
    _box_says_its_limit(page, "reply")

    sent = patient.post(
        "/your-result/answer/send",
        data={"csrf_token": csrf_token(page), "reply": PASTED, "confirm": "y", "signature": "Jane Example"},
    )
    shown = shown_after(patient, sent)
    assert "2,000 characters or fewer" in field_error(shown, "reply")
    assert tree(shown).find_all("textarea", id="reply")[0].text() == PASTED

    patient.post("/your-result/answer", data={"csrf_token": csrf_token(page)})  # "Change my answers as well"
    check = patient.get(CHECK_PATH)
    assert "The clinic's question" in page_text(check)
    _box_says_its_limit(check, "reply")


@pytest.mark.parametrize("length", [2000, 2001])
def test_the_limit_is_2000_characters_exactly(client, length):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/medicines")

    sent = post_step(client, "medicines", {**steps["medicines"], "current_medicines": "x" * length})

    assert sent.headers["Location"].endswith("/questions/skin" if length == 2000 else "/questions/medicines")
