"""Withdrawing a booked slot asks for confirmation and a reason and the patient's email says it
kindly and offers rebooking; the Slots page groups by day and names who booked; slots in the past or overlapping the
same practitioner's slots are refused with a clear message (page and CLI); publishing says what was added."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.cli_helpers import run_cli
from tests.factories import CAUTION, outbox, rows
from tests.journeys import booked_patient, token_of
from tests.pages import location, page_text, post_form, tree

SLOTS = "/clinician/admin/slots"


def slot_count(db_path) -> int:
    return rows(db_path, "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NULL")[0]["n"]


def publish(client, day: str, start: str, end: str, practitioner: str = "Dr Ada"):
    """The week template with only `day` ticked, from `start` to `end`."""
    weekday = str(date.fromisoformat(day).weekday())
    template = {
        "week": day,
        "days": weekday,
        "opens": start,
        "closes": end,
        "every": "30m",
        "practitioner": practitioner,
    }
    return post_form(client, SLOTS, template)


# The page tests run on from this morning (a Wednesday in June, summer time in London), whatever day it is.
MORNING = datetime(2025, 6, 4, 8, 0, tzinfo=UTC)


def next_week(today: date) -> str:
    return (today + timedelta(days=7)).isoformat()


def test_publishing_says_what_was_added(clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    response = publish(boss, next_week(clock.today()), "09:00", "10:00")
    assert response.status_code == 303
    page = page_text(boss.get(SLOTS))
    assert "Published 2 slots with Dr Ada on " in page and "9:00am to 10:00am" in page


def test_a_slot_in_the_past_is_refused_on_the_page_and_nothing_is_published(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    response = publish(boss, yesterday, "09:00", "10:00")
    assert response.status_code == 400
    error = tree(response).by_id("week-error").text()
    assert "is in the past" in error and "nothing was published" in error
    assert slot_count(db_path) == 0


def test_an_overlapping_slot_of_the_same_practitioner_is_refused(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    day = next_week(clock.today())
    assert publish(boss, day, "09:00", "10:00").status_code == 303
    overlapping = publish(boss, day, "09:15", "09:45")
    assert overlapping.status_code == 400
    assert "overlap 2 of Dr Ada's published slot(s)" in tree(overlapping).by_id("week-error").text()
    assert slot_count(db_path) == 2
    assert publish(boss, day, "09:15", "09:45", practitioner="Bo Nurse").status_code == 303  # someone else
    assert publish(boss, day, "09:00", "10:00").status_code == 303  # the same run again adds nothing
    assert slot_count(db_path) == 3


def test_the_cli_refuses_past_and_overlapping_slots_with_one_line(tmp_path, clock):
    # The installed command runs in a subprocess, on the wall clock: the clock is left at real time, so its today is
    # the command's today.
    instance = tmp_path / "instance"
    assert run_cli(instance, "init", "--instance", str(instance)).returncode == 0
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    past = run_cli(instance, "slots", "add", "--start", f"{yesterday}T09:00", "--end", f"{yesterday}T10:00")
    assert past.returncode == 1 and "is in the past" in past.stderr and "Traceback" not in past.stderr
    day = next_week(clock.today())
    ok = run_cli(instance, "slots", "add", "--start", f"{day}T09:00", "--end", f"{day}T10:00", "--practitioner", "Ada")
    assert ok.returncode == 0 and "published 2 slot(s) with Ada" in ok.stdout and "9:00am to 10:00am" in ok.stdout
    clash = run_cli(
        instance, "slots", "add", "--start", f"{day}T09:15", "--end", f"{day}T09:45", "--practitioner", "Ada"
    )
    assert clash.returncode == 1 and "overlap 2 of Ada's published slot(s)" in clash.stderr
    assert rows(instance / "screening.sqlite3", "SELECT count(*) AS n FROM slot")[0]["n"] == 2


def test_the_slots_page_groups_by_day_and_names_who_booked(app, db_path, clock, auth):
    clock.at(MORNING)
    booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    boss = auth.admin()
    page = boss.get(SLOTS)
    day_headings = [h.text() for h in tree(page).find_all("h3")]
    assert len(day_headings) == 7 and day_headings[0].startswith("Wed 4 Jun")
    assert "Mary Seacole" in page_text(page)
    assert "button--warning" not in page.get_data(as_text=True)  # no row of red buttons


def test_withdrawing_a_booked_slot_asks_for_confirmation_and_a_reason(app, db_path, clock, auth):
    clock.at(MORNING)
    patient, submission_id, slot = booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    boss = auth.admin()

    one_click = boss.post(f"{SLOTS}/{slot}/cancel", data={"csrf_token": token_of(boss)})
    assert one_click.status_code == 303 and location(one_click) == f"{SLOTS}/{slot}/withdraw"
    assert rows(db_path, "SELECT count(*) AS n FROM booking WHERE cancelled_at IS NULL")[0]["n"] == 1

    confirm = boss.get(f"{SLOTS}/{slot}/withdraw")
    assert "booked by Mary Seacole" in page_text(confirm)
    no_reason = post_form(boss, f"{SLOTS}/{slot}/withdraw", {"reason": " "})
    assert no_reason.status_code == 400
    assert "Enter a reason" in tree(no_reason).by_id("reason-error").text()
    assert rows(db_path, "SELECT count(*) AS n FROM booking WHERE cancelled_at IS NULL")[0]["n"] == 1

    done = post_form(boss, f"{SLOTS}/{slot}/withdraw", {"reason": "The practitioner is unwell that day."})
    assert done.status_code == 303
    (booking,) = rows(db_path, "SELECT * FROM booking")
    assert booking["cancelled_by"] == "clinic" and booking["cancel_reason"] == "The practitioner is unwell that day."
    mail = outbox(db_path, "cancelled")[-1]
    assert mail["to_addr"] == "mary@example.org"
    assert "We're very sorry" in mail["body"] and "The practitioner is unwell that day." in mail["body"]
    assert "choose another time" in mail["body"] and "/r/" in mail["body"]
    assert outbox(db_path, "clinic_cancelled")
    assert "the clinic had to cancel your appointment" in page_text(patient.get("/your-result"))


def test_the_cli_needs_a_reason_to_withdraw_a_booked_slot(app, db_path, tmp_path, clock):
    # The command runs in a subprocess, on the wall clock: the clock is left at real time, so the slot is as far ahead
    # for the command as it is for the pages.
    _, _, slot = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    instance = db_path.parent
    (instance / "config.py").write_text(f"SECRET_KEY = {'x' * 40!r}\nPUBLIC_URL = 'https://screening.clinic.example'\n")
    refused = run_cli(instance, "slots", "cancel", str(slot))
    assert refused.returncode == 1 and "give --reason" in refused.stderr
    assert rows(db_path, "SELECT count(*) AS n FROM booking WHERE cancelled_at IS NULL")[0]["n"] == 1
    done = run_cli(instance, "slots", "cancel", str(slot), "--reason", "Closed for a burst pipe")
    assert done.returncode == 0, done.stderr
    assert rows(db_path, "SELECT cancel_reason FROM booking")[0]["cancel_reason"] == "Closed for a burst pipe"


# A week from a template, the week grid and withdrawing many slots at once

NEXT_MONDAY = "2025-06-09"  # after MORNING
WEEKDAYS_ONLY = ["0", "1", "2", "3", "4"]


def week_template(**changes) -> dict:
    return {
        "week": NEXT_MONDAY,
        "days": WEEKDAYS_ONLY,
        "opens": "09:00",
        "closes": "17:00",
        "break_from": "13:00",
        "break_until": "14:00",
        "every": "30m",
        "practitioner": "Dr Ada",
        **changes,
    }


def test_a_week_is_published_from_a_template_in_one_form(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    response = post_form(boss, SLOTS, week_template())

    assert response.status_code == 303 and location(response) == f"{SLOTS}?week={NEXT_MONDAY}"
    assert slot_count(db_path) == 5 * 14  # Monday to Friday, 9:00am to 5:00pm less the hour's break
    # June in London is summer time: 1:00pm to 2:00pm is 12:00Z to 13:00Z, left free.
    assert not rows(db_path, "SELECT id FROM slot WHERE substr(starts_at, 12, 5) BETWEEN '12:00' AND '12:59'")
    page = page_text(boss.get(location(response)))
    assert (
        "Published 70 slots with Dr Ada on Monday 9, Tuesday 10, Wednesday 11, Thursday 12 and Friday 13 June 2025,"
        " 9:00am to 5:00pm, break 1:00pm to 2:00pm each day." in page
    )
    assert "14 free, 0 booked" in page


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"opens": "17:00", "closes": "09:00"}, "closes", "The end must be after the start"),
        ({"days": []}, "days", "Tick at least one day of the week"),
        ({"break_from": "08:00", "break_until": "09:30"}, "break_from", "must be within the opening hours"),
        ({"break_until": ""}, "break_until", "Give both the start and the end of the break"),
        ({"week": "2025-05-26"}, "week", "is in the past"),
        ({"week": "9999-12-31"}, "week", "between the years 2000 and 2100"),
        ({"week": "next week"}, "week", "Enter the week's first day, for example"),
        ({"opens": "25:00"}, "opens", "Enter the opening time, like 09:00"),
        ({"days": ["7"]}, "days", "is not a valid choice"),
    ],
)
def test_a_template_that_makes_no_sense_is_refused_on_its_field_and_nothing_is_published(
    db_path, clock, auth, changes, field, words
):
    clock.at(MORNING)
    boss = auth.admin()
    response = post_form(boss, SLOTS, week_template(**changes))

    assert response.status_code == 400
    assert words in tree(response).by_id(f"{field}-error").text()
    assert slot_count(db_path) == 0


def test_publishing_a_week_again_says_how_many_were_skipped(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    post_form(boss, SLOTS, week_template(days=["0"]))
    again = post_form(boss, SLOTS, week_template(days=["0", "1"]))

    told = page_text(boss.get(location(again)))
    assert "Published 14 slots" in told and "14 existed already and were skipped." in told
    assert slot_count(db_path) == 28


def grid_ids(db_path, day: str) -> list[int]:
    return [
        r["id"]
        for r in rows(db_path, "SELECT id FROM slot WHERE substr(starts_at, 1, 10) = ? ORDER BY starts_at", [day])
    ]


def test_the_grid_withdraws_a_selection_in_one_post_and_counts_what_is_withdrawn(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    post_form(boss, SLOTS, week_template(days=["0", "1"]))
    monday = grid_ids(db_path, NEXT_MONDAY)
    page = f"{SLOTS}?week={NEXT_MONDAY}"

    done = post_form(boss, f"{SLOTS}/withdraw-selected", {"slots": monday[:3], "week": NEXT_MONDAY}, page)

    assert done.status_code == 303 and location(done) == page
    assert "Withdrew 3 slots." in page_text(boss.get(page))
    assert "11 free, 0 booked, 3 withdrawn" in page_text(boss.get(page))
    events = rows(db_path, "SELECT object_id FROM audit_event WHERE action = 'slot_cancelled'")
    assert sorted(int(e["object_id"]) for e in events) == monday[:3]

    nothing = post_form(boss, f"{SLOTS}/withdraw-selected", {"week": NEXT_MONDAY}, page)
    assert nothing.status_code == 400 and "Choose at least one slot" in page_text(nothing)


def test_the_grid_withdraws_a_whole_day_and_a_booked_one_needs_the_reason(app, db_path, clock, auth):
    clock.at(MORNING)
    _, _, booked = booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    today = clock.today().isoformat()
    boss = auth.admin()
    post_form(
        boss, SLOTS, week_template(week=today, days=["2"], opens="15:00", closes="16:00", break_from="", break_until="")
    )
    day_slots = rows(db_path, "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NULL")[0]["n"]
    assert day_slots == 3  # the booked slot this morning, and two this afternoon

    refused = post_form(boss, f"{SLOTS}/withdraw-selected", {"day": today, "week": today}, SLOTS)
    assert refused.status_code == 400
    assert "1 of the chosen slots is booked: enter a reason" in tree(refused).by_id("reason-error").text()
    assert slot_count(db_path) == 3

    done = post_form(
        boss, f"{SLOTS}/withdraw-selected", {"day": today, "week": today, "reason": "The clinic is closed."}, SLOTS
    )
    assert done.status_code == 303
    assert slot_count(db_path) == 0
    assert "1 patient's appointment was cancelled" in page_text(boss.get(location(done)))
    (mail,) = outbox(db_path, "cancelled")
    assert mail["to_addr"] == "mary@example.org" and "The clinic is closed." in mail["body"]
    assert rows(db_path, "SELECT cancelled_by FROM booking WHERE slot_id = ?", [booked])[0]["cancelled_by"] == "clinic"


@pytest.mark.parametrize("week", ["soon", "2025-02-30", "9999-12-31", "1-1-1", "2025-06-09T00:00"])
def test_a_week_that_is_not_a_date_shows_this_week_with_the_reason(clock, auth, week):
    clock.at(MORNING)
    page = auth.admin().get(f"{SLOTS}?week={week}")

    assert page.status_code == 200
    assert "showing this week instead" in page_text(page)
    assert tree(page).by_id("week-heading").text().startswith("Wednesday 4 to Tuesday 10 June 2025")


@pytest.mark.parametrize(
    "values",
    [
        {"slots": ["abc"]},
        {"slots": ["-1"]},
        {"slots": [str(2**70)]},
        {"slots": ["1", "1", "1"], "reason": "x" * 501},
        {"day": "9999-12-31"},
        {"day": "0001-01-01"},
        {"day": "soon"},
        {"week": "9999-12-31", "slots": ["1"]},
    ],
)
def test_hostile_withdrawals_get_a_clear_answer_and_change_nothing(db_path, clock, auth, values):
    clock.at(MORNING)
    boss = auth.admin()
    post_form(boss, SLOTS, week_template(days=["0"]))
    response = post_form(boss, f"{SLOTS}/withdraw-selected", values, SLOTS)

    assert response.status_code in (303, 400), response.status_code
    assert "incident" not in page_text(boss.get(SLOTS)).lower()
    withdrawn = rows(db_path, "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NOT NULL")[0]["n"]
    assert withdrawn == (1 if values == {"week": "9999-12-31", "slots": ["1"]} else 0)


def test_withdrawing_many_needs_the_csrf_token_and_an_admin(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    post_form(boss, SLOTS, week_template(days=["0"]))
    ids = grid_ids(db_path, NEXT_MONDAY)

    assert boss.post(f"{SLOTS}/withdraw-selected", data={"slots": ids}).status_code == 400  # no token
    nurse = auth.registered_clinician()
    refused = post_form(nurse, f"{SLOTS}/withdraw-selected", {"slots": ids}, "/clinician/diary")
    assert refused.status_code == 403
    assert rows(db_path, "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NOT NULL")[0]["n"] == 0


def test_the_grid_names_the_practitioner_when_the_week_has_several_and_links_a_booking_to_its_withdrawal(
    app, db_path, clock, auth
):
    clock.at(MORNING)
    _, _, booked = booked_patient(app, db_path, now=clock.now(), name="Mary Seacole", **CAUTION)
    boss = auth.admin()
    one = page_text(boss.get(SLOTS))
    post_form(boss, SLOTS, week_template(week=clock.today().isoformat(), days=["3"], practitioner="Bo Nurse"))
    several = tree(boss.get(SLOTS))

    assert "Bo Nurse" not in one
    shown = [who.text() for who in several.find_all("p") if "slot-list__who" in who.classes]
    assert "Bo Nurse" in shown and "Ada" in shown  # said, not only to screen readers
    withdraw = [a for a in several.find_all("a") if a.attrs.get("href") == f"{SLOTS}/{booked}/withdraw"]
    assert len(withdraw) == 1 and "Mary Seacole's appointment" in withdraw[0].text()


def test_the_admin_publishes_treatment_slots_and_the_week_marks_them(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    day = next_week(clock.today())
    weekday = str(date.fromisoformat(day).weekday())
    template = {"week": day, "days": weekday, "opens": "09:00", "closes": "10:00", "every": "30m", "kind": "treatment"}
    assert post_form(boss, SLOTS, template).status_code == 303
    assert [r["kind"] for r in rows(db_path, "SELECT kind FROM slot")] == ["treatment", "treatment"]
    assert "9:00am treatment" in page_text(boss.get(f"{SLOTS}?week={day}"))
