"""The clinic's settings page for admins (name, address, phone, email, the text for patients who
cannot book online, the notification address), stored in the database, audited, and used by pages, emails and the
.ics file (LOCATION); instance settings are the fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from screening.db import connect
from screening.services import clinic
from tests.factories import CAUTION, DECLINE, audit_rows, outbox, rows
from tests.journeys import booked_patient, submit_through_form
from tests.pages import page_text, post_form, tree

SETTINGS = "/clinician/admin/settings"
HARBOUR = {
    "name": "Harbour Clinic",
    "address": "1 Quay Street, Bristol BS1 1AA",
    "phone": "0117 000 0000",
    "email": "hello@harbour.example",
    "contact": "Please phone Harbour Clinic on 0117 000 0000.",
    "notification_email": "diary@harbour.example",
    "notify_bookings": "y",
}


@pytest.fixture
def boss(auth):
    return auth.admin()


def test_details_fall_back_to_the_instance_settings(app, db_path):
    db = connect(db_path)
    try:
        found = clinic.details(db, app.config)
    finally:
        db.close()
    assert found.name == "Our clinic" and found.notify_bookings is True
    assert found.notification_email == app.config["CLINIC_EMAIL"]


def test_saved_settings_are_audited_and_used_by_pages_emails_and_the_calendar(app, db_path, boss, clock):
    assert post_form(boss, SETTINGS, HARBOUR).status_code == 303
    (event,) = audit_rows(db_path, "clinic_settings_changed")
    assert "Quay" not in event["detail"] and "address" in event["detail"]
    assert tree(boss.get("/clinician/queue")).find_all("a", **{"class": "header__name"})[0].text() == "Harbour Clinic"

    patient, _, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    (booked,) = outbox(db_path, "booked")
    assert "Harbour Clinic" in booked["subject"]
    ics = patient.get("/your-result/appointment.ics").get_data(as_text=True)
    assert "LOCATION:Harbour Clinic\\, 1 Quay Street\\, Bristol BS1 1AA" in ics  # the name, then the address
    assert "SUMMARY:Consultation at Harbour Clinic" in ics

    declined, _ = submit_through_form(app, "toxin", neuro_conditions=DECLINE["neuro_conditions"])
    assert "Please phone Harbour Clinic on 0117 000 0000." in page_text(declined.get("/your-result"))


def test_bad_settings_are_refused_and_change_nothing(app, db_path, boss):
    response = post_form(boss, SETTINGS, {**HARBOUR, "email": "not an address", "name": ""})
    assert response.status_code == 400
    assert tree(response).by_id("email-error") is not None and tree(response).by_id("name-error") is not None
    assert rows(db_path, "SELECT count(*) AS n FROM clinic_setting")[0]["n"] == 0


def test_only_admins_see_the_settings(auth):
    clinician = auth.registered_clinician()
    assert clinician.get(SETTINGS).status_code == 403


def test_the_patients_copy_of_their_data_names_the_clinic_and_says_clinic_time_in_words(app, db_path, boss, clock):
    clock.at(datetime(2026, 7, 1, 13, 5, tzinfo=UTC))  # summer: the clinic's 2:05pm is 13:05 UTC
    assert post_form(boss, SETTINGS, HARBOUR).status_code == 303
    patient, _, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)

    text = page_text(patient.get("/your-result/your-data"))

    assert "Our clinic" not in text and "Everything Harbour Clinic holds about you" in text
    assert "as of Wednesday 1 July 2026, 2:05pm" in text
    assert "UTC" not in text and "2026-07-01T" not in text
    (slot,) = rows(db_path, "SELECT starts_at FROM slot")
    starts = datetime.fromisoformat(slot["starts_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/London"))
    hour = starts.hour % 12 or 12
    in_words = f"{starts:%A} {starts.day} {starts:%B %Y}, {hour}:{starts:%M}{'am' if starts.hour < 12 else 'pm'}"
    assert in_words in text  # the appointment in clinic time, in words
    assert "Sent Wednesday 1 July 2026, 2:" in text  # when the answers were sent, too


def test_the_cooling_off_defaults_to_48_hours_and_same_day_treatment_to_off(app, db_path):
    db = connect(db_path)
    try:
        found = clinic.details(db, app.config)
    finally:
        db.close()
    assert (found.cooling_off_hours, found.same_day_treatment) == (48, False)


@pytest.mark.parametrize("hours", ["4.5", "-1", "337", "two days", "٤٨"])
def test_a_cooling_off_that_is_not_whole_hours_from_0_to_336_is_refused_and_nothing_changes(db_path, boss, hours):
    refused = post_form(boss, SETTINGS, {**HARBOUR, "cooling_off_hours": hours})
    assert refused.status_code == 400
    assert "Enter the cooling-off as a whole number of hours from 0 to 336" in page_text(refused)
    assert rows(db_path, "SELECT * FROM clinic_setting") == [] and audit_rows(db_path, "clinic_settings_changed") == []


def test_the_cooling_off_and_same_day_treatment_are_saved_and_shown(app, db_path, boss):
    assert (
        post_form(boss, SETTINGS, {**HARBOUR, "cooling_off_hours": "72", "same_day_treatment": "y"}).status_code == 303
    )
    db = connect(db_path)
    try:
        found = clinic.details(db, app.config)
    finally:
        db.close()
    assert (found.cooling_off_hours, found.same_day_treatment) == (72, True)
    assert 'value="72"' in boss.get(SETTINGS).get_data(as_text=True)
