"""Publishing a week of slots from a template and withdrawing many at once, as the clinic service does them for the
admin's page and the CLI: the clinic's own hours on each day (across a change of the clocks too), the break left
free, nonsense refused naming the field, existing slots skipped and counted; a withdrawn selection is one
transaction, one audit event a slot, and every booked patient emailed as a single withdrawal emails them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from screening import store
from screening.db import connect
from screening.errors import FieldError
from screening.services import clinic
from tests.factories import CAUTION, outbox, publish_soon, rows
from tests.journeys import booked_patient

LONDON = ZoneInfo("Europe/London")
# Before the weeks these tests publish, whatever today is: 1 March 2026.
EARLY_MARCH = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
# Monday 23 March 2026; the clocks go forward in London early on Sunday 29 March.
CHANGE_WEEK = date(2026, 3, 23)


@pytest.fixture
def admin_db(app, db_path, clock):
    clock.set(EARLY_MARCH)
    db = connect(db_path)
    yield db
    db.close()


def week(db, **changes):
    values = {
        "first_day": CHANGE_WEEK,
        "last_day": CHANGE_WEEK + timedelta(days=6),
        "weekdays": range(5),
        "opens": time(9, 0),
        "closes": time(17, 0),
        "break_from": time(13, 0),
        "break_until": time(14, 0),
        "every": timedelta(minutes=30),
        "practitioner": "Dr Ada",
        **changes,
    }
    return clinic.publish_schedule(db, store.SYSTEM, LONDON, **values)


def test_a_week_follows_the_clinic_clock_across_the_change_to_summer_time(admin_db, db_path):
    published = week(admin_db, weekdays=[5, 6], break_from=None, break_until=None, closes=time(10, 0))

    stored = [r["starts_at"] for r in rows(db_path, "SELECT starts_at FROM slot ORDER BY starts_at")]
    # Saturday is still GMT (9:00am is 09:00Z); on Sunday 9:00am is British Summer Time, 08:00Z.
    assert stored == [
        "2026-03-28T09:00:00Z",
        "2026-03-28T09:30:00Z",
        "2026-03-29T08:00:00Z",
        "2026-03-29T08:30:00Z",
    ]
    assert published.day_lines() == [
        "Saturday 28 March 2026: 9:00am to 10:00am, 2 slot(s)",
        "Sunday 29 March 2026: 9:00am to 10:00am, 2 slot(s)",
    ]


def test_the_break_is_left_free_and_only_the_ticked_days_are_published(admin_db, db_path):
    published = week(admin_db, weekdays=[0, 2])

    assert published.added == 2 * 14  # 9:00am to 5:00pm without 1:00pm to 2:00pm is 14 half hours
    starts = [r["starts_at"] for r in rows(db_path, "SELECT starts_at FROM slot ORDER BY starts_at")]
    assert {s[:10] for s in starts} == {"2026-03-23", "2026-03-25"}
    assert not [s for s in starts if "13:00" <= s[11:16] < "14:00"]
    assert published.describe() == (
        "Published 28 slots with Dr Ada on Monday 23 and Wednesday 25 March 2026,"
        " 9:00am to 5:00pm, break 1:00pm to 2:00pm each day."
    )


def test_slots_that_exist_already_are_skipped_and_counted(admin_db, db_path):
    week(admin_db, weekdays=[0])
    again = week(admin_db, weekdays=[0, 1])

    assert (again.added, again.existed) == (14, 14)
    assert "14 existed already and were skipped." in again.describe()
    assert again.day_lines()[0].endswith("0 slot(s) (14 existed already)")
    assert rows(db_path, "SELECT count(*) AS n FROM slot")[0]["n"] == 28


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"closes": time(8, 0)}, "closes", "the end must be after the start (9:00am to 8:00am each day)"),
        ({"weekdays": []}, "days", "tick at least one day"),
        ({"break_from": time(8, 0), "break_until": time(9, 30)}, "break_from", "must be within the opening hours"),
        ({"break_from": time(16, 30), "break_until": time(17, 30)}, "break_from", "must be within the opening hours"),
        ({"break_from": time(14, 0), "break_until": time(13, 0)}, "break_until", "the break must end after it starts"),
        ({"break_until": None}, "break_until", "give both the start and the end of the break"),
        ({"first_day": date(2026, 2, 23), "last_day": date(2026, 3, 1)}, "week", "is in the past"),
        (
            {"every": timedelta(hours=8), "break_from": None, "break_until": None, "closes": time(16, 0)},
            "closes",
            "no slot of that length",
        ),
    ],
)
def test_nonsense_is_refused_naming_the_field_and_nothing_is_published(admin_db, db_path, changes, field, words):
    with pytest.raises(FieldError) as refused:
        week(admin_db, **changes)

    assert refused.value.field == field and words in refused.value.message
    assert rows(db_path, "SELECT count(*) AS n FROM slot")[0]["n"] == 0


def test_withdrawing_a_selection_is_one_post_an_audit_event_a_slot_and_every_booked_patient_told(app, db_path, clock):
    clock.at(datetime(2025, 6, 4, 8, 0, tzinfo=UTC))
    _, first_patient, first_slot = booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    _, second_patient, second_slot = booked_patient(
        app, db_path, now=clock.now(), name="Edith Cavell", email="edith@example.org", **CAUTION
    )
    free = publish_soon(db_path, 1, now=clock.now(), hours_ahead=9)[0]
    db = connect(db_path)
    try:
        with pytest.raises(FieldError) as refused:
            clinic.withdraw_slots(db, app.config, store.SYSTEM, [first_slot, free])
        assert refused.value.field == "reason" and "1 of the chosen slots is booked" in refused.value.message
        assert rows(db_path, "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NOT NULL")[0]["n"] == 0

        done = clinic.withdraw_slots(
            db, app.config, store.SYSTEM, [first_slot, second_slot, free, 99999], "The practitioner is unwell."
        )
    finally:
        db.close()

    assert (done.withdrawn, done.cancelled_bookings, done.not_found) == (3, 2, 1)
    cancelled = rows(db_path, "SELECT id FROM slot WHERE cancelled_at IS NOT NULL ORDER BY id")
    assert [r["id"] for r in cancelled] == sorted([first_slot, second_slot, free])
    events = rows(db_path, "SELECT object_id FROM audit_event WHERE action = 'slot_cancelled' ORDER BY object_id")
    assert [int(e["object_id"]) for e in events] == sorted([first_slot, second_slot, free])
    told = {m["to_addr"]: m["body"] for m in outbox(db_path, "cancelled")}
    assert set(told) == {"mary@example.org", "edith@example.org"}
    assert all("The practitioner is unwell." in body and "choose another time" in body for body in told.values())
    reasons = rows(db_path, "SELECT submission_id, cancel_reason FROM booking ORDER BY submission_id")
    assert {r["submission_id"]: r["cancel_reason"] for r in reasons} == {
        first_patient: "The practitioner is unwell.",
        second_patient: "The practitioner is unwell.",
    }


def test_withdrawing_nothing_is_refused(app, db_path):
    db = connect(db_path)
    try:
        with pytest.raises(FieldError) as refused:
            clinic.withdraw_slots(db, app.config, store.SYSTEM, [])
    finally:
        db.close()
    assert refused.value.field == "slots" and "choose at least one slot" in refused.value.message


def test_a_week_of_treatment_slots_keeps_its_kind_and_an_unknown_kind_is_refused(admin_db, db_path):
    week(admin_db, weekdays=[0], break_from=None, break_until=None, closes=time(10, 0), kind="treatment")
    assert {r["kind"] for r in rows(db_path, "SELECT kind FROM slot")} == {"treatment"}
    (event,) = rows(db_path, "SELECT detail FROM audit_event WHERE action = 'slots_added'")
    assert json.loads(event["detail"]) == {"added": 2, "kind": "treatment"}
    with pytest.raises(FieldError) as refused:
        week(admin_db, weekdays=[1], kind="surgery")
    assert refused.value.field == "kind"
    assert len(rows(db_path, "SELECT id FROM slot")) == 2
