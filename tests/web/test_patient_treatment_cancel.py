"""The booked treatment appointment on the private page, and cancelling it there: asked once, post/redirect/get,
audited, the slot free again and rebookable, and the consultation's booking left alone (and the other way round). A
cancel with no treatment appointment of the patient's own behind it is refused with a message and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import DETAILS, audit_rows, publish, publish_treatment, rows
from tests.journeys import (
    RESULT_PATH,
    book_treatment,
    cancel_treatment,
    consented_patient,
    token_of,
)
from tests.pages import csrf_token, elements, page_text

CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # winter: clinic time (Europe/London) is UTC
OTHER = {**DETAILS, "full_name": "Mary Seacole", "email": "mary@example.org"}


def bookings(db_path, kind: str) -> list[dict]:
    return rows(db_path, "SELECT * FROM booking WHERE kind = ? ORDER BY id", [kind])


def kept(db_path, kind: str) -> list[dict]:
    return [b for b in bookings(db_path, kind) if b["cancelled_at"] is None]


def booked_both(app, db_path, clock):
    """A patient with a consultation appointment and, after consent, a treatment appointment (the first of two
    treatment times with Pat on Friday 4 December); returns (browser, submission id, treatment slots)."""
    clock.set(CONSULTED)
    (consultation_slot,) = publish(db_path, 1, now=clock.now())
    patient, submission_id = consented_patient(app, db_path, at=CONSULTED, slot=consultation_slot)
    slots = publish_treatment(db_path, CONSULTED + timedelta(days=3), 2)
    assert book_treatment(patient, slots[0]).status_code == 303
    return patient, submission_id, slots


def test_the_private_page_shows_the_treatment_appointment_its_calendar_and_a_cancel_button(app, db_path, clock):
    patient, _, slots = booked_both(app, db_path, clock)

    page = patient.get(RESULT_PATH)
    text = page_text(page)
    assert "Your treatment appointment is on Friday 4 December 2026, 9:00am with Pat." in text
    hrefs = [a.get("href") for a in elements(page, "a")]
    assert "/your-result/treatment/cancel" in hrefs and "/your-result/treatment.ics" in hrefs
    assert "/your-result/cancel" in hrefs  # the consultation's own cancel stays beside it
    assert f'id="treatment-slot-{slots[1]}"' not in page.get_data(as_text=True)  # booked: no times offered

    calendar = patient.get("/your-result/treatment.ics")
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    body = calendar.get_data(as_text=True)
    assert "SUMMARY:Treatment at" in body and "DTSTART:20261204T090000Z" in body


def test_cancelling_the_treatment_frees_its_slot_keeps_the_consultation_and_it_can_be_booked_again(app, db_path, clock):
    patient, _, slots = booked_both(app, db_path, clock)
    (consultation,) = kept(db_path, "consultation")

    confirm = patient.get("/your-result/treatment/cancel")
    assert "Are you sure you want to cancel your treatment appointment?" in page_text(confirm)
    assert "Friday 4 December 2026, 9:00am" in page_text(confirm)
    assert len(kept(db_path, "treatment")) == 1  # asking changes nothing

    cancelled = cancel_treatment(patient)
    assert cancelled.status_code == 303 and cancelled.headers["Location"].endswith(RESULT_PATH)
    page = patient.get(RESULT_PATH)
    assert "Your treatment appointment is cancelled" in page_text(page)
    assert "You cancelled your treatment appointment on Friday 4 December 2026, 9:00am" in page_text(page)
    assert f'id="treatment-slot-{slots[0]}"' in page.get_data(as_text=True)  # the time is free again
    (treatment,) = bookings(db_path, "treatment")
    assert treatment["cancelled_by"] == "patient"
    assert kept(db_path, "consultation") == [consultation]
    (event,) = audit_rows(db_path, "treatment_cancelled")
    assert (event["actor_role"], event["object_type"]) == ("patient", "booking")
    assert event["object_id"] == str(treatment["id"])
    assert audit_rows(db_path, "booking_cancelled") == []

    assert book_treatment(patient, slots[0]).status_code == 303  # the unique index counts kept bookings only
    (again,) = kept(db_path, "treatment")
    assert again["slot_id"] == slots[0] and again["id"] != treatment["id"]


def test_cancelling_the_consultation_leaves_the_treatment_appointment(app, db_path, clock):
    patient, _, _ = booked_both(app, db_path, clock)
    (treatment,) = kept(db_path, "treatment")

    confirm = patient.get("/your-result/cancel")
    assert patient.post("/your-result/cancel", data={"csrf_token": csrf_token(confirm)}).status_code == 303

    assert kept(db_path, "consultation") == []
    assert kept(db_path, "treatment") == [treatment]
    assert audit_rows(db_path, "treatment_cancelled") == []


def test_a_cancel_of_someone_elses_or_no_treatment_appointment_is_refused_and_changes_nothing(app, db_path, clock):
    patient, _, slots = booked_both(app, db_path, clock)
    other, _ = consented_patient(app, db_path, at=CONSULTED, details=OTHER)
    assert book_treatment(other, slots[1]).status_code == 303
    mine, theirs = kept(db_path, "treatment")
    before = (len(audit_rows(db_path)), rows(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"])

    for booking in (str(mine["id"]), "", "abc", "9" * 40):  # the first patient's booking, then none at all
        refused = other.post(
            "/your-result/treatment/cancel",
            data={"booking": booking, "csrf_token": token_of(other)},
            follow_redirects=True,
        )
        assert refused.status_code == 200
        assert "There is no treatment appointment of yours to cancel. Nothing was changed." in page_text(refused)
    no_token = other.post("/your-result/treatment/cancel", data={"booking": str(theirs["id"])})
    assert no_token.status_code == 400  # refused before the view (CSRF), its own booking kept

    assert kept(db_path, "treatment") == [mine, theirs]
    after = (len(audit_rows(db_path)), rows(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"])
    assert after == (before[0] + 1, before[1])  # the one new row: the refused CSRF, audited as every one is
    assert audit_rows(db_path, "treatment_cancelled") == []


def test_without_a_treatment_appointment_the_cancel_page_goes_back_to_the_private_page(app, db_path, clock):
    clock.set(CONSULTED)
    patient, _ = consented_patient(app, db_path, at=CONSULTED)

    asked = patient.get("/your-result/treatment/cancel")
    assert asked.status_code == 303 and asked.headers["Location"].endswith(RESULT_PATH)
    assert patient.get("/your-result/treatment.ics").status_code == 404
