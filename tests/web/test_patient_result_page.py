"""The patient's page tells the current truth per treatment, one message each, once; booking by day;
answering the clinic's question on a short page; the confirmation once, with the clinic's address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from screening.app import create_app
from tests.factories import (
    FULL_NAME,
    REVIEW_TOXIN,
    active_bookings,
    answers_by_step,
    publish,
    rows,
)
from tests.journeys import (
    RESULT_PATH,
    Auth,
    book_by_day,
    decide,
    offered_days,
    offered_times,
    submit_through_form,
    token_of,
    walk,
)
from tests.pages import csrf_token, elements, page_text

MILK = {"has_allergies": "yes", "allergy_types": ["cows_milk_protein"], "allergy_details": "Milk: hives"}
MILK_MESSAGE = "A clinician will review your allergy before we book"
MYASTHENIA = {"neuro_conditions": ["myasthenia_gravis"]}
MORNING = datetime(2025, 6, 4, 10, 0, tzinfo=UTC)  # where the tests that date something set the clock


def milk_both(app, auth):
    """'Both' with a cow's milk allergy: toxin waits for a clinician, filler is clear. Returns patient, admin, id."""
    patient, submission_id = submit_through_form(app, "both", severe_allergy_history=["none"], **MILK)
    return patient, auth.admin(), submission_id


def test_before_a_decision_the_page_says_a_clinician_will_look_at_toxin_and_filler_is_bookable(
    app, db_path, clock, auth
):
    publish(db_path, now=clock.now())
    patient, _, _ = milk_both(app, auth)
    page = page_text(patient.get(RESULT_PATH))

    assert "You can book one of the treatments you asked about" in page
    assert page.count(MILK_MESSAGE) == 1
    assert "usually within 2 working days" in page
    assert offered_days(patient)


def test_a_clinicians_decline_keeps_the_rules_reason_and_gives_the_clinics_contact_details(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
            "CLINIC_PHONE": "020 7946 0000",
            "CLINIC_ADDRESS": "1 High Street\nLondon N1 1AA",
        }
    )
    patient, admin, submission_id = milk_both(app, Auth(app))

    decided = decide(admin, submission_id, action="decline", private_note="Dysport only in stock; see in clinic")

    assert decided.status_code == 303
    page = page_text(patient.get(RESULT_PATH))
    assert MILK_MESSAGE in page  # spec section 2: every fired rule's message stays, after a decision too
    assert "A clinician has looked at your answers, and we're not able to book this treatment online" in page
    assert "020 7946 0000" in page and "1 High Street" in page
    assert "Dysport only in stock" not in page  # the clinician's note is for the clinic
    assert "You can book" in page  # filler still


def test_a_clinicians_deferral_shows_the_date_and_keeps_the_rules_reason(app, db_path, clock, auth):
    clock.at(MORNING)
    patient, admin, submission_id = milk_both(app, auth)
    until = clock.today() + timedelta(days=40)

    decide(admin, submission_id, action="defer", defer_until=until.isoformat(), private_note="After the allergy clinic")

    page = page_text(patient.get(RESULT_PATH))
    assert MILK_MESSAGE in page
    assert f"it's best to wait until {until:%A} {until.day} {until:%B %Y}" in page


def test_a_question_puts_a_reply_box_first_and_never_says_there_is_nothing_to_do(app, db_path, auth):
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    admin = auth.admin()
    decide(admin, submission_id, action="request_information", question="Which medicine do you take for MS?")

    result = patient.get(RESULT_PATH)
    text = page_text(result)
    assert "Which medicine do you take for MS?" in text
    assert "nothing you need to do" not in text
    answer_page = patient.get("/your-result/answer")
    assert answer_page.status_code == 200
    assert [e["id"] for e in elements(answer_page, "textarea")] == ["reply"]
    body = answer_page.get_data(as_text=True)
    assert body.index('id="reply"') < body.index("Change my answers as well")
    assert "Check your answers" not in page_text(answer_page)

    sent = patient.post(
        "/your-result/answer/send",
        data={"csrf_token": csrf_token(answer_page), "reply": "Ocrelizumab", "confirm": "y", "signature": FULL_NAME},
    )

    assert sent.status_code == 303
    (new,) = rows(db_path, "SELECT kind, reply, review_state, answers FROM submission WHERE id != ?", [submission_id])
    (old,) = rows(db_path, "SELECT answers FROM submission WHERE id = ?", [submission_id])
    assert (new["kind"], new["reply"], new["review_state"]) == ("amendment", "Ocrelizumab", "pending")
    assert new["answers"] == old["answers"]
    assert "A clinician will look at your answers" in page_text(patient.get(RESULT_PATH))


def test_a_reply_with_problems_redirects_to_the_page_that_shows_them(app, db_path, auth):
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    decide(auth.admin(), submission_id, action="request_information", question="Why?")
    page = patient.get("/your-result/answer")

    sent = patient.post(
        "/your-result/answer/send",
        data={"csrf_token": csrf_token(page), "reply": "", "confirm": "y", "signature": "Someone Else"},
    )

    assert sent.status_code == 303 and sent.headers["Location"].endswith("/your-result/answer")
    shown = page_text(patient.get("/your-result/answer"))
    assert "Answer the clinic's question" in shown and "The name you typed, Someone Else, does not match" in shown
    assert rows(db_path, "SELECT count(*) AS n FROM submission")[0]["n"] == 1


def test_booking_is_by_day_then_time_and_reasons_come_before_the_choice(app, db_path, clock):
    first_day = publish(db_path, now=clock.now(), count=3, days_ahead=2)
    second_day = publish(db_path, now=clock.now(), count=2, days_ahead=3)
    patient, _ = submit_through_form(app, "both", **MYASTHENIA)
    page = patient.get(RESULT_PATH).get_data(as_text=True)

    days = offered_days(patient)
    assert len(days) == 2
    assert 'name="slot"' not in page  # no flat list of every time
    assert page.index("muscle or nerve condition") < page.index("Choose a day for your appointment")
    assert offered_times(patient, days[0]) == first_day
    assert offered_times(patient, days[1]) == second_day
    no_day = patient.get("/your-result/times")
    assert no_day.status_code == 303 and "problem=day" in no_day.headers["Location"]
    assert "Choose a day for your appointment" in page_text(patient.get(no_day.headers["Location"]))
    no_time = patient.get(f"/your-result/book?day={days[0]}")
    assert no_time.status_code == 303 and "problem=time" in no_time.headers["Location"]
    assert "Choose a time" in page_text(patient.get(no_time.headers["Location"]))

    assert book_by_day(patient, days[1]).status_code == 303
    assert [b["slot_id"] for b in active_bookings(db_path)] == [second_day[0]]


def test_the_confirmation_is_said_once_with_the_address_practitioner_and_how_to_cancel(tmp_path, clock):
    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
            "CLINIC_ADDRESS": "1 High Street\nLondon N1 1AA",
            "CLINIC_PHONE": "020 7946 0000",
        }
    )
    db_path = tmp_path / "db.sqlite3"
    publish(db_path, now=clock.now(), practitioner="Dr Ada Lovelace")
    patient, _ = submit_through_form(app, "toxin")
    book_by_day(patient, offered_days(patient)[0])

    page = page_text(patient.get(RESULT_PATH))
    assert page.count("Your appointment is booked") == 1
    assert "1 High Street" in page and "Dr Ada Lovelace" in page
    assert "Cancel this appointment" in page and "020 7946 0000" in page
    ics = patient.get("/your-result/appointment.ics").get_data(as_text=True)
    assert "LOCATION:Our clinic\\, 1 High Street\\, London N1 1AA" in ics
    (mail,) = rows(db_path, "SELECT body FROM outbox WHERE kind = 'booked'")
    assert "Dr Ada Lovelace" in mail["body"] and "1 High Street" in mail["body"]


def test_the_review_turnaround_comes_from_the_clinics_details(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
            "REVIEW_TURNAROUND": "within one working day",
        }
    )
    patient, _ = submit_through_form(app, **REVIEW_TOXIN)
    page = page_text(patient.get(RESULT_PATH))
    assert page.count("within one working day") == 1 and "2 working days" not in page  # said once


def test_toxin_only_myasthenia_says_nothing_about_filler_and_both_agrees_with_the_page(app, db_path, clock):
    publish(db_path, now=clock.now())
    toxin_only, _ = submit_through_form(app, "toxin", **MYASTHENIA)
    page = page_text(toxin_only.get(RESULT_PATH))
    assert "filler" not in page.lower()
    assert "We can't book this treatment online" in page

    both, _ = submit_through_form(app, "both", **MYASTHENIA)
    page = page_text(both.get(RESULT_PATH))
    assert "separately" not in page and "If you also asked" not in page
    assert "You can book" in page and "We're not able to book this treatment online" in page


def test_the_private_link_has_a_copy_button_and_fill_in_again_is_a_button(app, db_path, clock):
    clock.at(MORNING)
    patient, _ = submit_through_form(
        app,
        "toxin",
        previous_toxin="yes",
        last_toxin_date=clock.today() - timedelta(days=30),
        previous_adverse_reaction="no",
    )
    page = patient.get(RESULT_PATH)
    (copy,) = elements(page, "button", **{"data-copy": "private-link"})
    assert "hidden" in copy  # shown by the script only
    again = [a for a in elements(page, "a") if "Fill in the questions again" in _text_after(page, a)]
    assert again and "button" in again[0]["class"].split()
    assert elements(page, "code", id="private-link")
    assert token_of(patient)


def _text_after(page, anchor) -> str:
    """The text of the first link with this anchor's class and href."""
    body = page.get_data(as_text=True)
    marker = f'class="{anchor.get("class")}" href="{anchor.get("href")}">'
    at = body.find(marker)
    return body[at + len(marker) : body.find("</a>", at)] if at >= 0 and anchor.get("class") else ""


def test_a_bookmarked_result_page_in_a_new_browser_says_the_emailed_link_opens_it_and_offers_it_again(app, client):
    walk(client, answers_by_step())
    new_browser = app.test_client()

    for path in ("/your-result", "/your-result/your-data", "/your-result/times?day=2026-12-09"):
        page = new_browser.get(path)
        text = page_text(page)
        assert page.status_code == 404, path  # nothing is found for this browser: no screening is named or hinted
        assert "copied incompletely" not in text
        assert "the private link in the email we sent you" in text
        assert "/returning" in [a.get("href") for a in elements(page, "a")]
    assert "Page not found" in page_text(new_browser.get("/no-such-page"))  # other unknown pages are as before
