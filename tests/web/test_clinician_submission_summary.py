"""The submission page opens with a summary (who, age, what was asked, outcome per treatment, what
needs deciding, the appointment), the decision panel near the top, times in the clinic's zone, the date of birth with
age, and a heading that follows the decision."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from screening import clock as app_clock
from screening.domain.questionnaire import age_in_years
from tests.factories import BASELINE_DOB, REVIEW_TOXIN, approve, make_app, quick_submission, rows
from tests.journeys import Auth, booked_patient, decide
from tests.pages import page_text, tree


def heading(page) -> str:
    return tree(page).find_all("h1")[0].text()


def test_summary_and_the_reasons_come_before_the_decision_panel_and_the_answers(app, db_path, clock, auth):
    clock.at(datetime(2025, 6, 4, 10, 0, tzinfo=UTC))
    submission_id = quick_submission(db_path, full_name="Mary Seacole", **REVIEW_TOXIN)
    clinician = auth.registered_clinician()
    page = clinician.get(f"/clinician/submissions/{submission_id}")
    html = page.get_data(as_text=True)
    text = page_text(page).replace(" ,", ",")

    assert heading(page) == f"Screening {submission_id}: waiting for a decision"
    age = age_in_years(BASELINE_DOB, clock.today(app))
    assert age == 34
    assert f"Mary Seacole, {age} today" in text
    assert f"Date of birth Sunday 22 July 1990 (age {age})" in text
    assert "Anti-wrinkle injections review Forehead lines, Frown lines between the eyebrows" in text
    assert "Needs deciding Whether anti-wrinkle injections can be booked." in text
    assert "Appointment none booked" in text
    assert html.index("Why it was flagged") < html.index("Your decision") < html.index("Answers, as the patient saw")
    assert " UTC" not in text


def test_heading_follows_the_decision(db_path, clock, auth):
    clock.at(datetime(2025, 6, 4, 10, 0, tzinfo=UTC))  # so the deferral date below is in the future, whatever day
    clinician = auth.registered_clinician()
    for action, fields, words in [
        ("approve", {}, "approved"),
        ("decline", {"private_note": "Not suitable"}, "declined"),
        ("defer", {"private_note": "Wait", "defer_until": "2099-01-01"}, "deferred"),
        ("request_information", {"question": "Which medicine?"}, "information requested"),
    ]:
        submission_id = quick_submission(db_path, **REVIEW_TOXIN)
        assert decide(clinician, submission_id, action=action, **fields).status_code == 303, action
        page = clinician.get(f"/clinician/submissions/{submission_id}")
        assert heading(page) == f"Screening {submission_id}: {words}"
        assert "Your decision" not in page.get_data(as_text=True)


def test_times_are_in_the_clinic_zone_and_the_appointment_is_shown(tmp_path, clock):
    clock.at(datetime(2025, 1, 15, 14, 0, tzinfo=UTC))  # 9:00am in New York, in winter time
    app = make_app(tmp_path, CLINIC_TIMEZONE="America/New_York")
    db_path = tmp_path / "screening.sqlite3"
    _, submission_id, slot = booked_patient(app, db_path, now=clock.now(), **REVIEW_TOXIN)
    clinician = Auth(app).registered_clinician()
    text = page_text(clinician.get(f"/clinician/submissions/{submission_id}"))
    zone = ZoneInfo("America/New_York")
    starts_at = rows(db_path, "SELECT starts_at FROM slot WHERE id = ?", [slot])[0]["starts_at"]
    created_at = rows(db_path, "SELECT created_at FROM submission WHERE id = ?", [submission_id])[0]["created_at"]
    assert f"Appointment {app_clock.readable(starts_at, zone)} with Ada" in text
    assert f"Sent {app_clock.readable(created_at, zone)}" in text
    decided = rows(db_path, "SELECT created_at FROM decision WHERE submission_id = ?", [submission_id])[0]["created_at"]
    assert f"by Bo, {app_clock.readable(decided, zone)}" in text


def test_approve_helper_is_what_the_page_shows(db_path, auth):
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    approve(db_path, submission_id)
    clinician = auth.registered_clinician()
    assert heading(clinician.get(f"/clinician/submissions/{submission_id}")) == f"Screening {submission_id}: approved"
