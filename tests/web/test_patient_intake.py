"""The patient's form through the Flask test client: pages, steps, errors, storage, private links and limits.

CSRF stays on: every POST carries the token scraped from the page it came from, as a browser would send it.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest

import screening.db
from screening import store
from tests.factories import (
    DETAILS,
    FULL_NAME,
    QUESTIONNAIRE,
    SLUG_OF_QUESTION,
    STEP_SLUGS,
    answers_by_step,
    count_rows,
    drafts,
    make_app,
    only_draft_answers,
    only_submission,
    submissions,
)
from tests.journeys import (
    CHECK_PATH,
    DETAILS_PATH,
    RESULT_PATH,
    SESSION_COOKIE,
    declaration,
    form_fields,
    post_step,
    start,
    walk,
)
from tests.pages import (
    csrf_token,
    elements,
    error_summary_links,
    field_error,
    location,
    page_text,
    page_title,
    shown_after,
)

# The moment the tests that date something set the clock to: late morning in London, on a Saturday in June.
MIDDAY = datetime(2025, 6, 7, 11, 0, tzinfo=UTC)
PRIVATE_LINK = re.compile(r"https?://[^/\s<\"]+/r/([A-Za-z0-9_-]+)")


def readable(value: date) -> str:
    """A date as patients read it, written independently of the code under test: 'Saturday 7 June 2025'."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def rule_message(app, rule_id: str) -> str:
    return app.extensions["screening.rules"].rule(rule_id).patient_message.text


def normalised(steps: dict) -> dict:
    """What the submission should store for answers given per step: dates in ISO form, every step merged."""
    flat = {}
    for answers in steps.values():
        for question_id, value in answers.items():
            flat[question_id] = value.isoformat() if isinstance(value, date) else value
    return flat


def clone(app, client):
    """A second browser holding the same session cookie as `client`."""
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, cookie.value)
    return other


def private_token(result_page) -> str:
    match = PRIVATE_LINK.search(result_page.get_data(as_text=True))
    assert match, "no private link on the result page"
    return match.group(1)


# ====================================================================================================================
# Start


def test_start_page_says_what_the_screening_is(client):
    response = client.get("/")

    assert response.status_code == 200
    text = page_text(response)
    assert "This is not a diagnosis" in text
    assert "A clinician sees your answers" in text
    assert "kept private" in text


def test_start_creates_a_draft_and_redirects_to_the_first_step(client, db_path):
    response = start(client)

    assert response.status_code == 303
    assert location(response) == "/questions/about-you"
    assert count_rows(db_path, "draft") == 1
    assert only_draft_answers(db_path) == {}
    assert client.get("/questions/about-you").status_code == 200


def test_step_without_a_started_screening_sends_the_patient_to_the_start(client, db_path):
    response = client.get("/questions/about-you")

    assert response.status_code == 303
    assert location(response) == "/"
    assert count_rows(db_path, "draft") == 0


def test_unknown_step_slug_is_not_found(client):
    start(client)

    assert client.get("/questions/no-such-step").status_code == 404


def test_session_cookie_is_secure_and_holds_no_answers(client):
    response = start(client)
    cookie_header = response.headers["Set-Cookie"]
    assert post_step(client, "about-you", VALID_STEP_1).status_code == 303

    assert cookie_header.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert attribute in cookie_header
    assert "Domain=" not in cookie_header
    with client.session_transaction() as session:
        assert set(session) <= {"csrf_token", "draft", "access_token"}
        held = dict(session)
    # Only opaque tokens: no answer, whole or in part (a random token may by chance contain the digits "1990").
    assert all(isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", value) for value in held.values()), held
    assert not any(answer in value for value in held.values() for answer in ("1990-07-22", "forehead", "toxin"))


def test_expired_draft_sends_the_patient_to_the_start_with_a_notice(client, db_path, clock):
    long_ago = clock() - timedelta(hours=25)
    clock.set(long_ago)
    start(client)
    clock.reset()

    response = client.get("/questions/about-you")

    assert response.status_code == 303
    assert location(response) == "/?expired=1"
    assert "Your answers were not kept" in page_text(client.get(location(response)))
    assert start(client).status_code == 303
    rows = drafts(db_path)  # the stale draft was purged when the new one started
    assert len(rows) == 1
    assert rows[0]["created_at"] > store.iso(long_ago + timedelta(hours=1))


# ====================================================================================================================
# Headers and markup on every page


def _every_kind_of_page(app, client) -> list:
    pages = [client.get("/")]
    walk(client, answers_by_step(), pages=pages)  # every step, details, check and result
    start(client)
    pages.append(shown_after(client, post_step(client, "about-you", {})))  # a step with errors (after its redirect)
    pages.append(client.get("/no-such-page"))  # 404
    pages.append(client.post("/start"))  # 400, no CSRF token
    pages.append(client.get("/start"))  # 405
    return pages


def test_every_page_sends_the_security_headers(app, client):
    pages = _every_kind_of_page(app, client)

    assert len(pages) >= 16
    for page in pages:
        where = f"{page.request.method} {page.request.path} ({page.status_code})"
        policy = page.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, where
        assert "unsafe-inline" not in policy, where
        assert "unsafe-eval" not in policy, where
        assert page.headers.get("X-Content-Type-Options") == "nosniff", where
        assert page.headers.get("Referrer-Policy") == "no-referrer", where
        assert page.mimetype == "text/html", where
        assert page.headers.get("Cache-Control") == "no-store", where


def test_no_page_has_inline_script_handler_or_style(app, client):
    pages = _every_kind_of_page(app, client)

    for page in pages:
        where = f"{page.request.method} {page.request.path} ({page.status_code})"
        scripts = elements(page, "script")
        assert scripts, where
        assert all(script.get("src") for script in scripts), where
        assert elements(page, "style") == [], where
        for attributes in elements(page):
            assert not [name for name in attributes if name.startswith("on")], (where, attributes)
            assert "style" not in attributes, (where, attributes)


def test_healthz_reports_ok_as_json(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


# ====================================================================================================================
# Whole journeys


def test_clear_toxin_journey_reaches_the_result_page_with_you_can_book(client):
    result = walk(client, answers_by_step("toxin"))

    assert result.request.path == RESULT_PATH
    text = page_text(result)
    assert "You can book a consultation" in text
    assert "You can now choose an appointment" in text


def test_clear_toxin_journey_stores_the_submission_and_forgets_the_draft(app, client, db_path, clock):
    clock.set(MIDDAY)
    steps = answers_by_step("toxin")

    walk(client, steps)

    submission = only_submission(db_path)
    assert submission["outcome"] == "clear"
    assert submission["treatments"] == {"toxin": "clear"}
    assert submission["answers"] == normalised(steps)
    assert submission["answers"]["date_of_birth"] == "1990-07-22"
    assert submission["ruleset_version"] == app.extensions["screening.rules"].version
    assert (submission["full_name"], submission["email"], submission["phone"]) == (
        DETAILS["full_name"],
        DETAILS["email"],
        DETAILS["phone"],
    )
    assert submission["attested_name"] == FULL_NAME
    assert submission["screening_date"] == clock.today(app).isoformat() == "2025-06-07"
    assert submission["rules"] == []
    assert count_rows(db_path, "draft") == 0


def test_review_journey_says_a_clinician_will_look_first(app, client, db_path):
    result = walk(client, answers_by_step("toxin", swallow_breath_problems="yes"))

    text = page_text(result)
    assert "A clinician will look at your answers" in text
    assert "usually within 2 working days" in text
    assert rule_message(app, "toxin_swallow_breathing") in text
    submission = only_submission(db_path)
    assert submission["outcome"] == "review"
    assert [rule["rule_id"] for rule in submission["rules"]] == ["toxin_swallow_breathing"]


def test_defer_journey_gives_the_first_date_the_patient_can_book(client, db_path, clock):
    clock.set(MIDDAY)
    last_toxin = clock.today() - timedelta(days=30)
    steps = answers_by_step("toxin", previous_toxin="yes", last_toxin_date=last_toxin, previous_adverse_reaction="no")

    result = walk(client, steps)

    text = page_text(result)
    assert "It's best to wait before treatment" in text
    assert "you're welcome to come back when they no longer apply" in text
    assert f"You can book from {readable(last_toxin + timedelta(days=90))}." in text
    submission = only_submission(db_path)
    assert submission["outcome"] == "defer"
    assert [rule["rule_id"] for rule in submission["rules"]] == ["toxin_within_90_days"]


def test_decline_journey_is_kind_and_gives_the_reason(app, client, db_path):
    # Under 18 now ends the screening at step 1: a decline by another rule shows the same kindness.
    result = walk(client, answers_by_step("toxin", neuro_conditions=["myasthenia_gravis"]))

    text = page_text(result)
    assert "We can't book this treatment online" in text
    assert "Thank you for your honesty" in text
    assert rule_message(app, "toxin_nmj_contraindicated") in text
    assert app.config["CLINIC_CONTACT"] in text
    assert only_submission(db_path)["outcome"] == "decline"


def test_both_treatments_with_myasthenia_offer_filler_but_not_toxin(client, db_path):
    result = walk(client, answers_by_step("both", neuro_conditions=["myasthenia_gravis"]))

    text = page_text(result)
    assert "You can book one of the treatments you asked about" in text
    assert "Anti-wrinkle injections We're not able to book this treatment online" in text
    assert "Dermal filler You can book" in text
    submission = only_submission(db_path)
    assert submission["outcome"] == "decline"
    assert submission["treatments"] == {"toxin": "decline", "filler": "clear"}


# ====================================================================================================================
# Steps, progress and the order guard


def test_each_page_shows_its_step_number_of_11(client):
    pages = []
    walk(client, answers_by_step(), pages=pages)

    numbered = pages[:-1]  # the result page has no step number
    assert [page.request.path for page in numbered] == [
        *(f"/questions/{slug}" for slug in STEP_SLUGS),
        DETAILS_PATH,
        CHECK_PATH,
    ]
    for number, page in enumerate(numbered, start=1):
        assert f"Step {number} of 11" in page_text(page)
        assert f"(step {number} of 11)" in page_title(page)


def test_back_link_appears_from_step_2_and_points_to_the_step_before(client):
    pages = []
    walk(client, answers_by_step(), pages=pages)

    backs = [[a.get("href") for a in elements(page, "a", **{"class": "back-link"})] for page in pages[:-1]]
    assert backs[0] == []
    expected = [f"/questions/{slug}" for slug in STEP_SLUGS] + [DETAILS_PATH]
    assert backs[1:] == [[href] for href in expected]


def test_jumping_ahead_after_start_redirects_to_the_first_step(client):
    start(client)

    response = client.get("/questions/skin")

    assert response.status_code == 303
    assert location(response) == "/questions/about-you"


def test_jumping_ahead_later_redirects_to_the_first_incomplete_step(client):
    start(client)
    assert post_step(client, "about-you", answers_by_step()["about-you"]).status_code == 303

    response = client.get("/questions/skin")

    assert response.status_code == 303
    assert location(response) == "/questions/pregnancy"


def test_posting_to_a_later_step_is_refused_and_stores_nothing(client, db_path):
    start(client)
    token = csrf_token(client.get("/questions/about-you"))

    response = client.post("/questions/skin", data={"skin_problem_at_site": "none", "csrf_token": token})

    assert response.status_code == 303
    assert location(response) == "/questions/about-you"
    assert only_draft_answers(db_path) == {}


@pytest.mark.parametrize("path", [CHECK_PATH, DETAILS_PATH])
def test_check_and_details_pages_before_finishing_redirect_to_the_first_incomplete_step(client, path):
    start(client)

    response = client.get(path)

    assert response.status_code == 303
    assert location(response) == "/questions/about-you"


def test_back_to_a_step_shows_the_saved_answers(client):
    steps = answers_by_step()
    start(client)
    assert post_step(client, "about-you", steps["about-you"]).status_code == 303
    assert post_step(client, "pregnancy", steps["pregnancy"]).status_code == 303

    step_1 = client.get("/questions/about-you")
    step_2 = client.get("/questions/pregnancy")

    assert step_1.status_code == step_2.status_code == 200
    day, month, year = (elements(step_1, "input", id=f"date_of_birth-{part}")[0] for part in ("day", "month", "year"))
    assert (day["value"], month["value"], year["value"]) == ("22", "7", "1990")
    checked_1 = {(box["name"], box["value"]) for box in elements(step_1, "input") if "checked" in box}
    assert checked_1 == {("treatment_requested", "toxin"), ("toxin_areas", "forehead"), ("toxin_areas", "glabella")}
    checked_2 = {(box["name"], box["value"]) for box in elements(step_2, "input") if "checked" in box}
    assert checked_2 == {
        ("sex_at_birth", "female"),
        ("pregnant", "no"),
        ("trying_to_conceive", "no"),
        ("breastfeeding", "no"),
    }


# ====================================================================================================================
# Hidden questions


def test_toxin_areas_sent_with_a_filler_request_are_not_stored(client, db_path):
    steps = answers_by_step("filler")
    start(client)

    response = post_step(
        client, "about-you", {**steps["about-you"], "toxin_areas": ["lip_flip"], "wind_instrument": "yes"}
    )

    assert response.status_code == 303
    assert only_draft_answers(db_path) == normalised({"about-you": steps["about-you"]})
    walk(client, steps, from_path=location(response))
    submission = only_submission(db_path)
    assert "toxin_areas" not in submission["answers"]
    assert "wind_instrument" not in submission["answers"]
    assert submission["rules"] == []


def test_pregnancy_answers_sent_by_a_man_are_ignored_and_never_defer(client, db_path):
    steps = answers_by_step("toxin", sex_at_birth="male", pregnant=None, trying_to_conceive=None, breastfeeding=None)
    start(client)
    assert post_step(client, "about-you", steps["about-you"]).status_code == 303

    response = post_step(client, "pregnancy", {"sex_at_birth": "male", "pregnant": "yes", "breastfeeding": "yes"})

    assert response.status_code == 303
    assert only_draft_answers(db_path) == normalised(
        {"about-you": steps["about-you"], "pregnancy": {"sex_at_birth": "male"}}
    )
    result = walk(client, steps, from_path=location(response))
    submission = only_submission(db_path)
    assert submission["outcome"] == "clear"
    assert "pregnant" not in submission["answers"] and "breastfeeding" not in submission["answers"]
    assert "wait" not in page_text(result)


def test_a_malformed_answer_to_a_hidden_question_is_ignored_not_an_error(client, db_path):
    # Spec 1.4: the server ignores whatever is sent for a hidden question. Without JavaScript the date boxes of
    # last_toxin_date stay on the page; a patient who answers "no" before them must not be stopped by what is in them.
    steps = answers_by_step("toxin")
    walk(client, steps, stop_at="/questions/previous-treatments")

    response = post_step(client, "previous-treatments", {"previous_toxin": "no", "last_toxin_date-month": "3"})

    assert response.status_code == 303, field_error(response, "last_toxin_date")
    assert "last_toxin_date" not in only_draft_answers(db_path)


def test_changing_treatment_drops_the_now_hidden_answers_and_asks_the_new_questions(client, db_path, clock):
    clock.set(MIDDAY)
    old = clock.today() - timedelta(days=400)
    toxin = answers_by_step(
        "toxin",
        previous_toxin="yes",
        last_toxin_date=old,
        previous_adverse_reaction="no",
        toxin_interacting_meds=["muscle_relaxant"],
    )
    check_page = walk(client, toxin, stop_at=CHECK_PATH)
    change_links = [a["href"] for a in elements(check_page, "a") if (a.get("href") or "").startswith("/questions/")]
    assert "/questions/about-you?change=1#q-treatment_requested" in change_links
    filler = answers_by_step("filler")

    response = post_step(client, "about-you", filler["about-you"], query="?change=1")

    assert response.status_code == 303
    assert location(response) == "/questions/medicines"  # the first step with a filler question still to answer
    draft = only_draft_answers(db_path)
    toxin_only = {
        "toxin_areas",
        "swallow_breath_problems",
        "heart_condition",
        "eye_face_history",
        "toxin_interacting_meds",
        "previous_toxin",
        "last_toxin_date",
        "previous_adverse_reaction",
    }
    assert toxin_only.isdisjoint(draft)
    walk(client, filler, from_path=location(response))
    submission = only_submission(db_path)
    assert toxin_only.isdisjoint(submission["answers"])
    assert submission["answers"] == normalised(filler)
    assert submission["treatments"] == {"filler": "clear"}
    assert submission["rules"] == []


# ====================================================================================================================
# Field errors


def test_empty_first_step_shows_an_error_summary_and_saves_nothing(client, db_path):
    start(client)

    response = post_step(client, "about-you", {})

    response = shown_after(client, response)  # post/redirect/get
    assert elements(response, "div", role="alert")
    assert error_summary_links(response) == ["#date_of_birth-day", "#treatment_requested-toxin"]
    assert "Enter a date" in field_error(response, "date_of_birth")
    assert "Select an answer" in field_error(response, "treatment_requested")
    assert page_title(response).startswith("Error: ")
    assert only_draft_answers(db_path) == {}


VALID_STEP_1 = {"date_of_birth": date(1990, 7, 22), "treatment_requested": "toxin", "toxin_areas": ["forehead"]}


def _dob(day: str, month: str, year: str) -> dict:
    return {"date_of_birth-day": day, "date_of_birth-month": month, "date_of_birth-year": year}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param(_dob("22", "7", ""), "date_of_birth", "The date must include a year", id="partial-date"),
        pytest.param(_dob("31", "2", "1990"), "date_of_birth", "Enter a real date", id="impossible-date"),
        pytest.param(_dob("22", "7", "90"), "date_of_birth", "year in 4 digits", id="two-digit-year"),
        pytest.param(
            _dob("8", "6", "2026"),  # a year and a day after MIDDAY, the test's today
            "date_of_birth",
            "The date must be today or in the past",
            id="future-date",
        ),
        pytest.param(_dob("1", "1", "1850"), "date_of_birth", "Check the year", id="implausible-date"),
        pytest.param(
            {"treatment_requested": "laser"},
            "treatment_requested",
            "Select one of the options shown",
            id="radio-not-an-option",
        ),
        pytest.param(
            {"treatment_requested": ["toxin", "filler"]},
            "treatment_requested",
            "Choose only one answer",
            id="two-radio-values",
        ),
        pytest.param(
            {"toxin_areas": ["forehead", "eyebrows"]},
            "toxin_areas",
            "Select one of the options shown",
            id="checkbox-not-an-option",
        ),
    ],
)
def test_bad_answer_on_a_step_gives_its_message_and_stores_nothing(client, db_path, clock, fields, field, message):
    clock.set(MIDDAY)
    start(client)
    answers = {key: value for key, value in VALID_STEP_1.items() if not any(name.startswith(key) for name in fields)}

    response = post_step(client, "about-you", {**answers, **fields})

    response = shown_after(client, response)  # post/redirect/get
    assert message in field_error(response, field)
    assert page_title(response).startswith("Error: ")
    assert len(error_summary_links(response)) == 1
    assert only_draft_answers(db_path) == {}


def test_none_ticked_with_another_option_gives_its_message_and_stores_nothing(client, db_path):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/nerves-muscles-heart")
    before = only_draft_answers(db_path)

    response = post_step(
        client, "nerves-muscles-heart", {**steps["nerves-muscles-heart"], "neuro_conditions": ["epilepsy", "none"]}
    )

    response = shown_after(client, response)  # post/redirect/get
    assert "Select ‘None of these’ on its own, or untick it" in field_error(response, "neuro_conditions")
    assert error_summary_links(response) == ["#neuro_conditions-myasthenia_gravis"]
    assert only_draft_answers(db_path) == before
    assert "neuro_conditions" not in before


def test_details_with_a_bad_email_are_refused_and_not_saved(client, db_path):
    walk(client, answers_by_step(), stop_at=DETAILS_PATH)
    page = client.get(DETAILS_PATH)

    response = client.post(
        DETAILS_PATH, data={"full_name": FULL_NAME, "email": "not an email", "csrf_token": csrf_token(page)}
    )

    response = shown_after(client, response)  # post/redirect/get
    assert "Enter an email address in the correct format" in field_error(response, "email")
    assert page_title(response).startswith("Error: ")
    assert only_draft_answers(db_path)  # the answers so far are kept
    assert [row for row in submissions(db_path)] == []


# ====================================================================================================================
# Free text


def test_free_text_markup_is_stored_verbatim_and_shown_escaped(client, db_path):
    hostile = "<script>alert(1)</script> {{7*7}}"
    steps = answers_by_step(current_medicines=hostile)

    check_page = walk(client, steps, stop_at=CHECK_PATH)

    assert only_draft_answers(db_path)["current_medicines"] == hostile
    assert [script.get("src") for script in elements(check_page, "script")] == ["/static/screening.js"]
    assert hostile in page_text(check_page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check_page.get_data(as_text=True)
    assert "49" not in page_text(check_page)
    back = client.get("/questions/medicines")
    assert [script.get("src") for script in elements(back, "script")] == ["/static/screening.js"]
    assert elements(back, "textarea", id="current_medicines")
    assert hostile in page_text(back)
    walk(client, steps, from_path=CHECK_PATH)
    assert only_submission(db_path)["answers"]["current_medicines"] == hostile


# ====================================================================================================================
# CSRF


def test_start_without_a_csrf_token_is_refused(client, db_path):
    client.get("/")

    response = client.post("/start")

    assert response.status_code == 400
    assert "Nothing was saved" in page_text(response)
    assert count_rows(db_path, "draft") == 0


def test_step_post_without_a_csrf_token_is_refused(client, db_path):
    start(client)

    response = client.post("/questions/about-you", data=form_fields(VALID_STEP_1))

    assert response.status_code == 400
    assert only_draft_answers(db_path) == {}


def test_csrf_token_from_another_session_is_refused(app, client, db_path):
    start(client)
    other = app.test_client()
    start(other)
    foreign_token = csrf_token(other.get("/questions/about-you"))

    step = client.post("/questions/about-you", data={**form_fields(VALID_STEP_1), "csrf_token": foreign_token})
    begin = client.post("/start", data={"csrf_token": foreign_token})

    assert step.status_code == 400
    assert begin.status_code == 400
    assert [row["answers"] for row in drafts(db_path)] == [{}, {}]


def test_declaration_without_a_csrf_token_is_refused(client, db_path):
    walk(client, answers_by_step(), stop_at=CHECK_PATH)
    data = declaration(client)
    del data["csrf_token"]

    response = client.post(CHECK_PATH, data=data)

    assert response.status_code == 400
    assert count_rows(db_path, "submission") == 0


# ====================================================================================================================
# Check your answers and the declaration


def test_check_page_lists_every_answer_with_a_change_link_to_its_step(client, db_path):
    check_page = walk(
        client,
        answers_by_step(
            "both",
            has_allergies="yes",
            allergy_types=["other"],
            severe_allergy_history=["none"],
            allergy_details="Penicillin: a rash",
        ),
        stop_at=CHECK_PATH,
    )

    answers = only_draft_answers(db_path)
    hrefs = {a.get("href") for a in elements(check_page, "a")}
    text = page_text(check_page)
    assert len(answers) > 30
    for question_id in answers:
        assert f"/questions/{SLUG_OF_QUESTION[question_id]}?change=1#q-{question_id}" in hrefs, question_id
        assert QUESTIONNAIRE.by_id[question_id].text in text, question_id
    assert f"{DETAILS_PATH}?change=1" in hrefs
    assert "Penicillin: a rash" in text


def test_declaration_without_the_tick_is_refused(client, db_path):
    walk(client, answers_by_step(), stop_at=CHECK_PATH)

    response = client.post(CHECK_PATH, data=declaration(client, confirm=False))

    response = shown_after(client, response)  # post/redirect/get
    assert "Confirm that your answers are true and complete" in field_error(response, "confirm")
    assert page_title(response).startswith("Error: ")
    assert count_rows(db_path, "submission") == 0
    assert count_rows(db_path, "draft") == 1


@pytest.mark.parametrize("signature", ["John Smith", "Jane", ""])
def test_declaration_signed_with_another_name_is_refused(client, db_path, signature):
    walk(client, answers_by_step(), stop_at=CHECK_PATH)

    response = client.post(CHECK_PATH, data=declaration(client, signature))

    response = shown_after(client, response)  # post/redirect/get
    assert field_error(response, "signature")
    assert error_summary_links(response) == ["#signature"]
    assert count_rows(db_path, "submission") == 0


def test_declaration_name_ignores_case_and_extra_spaces(client, db_path):
    walk(client, answers_by_step(), stop_at=CHECK_PATH)

    response = client.post(CHECK_PATH, data=declaration(client, "  jane   EXAMPLE "))

    assert response.status_code == 303
    assert location(response) == RESULT_PATH
    assert only_submission(db_path)["attested_name"] == "jane EXAMPLE"


def test_declaration_posted_twice_stores_one_submission(client, db_path):
    walk(client, answers_by_step(), stop_at=CHECK_PATH)
    data = declaration(client)

    first = client.post(CHECK_PATH, data=data)
    second = client.post(CHECK_PATH, data=data)

    assert (first.status_code, second.status_code) == (303, 303)
    assert location(first) == location(second) == RESULT_PATH
    assert count_rows(db_path, "submission") == 1
    assert client.get(RESULT_PATH).status_code == 200


def test_concurrent_double_submit_stores_one_submission(app, client, db_path):
    walk(client, answers_by_step(swallow_breath_problems="yes"), stop_at=CHECK_PATH)
    data = declaration(client)
    browsers = [clone(app, client), clone(app, client)]
    barrier = threading.Barrier(2)

    def send(browser):
        barrier.wait(timeout=30)
        return browser.post(CHECK_PATH, data=data)

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = [future.result(timeout=60) for future in [pool.submit(send, b) for b in browsers]]

    assert [response.status_code for response in responses] == [303, 303]
    assert RESULT_PATH in [location(response) for response in responses]
    assert count_rows(db_path, "submission") == 1
    assert count_rows(db_path, "submission_rule") == 1
    assert count_rows(db_path, "draft") == 0


def test_retried_submit_that_finds_the_draft_already_submitted_shows_the_result(app, client, db_path, monkeypatch):
    # A double click where the second request checks the submission key just before the first one commits, and looks
    # for the draft just after: the first submission stands, and the second must lead to it too (not to "start again").
    walk(client, answers_by_step(), stop_at=CHECK_PATH)
    data = declaration(client)
    first, second = clone(app, client), clone(app, client)
    second_is_waiting, first_is_done = threading.Event(), threading.Event()
    main_thread = threading.get_ident()
    original_get_draft = store.get_draft

    def get_draft(*args, **kwargs):
        if threading.get_ident() != main_thread and not second_is_waiting.is_set():
            second_is_waiting.set()
            assert first_is_done.wait(timeout=30)
        return original_get_draft(*args, **kwargs)

    monkeypatch.setattr(store, "get_draft", get_draft)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(second.post, CHECK_PATH, data=data)
        try:
            assert second_is_waiting.wait(timeout=30)
            first_response = first.post(CHECK_PATH, data=data)
        finally:
            first_is_done.set()
        second_response = pending.result(timeout=30)

    assert count_rows(db_path, "submission") == 1
    assert (first_response.status_code, location(first_response)) == (303, RESULT_PATH)
    assert (second_response.status_code, location(second_response)) == (303, RESULT_PATH)


# ====================================================================================================================
# The private link


def test_result_page_shows_a_private_link_with_a_long_random_token(client):
    result = walk(client, answers_by_step())

    token = private_token(result)
    assert len(token) >= 22
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert f"/r/{token}" in page_text(result)


def test_private_link_opens_the_result_in_a_fresh_browser_without_the_token_in_the_url(app, client):
    token = private_token(walk(client, answers_by_step(swallow_breath_problems="yes")))
    fresh = app.test_client()

    response = fresh.get(f"/r/{token}")

    assert response.status_code == 303
    assert location(response) == RESULT_PATH
    assert token not in response.headers["Location"]
    page = fresh.get(RESULT_PATH)
    assert page.status_code == 200
    assert "A clinician will look at your answers" in page_text(page)


def test_unknown_malformed_and_unsubmitted_private_links_give_the_same_404(app, client):
    walk(client, answers_by_step())
    unfinished = app.test_client()
    start(unfinished)
    with unfinished.session_transaction() as session:
        unsubmitted = session["access_token"]  # the token of a screening not yet sent: a link to nothing
    tokens = (unsubmitted, secrets.token_urlsafe(16), "nothing", "x" * 65, "%00")

    responses = [app.test_client().get(f"/r/{token}") for token in tokens]

    assert [response.status_code for response in responses] == [404] * len(tokens)
    assert len({response.get_data() for response in responses}) == 1


def test_result_without_a_session_is_not_found(app, client):
    walk(client, answers_by_step())

    assert app.test_client().get(RESULT_PATH).status_code == 404


# ====================================================================================================================
# Request limits and unexpected fields


def test_body_over_256_kb_is_refused_with_413_and_nothing_stored(client, db_path):
    start(client)
    token = csrf_token(client.get("/questions/about-you"))

    response = client.post(
        "/questions/about-you",
        data={**form_fields(VALID_STEP_1), "padding": "a" * (300 * 1024), "csrf_token": token},
    )

    assert response.status_code == 413
    assert "Traceback" not in page_text(response)
    assert only_draft_answers(db_path) == {}


def test_free_text_over_2000_characters_is_a_field_error(client, db_path):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/medicines")

    response = post_step(client, "medicines", {**steps["medicines"], "current_medicines": "a" * 2001})

    response = shown_after(client, response)  # post/redirect/get
    assert "Shorten it to 2,000 characters or fewer" in field_error(response, "current_medicines")
    assert "blood_thinners" not in only_draft_answers(db_path)


def test_free_text_with_a_nul_character_is_a_field_error(client, db_path):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/medicines")

    response = post_step(client, "medicines", {**steps["medicines"], "current_medicines": "aspirin\x00"})

    response = shown_after(client, response)  # post/redirect/get
    assert "a character we cannot store" in field_error(response, "current_medicines")
    assert "blood_thinners" not in only_draft_answers(db_path)


def test_free_text_of_exactly_2000_characters_is_accepted(client, db_path):
    steps = answers_by_step()
    walk(client, steps, stop_at="/questions/medicines")

    response = post_step(client, "medicines", {**steps["medicines"], "current_medicines": "a" * 2000})

    assert response.status_code == 303
    assert only_draft_answers(db_path)["current_medicines"] == "a" * 2000


def test_unexpected_fields_are_ignored(client, db_path):
    extra = {"status": "approved", "outcome": "clear", "rules": "", "id": "1"}
    steps = answers_by_step(swallow_breath_problems="yes")
    start(client)

    response = post_step(client, "about-you", steps["about-you"], extra=extra)

    assert response.status_code == 303
    assert set(only_draft_answers(db_path)) == set(steps["about-you"])
    walk(client, steps, from_path=location(response), stop_at=CHECK_PATH)
    sent = client.post(CHECK_PATH, data={**declaration(client), **extra})
    assert sent.status_code == 303
    submission = only_submission(db_path)
    assert submission["outcome"] == "review"
    assert set(submission["answers"]) == set(normalised(steps))


# ====================================================================================================================
# Error pages


def test_unknown_url_gives_a_404_page_without_a_traceback(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert "Page not found" in page_text(response)
    assert "Traceback" not in response.get_data(as_text=True)


def test_wrong_method_gives_405_with_allow(client):
    response = client.get("/start")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_unexpected_error_gives_a_500_page_with_an_incident_id_and_no_internals(app, caplog):
    def explode():
        raise RuntimeError('sqlite3 said: File "/work/main/screening/store/", line 1')

    app.add_url_rule("/test-only-explode", "test_only_explode", explode)

    response = app.test_client().get("/test-only-explode")

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    incident = re.search(r"incident ([0-9a-f]{8,})", page_text(response))
    assert incident, page_text(response)
    for leak in ("Traceback", "sqlite3", 'File "', "RuntimeError"):
        assert leak not in body
    assert incident.group(1) in caplog.text  # the log ties the patient's incident id to the details


def test_busy_database_gives_503_with_retry_after_and_stores_nothing(client, db_path, monkeypatch):
    pragmas = tuple("busy_timeout=100" if p.startswith("busy_timeout") else p for p in screening.db.PRAGMAS)
    monkeypatch.setattr(screening.db, "PRAGMAS", pragmas)
    token = csrf_token(client.get("/"))

    with closing(sqlite3.connect(db_path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        busy = client.post("/start", data={"csrf_token": token})
        holder.execute("ROLLBACK")

    assert busy.status_code == 503
    assert busy.headers.get("Retry-After")
    assert "Nothing from that page was saved" in page_text(busy)
    assert count_rows(db_path, "draft") == 0
    again = client.post("/start", data={"csrf_token": token})
    assert again.status_code == 303
    assert count_rows(db_path, "draft") == 1


def test_declaration_name_is_compared_the_way_people_write_names(client, db_path):
    details = {**DETAILS, "full_name": "Zoë 🌸 O'Brien-Nguyễn"}
    walk(client, answers_by_step(), details=details, stop_at=CHECK_PATH)

    wrong = shown_after(client, client.post(CHECK_PATH, data=declaration(client, "Zoe O'Brien")))
    assert field_error(wrong, "signature") == (
        "Error: The name you typed, Zoe O'Brien, does not match the name you gave, Zoë O'Brien-Nguyễn"
    )
    assert count_rows(db_path, "submission") == 0

    sent = client.post(CHECK_PATH, data=declaration(client, "Zoe O'Brien-Nguyen"))
    assert sent.status_code == 303 and location(sent) == RESULT_PATH
    assert only_submission(db_path)["attested_name"] == "Zoe O'Brien-Nguyen"


@pytest.mark.parametrize(("lifetime", "said"), [(timedelta(hours=24), "24 hours"), (timedelta(hours=2), "2 hours")])
def test_the_expired_draft_message_says_the_draft_lifetime_the_clinic_set(tmp_path, lifetime, said):
    app = make_app(tmp_path, DRAFT_LIFETIME=lifetime)
    text = page_text(app.test_client().get("/?expired=1"))
    assert f"we forget an unfinished form after {said}" in text
    assert "24 hours" not in text or said == "24 hours"
