"""A clinician's defer or decline stands: while it does, a new screening by the same person (the same date of birth
and email, or the same phone) goes to a clinician whatever its answers give, linked to the earlier one with the
changed answers shown, and the patient's page does not offer to start again before the date it names."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import DETAILS, REVIEW_TOXIN, audit_rows, outbox, rows
from tests.journeys import decide, submit_through_form
from tests.pages import page_text

MORNING = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 3)
UNTIL = TODAY + timedelta(days=43)
CLEAR = {"treatment": "toxin"}  # the same person, now answering "none of these"
AGAIN = "Fill in the questions again"


@pytest.fixture
def clinician(app, clock, auth):
    clock.at(MORNING)
    return auth.clinician()


def held_by(db_path, submission_id: int) -> int | None:
    return rows(db_path, "SELECT held_by FROM submission WHERE id = ?", [submission_id])[0]["held_by"]


def review_state(db_path, submission_id: int) -> str:
    return rows(db_path, "SELECT review_state FROM submission WHERE id = ?", [submission_id])[0]["review_state"]


def deferred_patient(app, clinician, **details):
    patient, first = submit_through_form(app, details={**DETAILS, **details}, **REVIEW_TOXIN)
    response = decide(
        clinician, first, action="defer", defer_until=UNTIL.isoformat(), private_note="After the relapse settles"
    )
    assert response.status_code == 303, page_text(response)[:400]
    return patient, first


def test_the_deferred_patients_page_does_not_offer_to_start_again_before_the_date(app, clinician):
    patient, _ = deferred_patient(app, clinician)

    page = page_text(patient.get("/your-result"))

    assert "it's best to wait until" in page
    assert AGAIN not in page


def test_screening_afresh_while_a_deferral_stands_goes_to_a_clinician_linked_and_showing_what_changed(
    app, db_path, clinician
):
    _, first = deferred_patient(app, clinician)
    notices_before = len(outbox(db_path, "review_needed"))

    fresh, second = submit_through_form(app, details=DETAILS, **CLEAR)  # a new browser, from the start page
    result = page_text(fresh.get("/your-result"))

    assert "You can book" not in result
    assert "A clinician will look at your answers before you can book" in result
    assert (held_by(db_path, second), review_state(db_path, second)) == (first, "pending")
    assert len(outbox(db_path, "review_needed")) == notices_before + 1  # the clinic is told
    [created] = [row for row in audit_rows(db_path, "submission_created") if row["object_id"] == str(second)]
    assert json.loads(created["detail"])["held_by"] == first
    assert f"/clinician/submissions/{second}" in clinician.get("/clinician/queue").get_data(as_text=True)
    page = page_text(clinician.get(f"/clinician/submissions/{second}"))
    assert f"what changed since screening {first}" in page
    assert "deferred until" in page
    assert "Multiple sclerosis" in page  # the answer that changed, before and now


def test_a_held_screening_cannot_be_booked_until_a_clinician_approves_it(app, db_path, clinician):
    _, first = deferred_patient(app, clinician)
    fresh, second = submit_through_form(app, details=DETAILS, **CLEAR)
    assert "Choose a day" not in page_text(fresh.get("/your-result"))

    assert decide(clinician, second, action="approve").status_code == 303

    assert "A clinician has looked at your answers: you can book." in page_text(fresh.get("/your-result"))


def test_the_same_phone_with_another_email_is_the_same_person(app, db_path, clinician):
    _, first = deferred_patient(app, clinician)

    _, second = submit_through_form(
        app, details={**DETAILS, "email": "other@example.net", "phone": "+44 7700 900982"}, **CLEAR
    )

    assert held_by(db_path, second) == first


def test_someone_else_with_the_same_date_of_birth_is_not_held(app, db_path, clinician):
    deferred_patient(app, clinician)

    other = {"full_name": "Sam Other", "email": "sam@example.net", "phone": "07700 900 111"}
    fresh, second = submit_through_form(app, details=other, **CLEAR)

    assert (held_by(db_path, second), review_state(db_path, second)) == (None, "none")
    assert "You can book" in page_text(fresh.get("/your-result"))


def test_from_the_date_named_the_page_offers_to_start_again_and_a_new_screening_is_judged_as_usual(
    app, db_path, clock, clinician
):
    patient, _ = deferred_patient(app, clinician)
    clock.at(datetime.combine(UNTIL, datetime.min.time(), UTC) + timedelta(hours=10))

    assert AGAIN in page_text(patient.get("/your-result"))
    fresh, second = submit_through_form(app, details=DETAILS, **CLEAR)

    assert (held_by(db_path, second), review_state(db_path, second)) == (None, "none")
    assert "You can book" in page_text(fresh.get("/your-result"))


def test_a_clinicians_decline_stands_with_no_date(app, db_path, clock, clinician):
    _, first = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    assert decide(clinician, first, action="decline", private_note="Not suitable").status_code == 303
    clock.at(MORNING + timedelta(days=400))

    _, second = submit_through_form(app, details={**DETAILS, "email": " JANE@example.org "}, **CLEAR)

    assert (held_by(db_path, second), review_state(db_path, second)) == (first, "pending")


# A second screening sent while the first still waited for a clinician: the hold is taken when the clinician decides.


def test_a_screening_sent_while_the_first_waited_is_held_when_a_clinician_declines_the_first(app, db_path, clinician):
    _, first = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    second_patient, second = submit_through_form(app, details=DETAILS, **CLEAR)
    assert "Choose a day" in page_text(second_patient.get("/your-result"))  # clear, and bookable, for now
    notices_before = len(outbox(db_path, "review_needed"))

    assert decide(clinician, first, action="decline", private_note="Not suitable").status_code == 303

    result = page_text(second_patient.get("/your-result"))
    assert "Choose a day" not in result
    assert "A clinician will look at your answers before you can book" in result
    assert (held_by(db_path, second), review_state(db_path, second)) == (first, "pending")
    assert len(outbox(db_path, "review_needed")) == notices_before + 1  # the clinic is told about the held one
    [held] = audit_rows(db_path, "submission_held")
    assert (held["object_id"], json.loads(held["detail"])) == (str(second), {"held_by": first, "was": "none"})
    assert f"/clinician/submissions/{second}" in clinician.get("/clinician/queue").get_data(as_text=True)
    page = page_text(clinician.get(f"/clinician/submissions/{second}"))
    assert f"what changed since screening {first}" in page
    assert "declined" in page


def test_an_approval_given_before_the_same_persons_deferral_no_longer_counts(app, db_path, clinician):
    _, first = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    second_patient, second = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    assert decide(clinician, second, action="approve").status_code == 303
    assert "Choose a day" in page_text(second_patient.get("/your-result"))

    deferred = decide(clinician, first, action="defer", defer_until=UNTIL.isoformat(), private_note="After the relapse")
    assert deferred.status_code == 303

    assert "Choose a day" not in page_text(second_patient.get("/your-result"))
    assert (held_by(db_path, second), review_state(db_path, second)) == (first, "pending")
    assert decide(clinician, second, action="approve").status_code == 303  # a clinician looks again, knowing
    assert "Choose a day" in page_text(second_patient.get("/your-result"))


def test_a_decision_holds_no_screening_of_someone_else(app, db_path, clinician):
    _, first = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    other = {"full_name": "Sam Other", "email": "sam@example.net", "phone": "07700 900 111"}
    other_patient, second = submit_through_form(app, details=other, **CLEAR)

    assert decide(clinician, first, action="decline", private_note="Not suitable").status_code == 303

    assert (held_by(db_path, second), review_state(db_path, second)) == (None, "none")
    assert "Choose a day" in page_text(other_patient.get("/your-result"))
    assert audit_rows(db_path, "submission_held") == []


def test_an_approval_or_a_question_holds_nothing(app, db_path, clinician):
    _, first = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    _, third = submit_through_form(app, details=DETAILS, **REVIEW_TOXIN)
    second_patient, second = submit_through_form(app, details=DETAILS, **CLEAR)

    assert decide(clinician, first, action="approve").status_code == 303
    assert decide(clinician, third, action="request_information", question="Which medicine?").status_code == 303

    assert (held_by(db_path, second), review_state(db_path, second)) == (None, "none")
    assert "Choose a day" in page_text(second_patient.get("/your-result"))
