"""The consultation record. Identity document and its date of birth (a mismatch, or under 18, stops
the record and says why), answers confirmed or changed (a change is screened again as a new version showing what it
changes), the in-person consultation by whom with their register and number, attended or not; audited; shown on the
submission, the patient page, the print view and the diary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from screening.domain.questionnaire import age_in_years
from tests.factories import (
    CAUTION,
    SLUG_OF_QUESTION,
    answers_by_step,
    audit_rows,
    publish_soon,
    quick_submission,
    rows,
)
from tests.journeys import CHECK_PATH, booked_patient, declaration, post_step
from tests.pages import csrf_token, location, page_text, tree

ATTENDED = {
    "attendance": "attended",
    "id_document": "passport",
    "id_date_of_birth": "22/07/1990",
    "answers": "confirmed",
    "consulted": "y",
    "note": "",
}


MORNING = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)  # appointments a few hours on are the same day


@pytest.fixture(autouse=True)
def clinic_morning(clock):
    clock.at(MORNING)


def record(client, submission_id: int, **fields):
    path = f"/clinician/submissions/{submission_id}/consultation"
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={**ATTENDED, **fields, "csrf_token": csrf_token(page)})


def error_of(response, field: str) -> str:
    node = tree(response).by_id(f"{field}-error")
    return "" if node is None else node.text()


def consultations(db_path) -> list[dict]:
    return rows(db_path, "SELECT * FROM consultation ORDER BY id")


def test_a_confirmed_consultation_is_recorded_with_register_audited_and_shown_everywhere(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician(register="NMC", number="12A3456E")

    response = record(clinician, submission_id, note="Discussed the wedding date")

    assert response.status_code == 303 and location(response) == f"/clinician/submissions/{submission_id}"
    (saved,) = consultations(db_path)
    assert (saved["attendance"], saved["consulted"], saved["register"], saved["register_number"]) == (
        "attended",
        1,
        "NMC",
        "12A3456E",
    )
    assert saved["id_document"] == "passport" and saved["id_date_of_birth"] == "1990-07-22"
    (event,) = audit_rows(db_path, "consultation_recorded")
    assert event["object_id"] == str(submission_id) and "Jane" not in event["detail"] and "1990" not in event["detail"]
    line = "In-person consultation done by Ada (NMC 12A3456E)"
    assert line in page_text(clinician.get(f"/clinician/submissions/{submission_id}"))
    assert line in page_text(clinician.get(f"/clinician/patients/{submission_id}"))
    assert line in page_text(clinician.get(f"/clinician/submissions/{submission_id}/print"))
    assert "consulted" in page_text(clinician.get("/clinician/diary")).replace("not yet consulted", "")
    assert "not yet consulted" not in page_text(clinician.get("/clinician/diary"))


def test_a_date_of_birth_that_does_not_match_stops_the_record(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician()

    response = record(clinician, submission_id, id_date_of_birth="23/07/1990")

    assert response.status_code == 400
    message = error_of(response, "id_date_of_birth")
    assert "does not match the screening" in message and "Stop" in message
    assert consultations(db_path) == []
    (stopped,) = audit_rows(db_path, "consultation_stopped")
    assert "date_of_birth_mismatch" in stopped["detail"]


def test_under_18_by_the_document_stops_the_record(app, db_path, clock, auth):
    today = clock.today(app)
    born = date(today.year - 17, 1, 1)
    assert age_in_years(born, today) == 17
    submission_id = quick_submission(db_path, date_of_birth=born)
    clinician = auth.registered_clinician()

    response = record(clinician, submission_id, id_date_of_birth=born.strftime("%d/%m/%Y"))

    assert response.status_code == 400
    assert "under 18" in error_of(response, "id_date_of_birth")
    assert consultations(db_path) == []


def test_missing_pieces_are_asked_for_and_nothing_is_stored(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician()
    for fields, field, words in [
        ({"attendance": ""}, "attendance", "Say whether the patient came"),
        ({"id_document": ""}, "id_document", "Choose the identity document"),
        ({"id_date_of_birth": ""}, "id_date_of_birth", "Enter the date of birth on the identity document"),
        ({"id_date_of_birth": "31/02/1990"}, "id_date_of_birth", "for example 22/07/1990"),
        ({"answers": ""}, "answers", "confirmed their answers or changed them"),
        ({"consulted": ""}, "consulted", "face to face"),
    ]:
        response = record(clinician, submission_id, **fields)
        assert response.status_code == 400, fields
        assert words in error_of(response, field), (fields, error_of(response, field))
    assert consultations(db_path) == []


def test_a_practitioner_without_a_register_is_sent_to_their_profile(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician(register="", number="")
    response = record(clinician, submission_id)
    assert response.status_code == 400
    assert "professional register and number" in error_of(response, "consulted")
    assert consultations(db_path) == []


def test_did_not_attend_is_recorded_and_shown_in_the_diary(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician()
    response = record(clinician, submission_id, attendance="did_not_attend", id_document="", answers="", consulted="")
    assert response.status_code == 303
    assert consultations(db_path)[0]["attendance"] == "did_not_attend"
    assert "did not attend" in page_text(clinician.get("/clinician/diary"))


def test_changed_answers_are_screened_again_as_a_new_version_showing_the_change(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician()

    response = record(clinician, submission_id, answers="changed")

    assert response.status_code == 303 and location(response) == CHECK_PATH
    slug = SLUG_OF_QUESTION["upcoming_event"]
    step = answers_by_step("toxin", upcoming_event="no")[slug]
    assert post_step(clinician, slug, step, query="?change=1").status_code == 303
    sent = clinician.post(CHECK_PATH, data=declaration(clinician, "Mary Seacole"))
    assert sent.status_code == 303
    new = rows(db_path, "SELECT id, kind, previous_id, outcome FROM submission ORDER BY id DESC LIMIT 1")[0]
    assert (new["kind"], new["previous_id"], new["outcome"]) == ("rescreen", submission_id, "clear")
    page = page_text(clinician.get(f"/clinician/submissions/{new['id']}"))
    assert "what changed since screening" in page and "Rules that went away: upcoming_event" in page
    assert f"screening {new['id']}" in page_text(clinician.get(f"/clinician/submissions/{submission_id}/consultation"))
    assert consultations(db_path)[0]["answers"] == "changed"


def test_recording_needs_sign_in(app, db_path, clock):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    anonymous = app.test_client()
    assert anonymous.get(f"/clinician/submissions/{submission_id}/consultation").status_code in (302, 303)


def test_an_under_18_date_of_birth_on_the_document_gives_the_age_reason_even_when_it_also_does_not_match(
    app, db_path, clock, auth
):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)  # screened as born in 1990
    clinician = auth.registered_clinician()
    today = clock.today(app)

    response = record(clinician, submission_id, id_date_of_birth=date(today.year - 16, 3, 1).strftime("%d/%m/%Y"))

    message = error_of(response, "id_date_of_birth")
    assert "under 18" in message and "does not match" in message
    assert consultations(db_path) == []
    (stopped,) = audit_rows(db_path, "consultation_stopped")
    assert "under_18" in stopped["detail"]


def test_a_consultation_cannot_be_recorded_before_the_appointments_day(app, db_path, clock, auth):
    slot = publish_soon(db_path, 1, now=clock.now() + timedelta(days=3), hours_ahead=2)[0]
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), slot=slot, **CAUTION)
    clinician = auth.registered_clinician()

    for attendance in ("attended", "did_not_attend"):
        response = record(clinician, submission_id, attendance=attendance)
        assert response.status_code == 400
        assert "record the consultation on that day" in error_of(response, "attendance")
    assert consultations(db_path) == []
    assert "consulted" not in page_text(clinician.get("/clinician/diary")).replace("not yet consulted", "")

    clock.at(clock.now() + timedelta(days=3))
    assert record(auth.registered_clinician(), submission_id).status_code == 303  # signed in again on the day
    assert len(consultations(db_path)) == 1


def test_without_an_appointment_only_an_explicit_walk_in_is_recorded(app, db_path, clock, auth):
    submission_id = quick_submission(db_path, **CAUTION)
    clinician = auth.registered_clinician()

    refused = record(clinician, submission_id)
    assert refused.status_code == 400 and "tick walk-in" in error_of(refused, "walk_in")
    not_came = record(clinician, submission_id, attendance="did_not_attend", walk_in="y")
    assert not_came.status_code == 400 and "choose Attended" in error_of(not_came, "walk_in")
    assert consultations(db_path) == []

    assert record(clinician, submission_id, walk_in="y").status_code == 303
    (saved,) = consultations(db_path)
    assert saved["booking_id"] is None and saved["attendance"] == "attended"
    (event,) = audit_rows(db_path, "consultation_recorded")
    assert '"walk_in":true' in event["detail"].replace(" ", "")
