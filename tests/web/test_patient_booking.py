"""Booking from the patient's private page: the gate, choosing and confirming, cancelling, races, the calendar."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from screening import store
from tests.factories import (
    REVIEW_TOXIN,
    active_bookings,
    db_connection,
    publish,
    rows,
)
from tests.journeys import RESULT_PATH, book, decide, offered, submit_through_form, token_of
from tests.pages import csrf_token, elements, page_text

CLINICAL_WORDS = ("toxin", "botulinum", "filler", "allerg", "pregnan", "sclerosis", "review", "caution", "rule")


def test_clear_patient_books_a_free_slot_and_gets_a_calendar_file(app, db_path, clock):
    slots = publish(db_path, now=clock.now())
    patient, submission_id = submit_through_form(app, "toxin")

    assert offered(patient) == slots
    booked = book(patient, slots[1])

    assert booked.status_code == 303
    page = patient.get(RESULT_PATH)
    assert "Your appointment is booked" in page_text(page)
    assert offered(patient) == []
    (booking,) = active_bookings(db_path)
    assert (booking["slot_id"], booking["submission_id"], booking["treatments"]) == (
        slots[1],
        submission_id,
        '["toxin"]',
    )
    calendar = patient.get("/your-result/appointment.ics")
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    text = calendar.get_data(as_text=True)
    assert "BEGIN:VEVENT" in text and "DTSTART:" in text and text.endswith("END:VCALENDAR\r\n")
    assert not any(word in text.lower() for word in CLINICAL_WORDS)


def test_review_patient_is_offered_nothing_and_cannot_book_until_a_clinician_approves(app, db_path, clock, auth):
    slots = publish(db_path, now=clock.now())
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)

    assert offered(patient) == []
    assert "A clinician will look at your answers" in page_text(patient.get(RESULT_PATH))
    forced = patient.post("/your-result/book", data={"slot": str(slots[0]), "csrf_token": token_of(patient)})
    assert forced.status_code == 303 and active_bookings(db_path) == []

    clinician = auth.admin()
    assert decide(clinician, submission_id, action="approve").status_code == 303

    assert offered(patient) == slots
    assert book(patient, slots[0]).status_code == 303
    assert [b["submission_id"] for b in active_bookings(db_path)] == [submission_id]


def test_patient_cancels_then_rebooks_another_time(app, db_path, clock):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "filler")
    book(patient, slots[0])

    cancelled = patient.post("/your-result/cancel", data={"csrf_token": token_of(patient)})

    assert cancelled.status_code == 303
    assert active_bookings(db_path) == []
    assert offered(patient) == slots  # the cancelled time is free again
    book(patient, slots[2])
    assert [b["slot_id"] for b in active_bookings(db_path)] == [slots[2]]
    assert [r["cancelled_by"] for r in rows(db_path, "SELECT cancelled_by FROM booking ORDER BY id")] == [
        "patient",
        None,
    ]


def test_a_screening_holds_one_appointment_at_a_time(app, db_path, clock):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "toxin")
    confirm_second = patient.get(f"/your-result/book?slot={slots[1]}")
    book(patient, slots[0])

    again = patient.post("/your-result/book", data={"slot": str(slots[1]), "csrf_token": csrf_token(confirm_second)})

    assert again.status_code == 303
    assert [b["slot_id"] for b in active_bookings(db_path)] == [slots[0]]


def test_screening_is_bookable_for_its_validity_window_only(app, db_path, clock):
    publish(db_path, now=clock.now(), days_ahead=40)
    patient, _ = submit_through_form(app, "toxin")
    assert offered(patient) == []  # slots beyond the 30 days are not offered

    clock.set(clock() + timedelta(days=31))
    page = page_text(patient.get(RESULT_PATH))

    assert "Please fill in the health questions again" in page
    assert "Fill in the questions again" in page


def test_patient_deferred_for_recent_toxin_is_told_the_date_they_can_come_back(app, clock):
    clock.at(datetime(2025, 6, 4, 10, 0, tzinfo=UTC))
    last = clock.today() - timedelta(days=60)
    patient, _ = submit_through_form(
        app, "toxin", previous_toxin="yes", last_toxin_date=last, previous_adverse_reaction="no"
    )
    page = page_text(patient.get(RESULT_PATH))

    back_from = last + timedelta(days=90)
    readable = f"{back_from:%A} {back_from.day} {back_from:%B %Y}"
    assert "It's best to wait before treatment" in page
    assert f"You can book from {readable}" in page  # the rule's own message
    assert f"You can fill in the questions again from {readable}" in page
    assert offered(patient) == []


def test_with_both_treatments_the_one_still_allowed_stays_bookable(app, db_path, clock):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "both", neuro_conditions=["myasthenia_gravis"])

    assert offered(patient) == slots
    book(patient, slots[0])

    assert active_bookings(db_path)[0]["treatments"] == '["filler"]'


def test_slot_withdrawn_by_the_clinic_cancels_its_booking_and_the_patient_is_told(app, db_path, clock, auth):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "toxin")
    book(patient, slots[0])
    admin = auth.admin()

    # A booked slot is withdrawn only after confirming, with a reason the patient reads.
    confirm = admin.get(f"/clinician/admin/slots/{slots[0]}/withdraw")
    withdrawn = admin.post(
        f"/clinician/admin/slots/{slots[0]}/withdraw",
        data={"csrf_token": csrf_token(confirm), "reason": "The practitioner is unwell."},
    )

    assert withdrawn.status_code == 303
    assert active_bookings(db_path) == []
    page = page_text(patient.get(RESULT_PATH))
    assert "the clinic had to cancel your appointment" in page
    assert offered(patient) == slots[1:]


@pytest.mark.parametrize("round_", range(3))
def test_many_patients_racing_for_one_slot_get_exactly_one_booking(app, db_path, round_, clock):
    (slot,) = publish(db_path, now=clock.now(), count=1)
    patients = [submit_through_form(app, "toxin")[0] for _ in range(6)]
    confirmations = [(p, csrf_token(p.get(f"/your-result/book?slot={slot}"))) for p in patients]
    barrier = threading.Barrier(len(confirmations))
    statuses: list[int] = []

    def attempt(patient, token):
        barrier.wait()
        statuses.append(patient.post("/your-result/book", data={"slot": str(slot), "csrf_token": token}).status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in confirmations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [303] * len(patients)  # every patient is answered; the losers are told to choose again
    assert len(active_bookings(db_path)) == 1


def test_store_allows_one_active_booking_per_slot_against_concurrent_connections(app, db_path, clock):
    (slot,) = publish(db_path, now=clock.now(), count=1)
    submissions = [submit_through_form(app, "toxin")[1] for _ in range(8)]
    barrier = threading.Barrier(len(submissions))
    outcomes: list[str] = []

    def attempt(submission_id):
        with db_connection(db_path) as db:
            barrier.wait()
            try:
                store.book_slot(
                    db,
                    submission_id=submission_id,
                    slot_id=slot,
                    treatments=["toxin"],
                    audit=store.AuditEvent(action="booking_created", actor_role="patient"),
                )
                outcomes.append("booked")
            except store.SlotTaken:
                outcomes.append("taken")

    threads = [threading.Thread(target=attempt, args=(s,)) for s in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked"] + ["taken"] * 7
    assert len(active_bookings(db_path)) == 1


def test_booking_and_cancelling_are_audited_without_patient_details(app, db_path, clock):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "toxin")
    book(patient, slots[0])
    patient.post("/your-result/cancel", data={"csrf_token": token_of(patient)})

    events = rows(db_path, "SELECT action, actor_role, object_type FROM audit_event WHERE object_type = 'booking'")

    assert [(e["action"], e["actor_role"]) for e in events] == [
        ("booking_created", "patient"),
        ("booking_cancelled", "patient"),
    ]


def _withdraw(admin, slot_id: int) -> None:
    confirm = admin.get(f"/clinician/admin/slots/{slot_id}/withdraw")
    admin.post(
        f"/clinician/admin/slots/{slot_id}/withdraw",
        data={"csrf_token": csrf_token(confirm), "reason": "The practitioner is unwell."},
    )


def test_after_cancelling_her_own_appointment_the_page_no_longer_tells_an_older_clinic_cancellation(
    app, db_path, clock, auth
):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "toxin")
    book(patient, slots[0])
    _withdraw(auth.admin(), slots[0])  # the clinic cancels the first appointment
    book(patient, slots[1])

    confirm = patient.get("/your-result/cancel")
    assert confirm.status_code == 200
    assert "Are you sure you want to cancel your appointment" in page_text(confirm)
    assert active_bookings(db_path) != []  # asking changes nothing
    patient.post("/your-result/cancel", data={"csrf_token": csrf_token(confirm)})

    page = page_text(patient.get(RESULT_PATH))
    assert active_bookings(db_path) == []
    assert "the clinic had to cancel" not in page
    assert "You cancelled your appointment on" in page


def test_cancelling_asks_once_on_a_page_of_its_own_and_keeping_it_changes_nothing(app, db_path, clock):
    slots = publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "toxin")
    book(patient, slots[0])

    result = patient.get(RESULT_PATH)
    (link,) = [a for a in elements(result, "a") if a.get("href") == "/your-result/cancel"]
    confirm = patient.get(link["href"])
    text = page_text(confirm)
    assert "Are you sure you want to cancel your appointment" in text and "No, keep it" in text
    (form,) = [f for f in elements(confirm, "form") if f.get("action") == "/your-result/cancel"]
    assert form["method"] == "post"

    refused = patient.post("/your-result/cancel", data={})  # no CSRF token: nothing is cancelled
    assert refused.status_code == 400
    assert [b["slot_id"] for b in active_bookings(db_path)] == [slots[0]]


def test_the_cancel_confirmation_without_an_appointment_goes_back_to_the_page(app, db_path, clock):
    publish(db_path, now=clock.now())
    patient, _ = submit_through_form(app, "toxin")

    answer = patient.get("/your-result/cancel")

    assert answer.status_code == 303 and answer.headers["Location"].endswith(RESULT_PATH)
