"""The diary (a week at a time, this week from today; every clinician, the clinic's zone; cards on a phone), a
submission shows its appointment, and the clinic's notification address is emailed about new bookings and
cancellations (on by default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from screening import clock as app_clock
from screening import store
from tests.factories import (
    CAUTION,
    REVIEW_TOXIN,
    consult,
    db_connection,
    make_app,
    outbox,
    publish,
    publish_soon,
    publish_treatment,
    quick_submission,
    rows,
    signed_consent_row,
)
from tests.journeys import Auth, booked_patient, token_of
from tests.pages import page_text, post_form, tree


def diary_rows(page) -> list[str]:
    return [row.text().replace(" ,", ",") for row in tree(page).find_all("tr") if row.find_all("td")]


def test_every_clinician_sees_the_week_with_who_what_outcome_decision_and_cautions(app, db_path, clock, auth):
    clock.at(datetime(2025, 6, 4, 8, 0, tzinfo=UTC))  # a Wednesday morning in London, summer time
    _, submission_id, slot = booked_patient(
        app, db_path, now=clock.now(), name="Mary Seacole", **REVIEW_TOXIN, upcoming_event="yes"
    )
    clinician = auth.registered_clinician()  # not an admin
    page = clinician.get("/clinician/diary")
    assert page.status_code == 200
    (row,) = diary_rows(page)
    starts_at = rows(db_path, "SELECT starts_at FROM slot WHERE id = ?", [slot])[0]["starts_at"]
    local = app_clock.readable(starts_at, ZoneInfo("Europe/London")).split(", ")[-1]
    assert row.startswith(f"{local} Ada Mary Seacole, ")
    assert "Toxin: Forehead lines, Frown lines between the eyebrows" in row
    assert "review approved" in row
    assert "Event coming up" in row
    assert "not yet consulted" in row  # toxin, no consultation record yet
    assert f'href="/clinician/submissions/{submission_id}"' in page.get_data(as_text=True)
    headings = [h.text() for h in tree(page).find_all("h2")]
    # This week is today and the six days after it; the empty weekend is left out.
    assert headings == ["Today, 4 June", "Tomorrow, 5 June", "Friday, 6 June", "Monday, 9 June", "Tuesday, 10 June"]


def test_diary_is_in_the_clinic_zone(tmp_path, clock):
    clock.at(datetime(2025, 6, 4, 1, 0, tzinfo=UTC))  # 10:00am in Tokyo, still 2:00am in London
    app = make_app(tmp_path, CLINIC_TIMEZONE="Asia/Tokyo")
    db_path = tmp_path / "screening.sqlite3"
    _, _, slot = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = Auth(app).registered_clinician()
    starts_at = rows(db_path, "SELECT starts_at FROM slot WHERE id = ?", [slot])[0]["starts_at"]
    local = app_clock.readable(starts_at, ZoneInfo("Asia/Tokyo")).split(", ")[-1]
    (row,) = diary_rows(clinician.get("/clinician/diary"))
    assert row.startswith(local)


def test_a_clinician_can_filter_to_their_own_appointments(app, db_path, clock, auth):
    mine = publish_soon(db_path, 1, now=clock.now(), practitioner="Ada")[0]
    theirs = publish_soon(db_path, 1, now=clock.now(), hours_ahead=3, practitioner="Bo Nurse")[0]
    booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", slot=mine, **CAUTION)
    booked_patient(
        app, db_path, now=clock.now(), name="Edith Cavell", email="edith@example.org", slot=theirs, **CAUTION
    )
    clinician = auth.registered_clinician()
    everyone = " ".join(diary_rows(clinician.get("/clinician/diary")))
    own = " ".join(diary_rows(clinician.get("/clinician/diary?mine=1")))
    assert "Mary Seacole" in everyone and "Edith Cavell" in everyone
    assert "Mary Seacole" in own and "Edith Cavell" not in own


def test_clinic_is_emailed_about_new_bookings_and_cancellations(app, db_path, clock):
    patient, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    (booked,) = outbox(db_path, "clinic_booked")
    assert booked["to_addr"] == "clinic@localhost"
    assert f"/clinician/submissions/{submission_id}" in booked["body"]
    assert "Jane" not in booked["body"] and "Mary" not in booked["body"]  # no names in the clinic's email either

    patient.post("/your-result/cancel", data={"csrf_token": token_of(patient)})
    (cancelled,) = outbox(db_path, "clinic_cancelled")
    assert cancelled["subject"].startswith("Booking cancelled")


def test_the_notification_can_be_turned_off_and_sent_elsewhere(app, db_path, clock, auth):
    boss = auth.admin()
    settings = {
        "name": "Harbour Clinic",
        "address": "1 Quay Street, Bristol BS1 1AA",
        "phone": "0117 000 0000",
        "email": "hello@harbour.example",
        "contact": "Please phone us.",
        "notification_email": "diary@harbour.example",
        "notify_bookings": "y",
    }
    assert post_form(boss, "/clinician/admin/settings", settings).status_code == 303
    booked_patient(app, db_path, now=clock.now(), **CAUTION)
    assert [m["to_addr"] for m in outbox(db_path, "clinic_booked")] == ["diary@harbour.example"]

    assert post_form(boss, "/clinician/admin/settings", {**settings, "notify_bookings": ""}).status_code == 303
    booked_patient(app, db_path, now=clock.now(), name="Edith Cavell", email="edith@example.org", **CAUTION)
    assert len(outbox(db_path, "clinic_booked")) == 1


def test_diary_shows_the_consultation_state(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), treatment="filler")
    clinician = auth.registered_clinician()
    (row,) = diary_rows(clinician.get("/clinician/diary"))
    assert "not yet recorded" in row and "not yet consulted" not in row  # filler is not prescription-only
    assert page_text(clinician.get(f"/clinician/submissions/{submission_id}"))


# Weeks to move through, and cards on a phone

WEDNESDAY_MORNING = datetime(2025, 6, 4, 8, 0, tzinfo=UTC)


def test_the_diary_moves_through_weeks_with_previous_next_and_this_week(app, db_path, clock, auth):
    clock.at(WEDNESDAY_MORNING)
    booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    later = publish(db_path, 1, now=clock.now(), days_ahead=9)[0]  # Friday 13 June: next week
    booked_patient(app, db_path, now=clock.now(), name="Edith Cavell", email="edith@example.org", slot=later, **CAUTION)
    clinician = auth.registered_clinician()

    this_week = clinician.get("/clinician/diary")
    assert "Mary Seacole" in page_text(this_week) and "Edith Cavell" not in page_text(this_week)
    links = {a.text(): a.attrs.get("href") for a in tree(this_week).find_all("a") if "week" in a.text().lower()}
    assert links == {
        "Previous week": "/clinician/diary?week=2025-05-28",
        "Next week": "/clinician/diary?week=2025-06-11",
    }

    next_week = clinician.get(links["Next week"])
    assert next_week.status_code == 200
    assert "Edith Cavell" in page_text(next_week) and "Mary Seacole" not in page_text(next_week)
    assert tree(next_week).by_id("week-heading").text() == "Wednesday 11 to Tuesday 17 June 2025"
    back = {a.text(): a.attrs.get("href") for a in tree(next_week).find_all("a") if "week" in a.text().lower()}
    assert back["This week"] == "/clinician/diary" and back["Previous week"] == "/clinician/diary?week=2025-06-04"
    mine = {a.text(): a.attrs.get("href") for a in tree(next_week).find_all("a")}["Show only mine"]
    assert mine == "/clinician/diary?week=2025-06-11&mine=1"


@pytest.mark.parametrize("week", ["next", "2025-13-01", "9999-12-31", "0001-01-01", "2025-6-4", "%00", "2" * 200])
def test_a_week_that_is_not_a_date_shows_this_week_with_the_reason(clock, auth, week):
    clock.at(WEDNESDAY_MORNING)
    page = auth.registered_clinician().get("/clinician/diary", query_string={"week": week})

    assert page.status_code == 200
    assert "showing this week instead" in page_text(page)
    assert tree(page).by_id("week-heading").text() == "Wednesday 4 to Tuesday 10 June 2025"


def test_each_appointment_is_also_a_card_for_a_phone(app, db_path, clock, auth):
    clock.at(WEDNESDAY_MORNING)
    booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    booked_patient(app, db_path, now=clock.now(), name="Edith Cavell", email="edith@example.org", **CAUTION)
    page = auth.registered_clinician().get("/clinician/diary")

    cards = [card.text() for card in tree(page).find_all("li", **{"class": "appointment-card"})]
    assert len(cards) == len(diary_rows(page)) == 2
    assert "Mary Seacole" in cards[0] and "Edith Cavell" in cards[1]
    assert all("Treatment" in card and "Consultation" in card for card in cards)


def test_treatment_appointments_are_marked_consented_cooling_off_or_no_consent(db_path, clock, auth):
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday; clinic time is UTC in December
    people = {}
    for name, consulted_at in (("Ann", now - timedelta(days=5)), ("Bea", now), ("Cat", now)):
        clock.set(consulted_at)
        submission_id = quick_submission(db_path, "toxin", full_name=f"{name} Patient")
        with db_connection(db_path) as db:
            consultation_id = consult(db, submission_id)
            if name != "Cat":
                signed_consent_row(db, submission_id, consultation_id, None, "toxin", store.iso(consulted_at))
        people[name] = submission_id
    clock.set(now)
    slots = publish_treatment(db_path, now + timedelta(hours=3), 3)
    with db_connection(db_path) as db:
        for slot, submission_id in zip(slots, people.values(), strict=True):
            store.book_slot(
                db,
                submission_id=submission_id,
                slot_id=slot,
                treatments=["toxin"],
                audit=store.AuditEvent(action="treatment_booked", actor_role="patient"),
                kind="treatment",
            )

    ann, bea, cat = diary_rows(auth.registered_clinician().get("/clinician/diary"))
    assert "Ann Patient" in ann and ann.endswith("Treatment appointment: consented")
    assert "Bea Patient" in bea and bea.endswith(
        "Treatment appointment: cooling off until Thursday 3 December 2026, 9:00am"
    )
    assert "Cat Patient" in cat and cat.endswith("Treatment appointment: no consent")
