"""Post/redirect/get for every form sent with problems (values kept on the server, never in the cookie),
"you have already sent your answers" after sending, under 18 ends the screening at step 1, month names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.factories import FULL_NAME, answers_by_step, count_rows, db_connection, drafts
from tests.journeys import CHECK_PATH, DETAILS_PATH, RESULT_PATH, SESSION_COOKIE, declaration, post_step, start, walk
from tests.pages import csrf_token, field_error, page_text


def follow(client, response):
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"])


def cookie_value(client) -> str:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else ""


def test_a_step_sent_with_problems_redirects_to_a_get_that_shows_them_and_survives_reload(client, db_path):
    start(client)
    sent = post_step(client, "about-you", {"date_of_birth": date(1990, 7, 22)})

    assert sent.status_code == 303 and sent.headers["Location"].endswith("/questions/about-you")
    shown = follow(client, sent)
    assert shown.status_code == 200
    assert "There is a problem" in page_text(shown)
    assert 'value="22"' in shown.get_data(as_text=True)  # what was sent is shown again
    again = client.get("/questions/about-you")  # Reload: a GET, no resubmission, the same problems
    assert "There is a problem" in page_text(again)
    assert "1990" not in cookie_value(client)
    with db_connection(db_path) as db:
        kept = list(db.query("SELECT sent FROM form_state"))
    assert len(kept) == 1 and '"22"' in kept[0]["sent"]


def test_details_declaration_and_returning_forms_redirect_on_problems(client):
    walk(client, answers_by_step(), stop_at=DETAILS_PATH)
    page = client.get(DETAILS_PATH)
    sent = client.post(DETAILS_PATH, data={"csrf_token": csrf_token(page), "full_name": "", "email": "nope"})
    shown = follow(client, sent)
    assert "Enter your full name" in field_error(shown, "full_name")
    assert 'value="nope"' in shown.get_data(as_text=True)

    walk(client, {}, from_path=DETAILS_PATH, stop_at=CHECK_PATH)
    sent = client.post(CHECK_PATH, data=declaration(client, "Someone Else"))
    shown = follow(client, sent)
    assert "The name you typed, Someone Else, does not match the name you gave" in page_text(shown)

    page = client.get("/returning")
    sent = client.post("/returning", data={"csrf_token": csrf_token(page), "email": "a@example.org"})
    shown = follow(client, sent)
    assert "Enter your date of birth" in page_text(shown)


def test_back_after_sending_says_the_answers_were_sent_with_the_link_to_the_result(client):
    walk(client, answers_by_step())

    for path in (CHECK_PATH, "/questions/about-you", DETAILS_PATH):
        back = client.get(path)
        assert back.status_code == 200
        text = page_text(back)
        assert "You have already sent your answers" in text
        assert f'href="{RESULT_PATH}"' in back.get_data(as_text=True)


def test_a_retried_declaration_after_sending_still_goes_to_the_result(client):
    walk(client, answers_by_step(), stop_at=CHECK_PATH)
    data = declaration(client, FULL_NAME)
    assert client.post(CHECK_PATH, data=data).status_code == 303
    again = client.post(CHECK_PATH, data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith(RESULT_PATH)


def test_under_18_ends_the_screening_at_step_1_and_keeps_nothing(client, db_path, clock):
    clock.set(datetime(2025, 6, 7, 11, 0, tzinfo=UTC))
    start(client)
    today = clock.today()
    seventeen = date(today.year - 17, 1, 1)
    steps = answers_by_step("toxin", date_of_birth=seventeen)

    sent = post_step(client, "about-you", steps["about-you"])

    assert sent.status_code == 303 and sent.headers["Location"].endswith("/not-able-to-continue")
    page = follow(client, sent)
    text = page_text(page)
    assert "We can't offer these treatments to people under 18" in text
    assert "The law does not allow" in text
    assert "book" not in text.lower().replace("to book or discuss", "")
    assert "contact the clinic" not in text.lower()
    assert drafts(db_path) == [] and count_rows(db_path, "submission") == 0
    assert client.get("/questions/pregnancy").headers["Location"] in ("/", "/?expired=1")


def test_eighteen_today_goes_on(client, db_path, clock):
    clock.set(datetime(2025, 6, 7, 11, 0, tzinfo=UTC))
    start(client)
    today = clock.today()
    born = date(today.year - 18, today.month, today.day)
    sent = post_step(client, "about-you", answers_by_step("toxin", date_of_birth=born)["about-you"])
    assert sent.headers["Location"].endswith("/questions/pregnancy")


def test_month_names_and_abbreviations_are_accepted_and_the_error_names_the_box(client, db_path):
    start(client)
    fields = {"date_of_birth-day": "22", "date_of_birth-month": "June", "date_of_birth-year": "1990"}
    steps = answers_by_step("toxin")["about-you"]
    rest = {k: v for k, v in steps.items() if k != "date_of_birth"}
    sent = post_step(client, "about-you", rest, extra=fields)
    assert sent.headers["Location"].endswith("/questions/pregnancy")
    assert drafts(db_path)[0]["answers"]["date_of_birth"] == "1990-06-22"

    bad = post_step(client, "about-you", rest, extra={**fields, "date_of_birth-month": "Jnue"})
    shown = follow(client, bad)
    message = field_error(shown, "date_of_birth")
    assert "month" in message and "June" in message
    assert "input--error" in shown.get_data(as_text=True).split('id="date_of_birth-month"')[0].rsplit("<input", 1)[1]


def _typed_details(client) -> None:
    """Tab A: the patient types their details with one mistake (the phone) and sends them; the page shows them
    again with the problem, to correct."""
    page = client.get(DETAILS_PATH)
    sent = client.post(
        DETAILS_PATH,
        data={"csrf_token": csrf_token(page), "full_name": "Sam Typed", "email": "typed@example.org", "phone": "x"},
    )
    shown = follow(client, sent)
    assert 'value="Sam Typed"' in shown.get_data(as_text=True) and field_error(shown, "phone")


def test_a_step_saved_in_another_tab_keeps_the_contact_details_typed_in_this_one(client, db_path):
    walk(client, answers_by_step(), stop_at=DETAILS_PATH)
    _typed_details(client)

    # Tab B (the same browser, so the same session): an earlier step opened and saved again.
    saved = post_step(client, "about-you", answers_by_step()["about-you"])
    assert saved.status_code == 303

    back_in_tab_a = client.get(DETAILS_PATH)  # a reload, or Back to the page
    text = back_in_tab_a.get_data(as_text=True)
    assert 'value="Sam Typed"' in text and 'value="typed@example.org"' in text
    assert field_error(back_in_tab_a, "phone")

    walk(client, {}, from_path=DETAILS_PATH)  # sent: nothing any page kept stays behind
    with db_connection(db_path) as db:
        assert list(db.query("SELECT page FROM form_state")) == []


def test_a_step_sent_with_problems_in_another_tab_keeps_the_contact_details_typed_in_this_one(client):
    walk(client, answers_by_step(), stop_at=DETAILS_PATH)
    _typed_details(client)

    problem = post_step(client, "about-you", {"date_of_birth": date(1990, 7, 22)})  # tab B, with a problem
    assert "There is a problem" in page_text(follow(client, problem))

    back_in_tab_a = client.get(DETAILS_PATH)
    assert 'value="Sam Typed"' in back_in_tab_a.get_data(as_text=True)
    assert 'value="22"' in client.get("/questions/about-you").get_data(as_text=True)  # and tab B's is kept too
