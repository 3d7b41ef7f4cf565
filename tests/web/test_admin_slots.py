"""Withdrawing a booked slot asks for confirmation and a reason and the patient's email says it
kindly and offers rebooking; the Slots page groups by day and names who booked; slots in the past or overlapping the
same practitioner's slots are refused with a clear message (page and CLI); publishing says what was added."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.cli_helpers import run_cli
from tests.factories import CAUTION, outbox, rows
from tests.journeys import booked_patient, token_of
from tests.pages import location, page_text, post_form, tree

SLOTS = "/clinician/admin/slots"


def slot_count(db_path) -> int:
    return rows(db_path, "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NULL")[0]["n"]


def publish(client, day: str, start: str, end: str, practitioner: str = "Dr Ada"):
    return post_form(
        client, SLOTS, {"day": day, "start": start, "end": end, "every": "30m", "practitioner": practitioner}
    )


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
    assert "Published 2 slots with Dr Ada, " in page and "9:00am to 10:00am" in page


def test_a_slot_in_the_past_is_refused_on_the_page_and_nothing_is_published(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    response = publish(boss, yesterday, "09:00", "10:00")
    assert response.status_code == 400
    error = tree(response).by_id("start-error").text()
    assert "is in the past" in error and "nothing was published" in error
    assert slot_count(db_path) == 0


def test_an_overlapping_slot_of_the_same_practitioner_is_refused(db_path, clock, auth):
    clock.at(MORNING)
    boss = auth.admin()
    day = next_week(clock.today())
    assert publish(boss, day, "09:00", "10:00").status_code == 303
    overlapping = publish(boss, day, "09:15", "09:45")
    assert overlapping.status_code == 400
    assert "overlap 2 of Dr Ada's published slot(s)" in tree(overlapping).by_id("start-error").text()
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
    assert day_headings == ["Wednesday 4 June 2025"]
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
