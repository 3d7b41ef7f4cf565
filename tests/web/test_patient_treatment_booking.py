"""Booking a treatment from the private page: only after a signed consent and the clinic's cooling-off, counted from
the later of the consultation and the signature; a refused time names when booking opens and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from screening import store
from tests.factories import (
    active_bookings,
    audit_rows,
    consult,
    db_connection,
    publish,
    publish_treatment,
    rows,
    signed_consent_row,
)
from tests.journeys import RESULT_PATH, offered, submit_through_form, token_of
from tests.pages import page_text

CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # winter: clinic time (Europe/London) is UTC


def consulted_patient(app, db_path, clock):
    clock.set(CONSULTED)
    patient, submission_id = submit_through_form(app, "toxin")
    with db_connection(db_path) as db:
        consultation_id = consult(db, submission_id)
    return patient, submission_id, consultation_id


def sign(db_path, submission_id, consultation_id, at: datetime) -> int:
    with db_connection(db_path) as db:
        return signed_consent_row(db, submission_id, consultation_id, None, "toxin", store.iso(at))


def post_treatment(patient, slot_id: int):
    return patient.post(
        "/your-result/treatment",
        data={"treatment": "toxin", "slot": str(slot_id), "csrf_token": token_of(patient)},
        follow_redirects=True,
    )


def treatment_bookings(db_path):
    return rows(db_path, "SELECT * FROM booking WHERE kind = 'treatment'")


def test_before_the_signature_the_page_says_consent_comes_first_and_a_post_books_nothing(app, db_path, clock):
    patient, _, _ = consulted_patient(app, db_path, clock)
    (slot,) = publish_treatment(db_path, CONSULTED + timedelta(days=5), 1)

    text = page_text(patient.get(RESULT_PATH))
    assert "Your consent to anti-wrinkle injections must be signed first" in text
    assert "You may book your treatment from" not in text

    refused = post_treatment(patient, slot)
    assert "must be signed before you can book the treatment" in page_text(refused)
    assert treatment_bookings(db_path) == [] and audit_rows(db_path, "treatment_booked") == []


def test_a_time_inside_the_cooling_off_is_refused_with_the_date_and_one_after_it_books(app, db_path, clock):
    patient, submission_id, consultation_id = consulted_patient(app, db_path, clock)
    inside, after = publish_treatment(db_path, CONSULTED + timedelta(hours=30), 1) + publish_treatment(
        db_path, CONSULTED + timedelta(days=3), 1
    )
    sign(db_path, submission_id, consultation_id, CONSULTED + timedelta(hours=1))  # opens 48 hours after the signing
    clock.set(CONSULTED + timedelta(hours=2))

    page = patient.get(RESULT_PATH)
    text = page_text(page)
    assert "You may book your treatment from Thursday 3 December 2026, 10:00am" in text
    html = page.get_data(as_text=True)
    assert f'id="treatment-slot-{after}"' in html and f'id="treatment-slot-{inside}"' not in html

    before = len(audit_rows(db_path))
    refused = post_treatment(patient, inside)
    assert "inside the cooling-off. You may book your treatment from Thursday 3 December 2026, 10:00am" in page_text(
        refused
    )
    assert treatment_bookings(db_path) == [] and len(audit_rows(db_path)) == before

    booked = post_treatment(patient, after)
    assert "Your treatment appointment is booked" in page_text(booked)
    (booking,) = treatment_bookings(db_path)
    assert (booking["slot_id"], booking["submission_id"], booking["treatments"]) == (after, submission_id, '["toxin"]')
    (event,) = audit_rows(db_path, "treatment_booked")
    assert event["object_id"] == str(booking["id"])
    assert "Your treatment appointment is on Thursday 3 December 2026, 9:00am" not in page_text(booked)
    assert "Your treatment appointment is on Friday 4 December 2026, 9:00am" in page_text(booked)


def test_a_later_cooling_off_setting_moves_the_opening(app, db_path, clock):
    patient, submission_id, consultation_id = consulted_patient(app, db_path, clock)
    with db_connection(db_path) as db:
        store.save_clinic_settings(
            db,
            {"cooling_off_hours": "72"},
            None,
            store.AuditEvent(action="clinic_settings_changed", actor_role="system"),
        )
    sign(db_path, submission_id, consultation_id, CONSULTED)
    assert "You may book your treatment from Friday 4 December 2026, 9:00am" in page_text(patient.get(RESULT_PATH))


def test_treatment_slots_are_not_offered_as_consultation_times_and_do_not_count_as_the_consultation(
    app, db_path, clock
):
    clock.set(CONSULTED)
    consultation_slots = publish(db_path, now=clock.now())
    publish_treatment(db_path, CONSULTED + timedelta(days=2, hours=5), 2)
    patient, submission_id = submit_through_form(app, "toxin")

    assert offered(patient) == consultation_slots
    forced = patient.post(
        "/your-result/book",
        data={
            "slot": str(rows(db_path, "SELECT id FROM slot WHERE kind = 'treatment'")[0]["id"]),
            "csrf_token": token_of(patient),
        },
    )
    assert forced.status_code == 303 and active_bookings(db_path) == []
    with db_connection(db_path) as db:
        assert store.active_booking(db, submission_id) is None


def test_once_the_treatment_is_given_the_page_says_so_and_offers_no_treatment_time(app, db_path, clock):
    patient, submission_id, consultation_id = consulted_patient(app, db_path, clock)
    consent_id = sign(db_path, submission_id, consultation_id, CONSULTED)
    (booked,) = publish_treatment(db_path, CONSULTED + timedelta(days=3), 1)
    clock.set(CONSULTED + timedelta(days=2, hours=1))
    assert "Your treatment appointment is booked." in page_text(post_treatment(patient, booked))
    (later,) = publish_treatment(db_path, CONSULTED + timedelta(days=10), 1)
    given_at = CONSULTED + timedelta(days=3)
    with db_connection(db_path) as db:  # the treatment given at that appointment, under that consent
        db.execute(
            "INSERT INTO treatment_given (submission_id, consent_id, booking_id, treatment, clinician_id,"
            " clinician_name, given_at) SELECT ?, ?, booking.id, 'toxin', consent.clinician_id, 'Pat', ?"
            " FROM booking, consent WHERE booking.kind = 'treatment' AND consent.id = ?",
            [submission_id, consent_id, store.iso(given_at), consent_id],
        )
    clock.set(given_at + timedelta(hours=2))

    page = patient.get(RESULT_PATH)
    text = page_text(page)
    assert "You had your treatment on Friday 4 December 2026, 9:00am" in text
    assert "Cancel this treatment appointment" not in text and "You may book your treatment from" not in text
    assert f'id="treatment-slot-{later}"' not in page.get_data(as_text=True)

    refused = post_treatment(patient, later)
    assert "Your next course starts with a new screening. Nothing was booked." in page_text(refused)
    assert [b["slot_id"] for b in treatment_bookings(db_path)] == [booked]


@pytest.mark.languages("en,es")
def test_a_spanish_patient_is_told_in_spanish_why_a_treatment_time_cannot_be_booked_yet(app, db_path, clock):
    patient, submission_id, consultation_id = consulted_patient(app, db_path, clock)
    (inside,) = publish_treatment(db_path, CONSULTED + timedelta(hours=30), 1)
    sign(db_path, submission_id, consultation_id, CONSULTED + timedelta(hours=1))
    clock.set(CONSULTED + timedelta(hours=2))
    assert patient.get("/language/es?next=/your-result").status_code == 303
    text = page_text(post_treatment(patient, inside))
    assert (
        "Esa hora está dentro del periodo de reflexión. Puede reservar su tratamiento a partir del jueves, 3 de "
        "diciembre de 2026, 10:00. No se ha reservado nada."
    ) in text
    assert treatment_bookings(db_path) == []
