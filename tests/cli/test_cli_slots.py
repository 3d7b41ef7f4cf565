"""`screening slots add|list|cancel`: clinic-time input, no doubles, clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.cli_helpers import invoke
from tests.factories import rows

# Slots in the past are refused: every test here publishes days after this moment, whatever today is.
BEFORE_THE_SLOTS = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def instance_with_init(runner, tmp_path, clock):
    clock.set(BEFORE_THE_SLOTS)
    instance = tmp_path  # the folder of the test's app, which the CLI runner runs on
    assert invoke(runner, "init", "--instance", str(instance)).returncode == 0
    return instance


def test_slots_add_publishes_back_to_back_slots_in_clinic_time_and_never_twice(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    args = (
        "slots",
        "add",
        "--start",
        "2026-12-01T09:00",
        "--end",
        "2026-12-01T11:00",
        "--every",
        "30m",
        "--practitioner",
        "Dr Ada",
    )

    first, second = invoke(runner, *args), invoke(runner, *args)

    assert first.returncode == 0 and "published 4 slot(s) with Dr Ada" in first.stdout
    assert second.returncode == 0 and "published 0 slot(s)" in second.stdout
    stored = rows(instance / "screening.sqlite3", "SELECT starts_at, ends_at FROM slot ORDER BY starts_at")
    # Europe/London is on GMT in December: 09:00 local is 09:00Z.
    assert [s["starts_at"] for s in stored] == [
        "2026-12-01T09:00:00Z",
        "2026-12-01T09:30:00Z",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:30:00Z",
    ]
    assert stored[-1]["ends_at"] == "2026-12-01T11:00:00Z"


def test_slots_follow_the_clinic_time_zone_across_summer_time(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    # Summer time: 09:00 in London is 08:00Z.
    invoke(runner, "slots", "add", "--start", "2027-07-01T09:00", "--end", "2027-07-01T09:30")

    assert rows(instance / "screening.sqlite3", "SELECT starts_at FROM slot")[0]["starts_at"] == "2027-07-01T08:00:00Z"


def test_slots_cancel_withdraws_a_slot_and_unknown_ids_are_refused(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    invoke(runner, "slots", "add", "--start", "2026-12-01T09:00", "--end", "2026-12-01T10:00")

    cancelled = invoke(runner, "slots", "cancel", "1")
    unknown = invoke(runner, "slots", "cancel", "99")

    assert cancelled.returncode == 0 and "cancelled slot 1" in cancelled.stdout
    assert unknown.returncode == 1 and unknown.stderr.strip() == "screening: no slot has the id 99"
    assert (
        rows(instance / "screening.sqlite3", "SELECT count(*) AS n FROM slot WHERE cancelled_at IS NULL")[0]["n"] == 1
    )


def test_slots_add_refuses_bad_times_with_one_line_and_stores_nothing(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    for args, message in [
        (("--start", "2026-12-01T09:00", "--end", "2026-12-01T08:00"), "the end must be after the start"),
        (("--start", "tomorrow", "--end", "2026-12-01T08:00"), "'tomorrow' is not a date and time"),
        (("--start", "2026-12-01T09:00", "--end", "2026-12-01T17:00", "--every", "2 days"), "is not an interval"),
        (("--start", "2026-12-01T09:00", "--end", "2026-12-01T09:10", "--every", "30m"), "no slot of that length"),
    ]:
        refused = invoke(runner, "slots", "add", *args)
        assert refused.returncode == 1, args
        assert message in refused.stderr and "Traceback" not in refused.stderr
    assert rows(instance / "screening.sqlite3", "SELECT count(*) AS n FROM slot")[0]["n"] == 0


def test_slots_list_shows_free_and_booked(runner, tmp_path, clock):
    instance_with_init(runner, tmp_path, clock)
    listed = invoke(runner, "slots", "list")

    assert listed.returncode == 0 and listed.stdout.strip().endswith("0 slot(s), 0 free")


def test_slots_add_across_several_days_publishes_within_the_daily_hours_and_says_so(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    published = invoke(
        runner, "slots", "add", "--start", "2026-12-14T09:00", "--end", "2026-12-18T17:00", "--every", "30m"
    )

    assert published.returncode == 0, published.stderr
    stored = rows(instance / "screening.sqlite3", "SELECT starts_at, ends_at FROM slot ORDER BY starts_at")
    assert len(stored) == 5 * 16  # Monday to Friday, 9:00am to 5:00pm, half-hour slots
    # December in London is GMT: every slot starts and ends within 09:00-17:00 on its own day.
    assert all(s["starts_at"][11:16] >= "09:00" and s["ends_at"][11:16] <= "17:00" for s in stored)
    assert {s["starts_at"][:10] for s in stored} == {f"2026-12-{day}" for day in range(14, 19)}
    assert "published 80 slot(s) on 5 day(s), 9:00am to 5:00pm each day; 0 existed already" in published.stdout
    for day in ("Monday 14", "Tuesday 15", "Wednesday 16", "Thursday 17", "Friday 18"):
        assert f"{day} December 2026: 9:00am to 5:00pm, 16 slot(s)" in published.stdout


def test_slots_add_across_days_refuses_daily_hours_that_end_before_they_start(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    refused = invoke(runner, "slots", "add", "--start", "2026-12-14T17:00", "--end", "2026-12-18T09:00")

    assert refused.returncode == 1 and "the end must be after the start" in refused.stderr
    assert "5:00pm to 9:00am" in refused.stderr and "Traceback" not in refused.stderr
    assert rows(instance / "screening.sqlite3", "SELECT count(*) AS n FROM slot")[0]["n"] == 0


def test_slots_cancel_refuses_an_id_too_large_for_any_slot_with_one_line(runner, tmp_path, clock):
    instance_with_init(runner, tmp_path, clock)
    refused = invoke(runner, "slots", "cancel", str(2**70))

    assert refused.returncode != 0 and "Traceback" not in refused.stderr and "OverflowError" not in refused.stderr
    assert "SLOT_ID" in refused.stderr


def test_slots_add_refuses_a_year_far_from_now_with_one_line(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    for start, end in [("0001-01-01T09:00", "0001-01-01T10:00"), ("9999-12-31T09:00", "9999-12-31T10:00")]:
        refused = invoke(runner, "slots", "add", "--start", start, "--end", end)
        assert refused.returncode == 1 and "from 2000 to 2100" in refused.stderr, refused.stderr
    assert rows(instance / "screening.sqlite3", "SELECT count(*) AS n FROM slot")[0]["n"] == 0


def test_slots_add_publishes_treatment_slots_when_asked(runner, tmp_path, clock):
    instance = instance_with_init(runner, tmp_path, clock)
    common = ("slots", "add", "--start", "2026-12-01T09:00", "--every", "30m")

    consultation = invoke(runner, *common, "--end", "2026-12-01T10:00")
    treatment = invoke(
        runner, *common[:3], "2026-12-02T09:00", *common[4:], "--end", "2026-12-02T10:00", "--kind", "treatment"
    )
    unknown = invoke(
        runner, *common[:3], "2026-12-03T09:00", *common[4:], "--end", "2026-12-03T10:00", "--kind", "surgery"
    )

    assert consultation.returncode == 0 and "published 2 slot(s)" in consultation.stdout
    assert treatment.returncode == 0 and "published 2 treatment slot(s)" in treatment.stdout
    assert unknown.returncode != 0
    stored = rows(instance / "screening.sqlite3", "SELECT starts_at, kind FROM slot ORDER BY starts_at")
    assert [(s["starts_at"][:10], s["kind"]) for s in stored] == [
        ("2026-12-01", "consultation"),
        ("2026-12-01", "consultation"),
        ("2026-12-02", "treatment"),
        ("2026-12-02", "treatment"),
    ]
