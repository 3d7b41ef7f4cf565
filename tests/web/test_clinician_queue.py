"""The review queue and the cautions view: what is listed, in which order, the filters, the counts per state, and
keyset pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    CAUTION,
    CLEAR,
    DECLINE,
    DEFER,
    REVIEW_BOTH,
    REVIEW_FILLER,
    REVIEW_TOXIN,
    db_connection,
    quick_submission,
    record,
    rows,
    someone,
)
from tests.journeys import QUEUE_PATH, decide, submit_through_form
from tests.pages import listed_ids, next_page_href, shown_counts

# The clock runs on from here in every test (the clinician fixture sets it), so what a test stores some hours "ago"
# is older than what the pages store while it runs, whatever day the suite runs on.
NOW = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def clinician(clock, auth):
    clock.at(NOW)
    return auth.clinician()


def queue_ids(browser, **query) -> list[int]:
    page = browser.get(QUEUE_PATH, query_string=query)
    assert page.status_code == 200
    return listed_ids(page)


def test_queue_lists_pending_reviews_oldest_first_without_cautions_or_clears(app, db_path, clinician):
    _, from_form = submit_through_form(app, neuro_conditions=["multiple_sclerosis"])
    older = quick_submission(db_path, created_at=ago(hours=3), **REVIEW_TOXIN)
    newer = quick_submission(db_path, created_at=ago(hours=1), **REVIEW_FILLER)
    quick_submission(db_path, created_at=ago(hours=5), **CAUTION)
    quick_submission(db_path, created_at=ago(hours=6), **CLEAR)
    quick_submission(db_path, created_at=ago(hours=7), **DECLINE)
    quick_submission(db_path, created_at=ago(hours=8), **DEFER)

    assert queue_ids(clinician) == [older, newer, from_form]


def test_queue_any_level_puts_most_severe_first_then_oldest(db_path, clinician):
    clear = quick_submission(db_path, created_at=ago(hours=30), **CLEAR)
    caution = quick_submission(db_path, created_at=ago(hours=20), **CAUTION)
    review_old = quick_submission(db_path, created_at=ago(hours=10), **REVIEW_TOXIN)
    review_new = quick_submission(db_path, created_at=ago(hours=9), **REVIEW_TOXIN)
    defer = quick_submission(db_path, created_at=ago(hours=2), **DEFER)
    decline = quick_submission(db_path, created_at=ago(hours=1), **DECLINE)

    assert queue_ids(clinician, level="any", state="any") == [decline, defer, review_old, review_new, caution, clear]


def test_cautions_view_lists_caution_submissions_only(app, db_path, clinician):
    _, from_form = submit_through_form(app, upcoming_event="yes")
    older = quick_submission(db_path, created_at=ago(days=2), **CAUTION)
    quick_submission(db_path, **REVIEW_TOXIN)
    quick_submission(db_path, **CLEAR)

    page = clinician.get("/clinician/cautions")

    assert page.status_code == 200
    assert listed_ids(page) == [older, from_form]


@pytest.mark.parametrize(
    ("level", "kind"), [("caution", CAUTION), ("decline", DECLINE), ("defer", DEFER), ("clear", CLEAR)]
)
def test_queue_level_filter_lists_that_level_only(db_path, clinician, level, kind):
    wanted = quick_submission(db_path, **kind)
    for other in (REVIEW_TOXIN, CAUTION, DECLINE, DEFER, CLEAR):
        if other is not kind:
            quick_submission(db_path, **other)

    assert queue_ids(clinician, level=level, state="any") == [wanted]
    assert queue_ids(clinician, level=level, state="pending") == []


def test_queue_state_filter_follows_the_decision(db_path, clinician):
    approved = quick_submission(db_path, created_at=ago(hours=3), contact=someone(1), **REVIEW_TOXIN)
    declined = quick_submission(db_path, created_at=ago(hours=2), contact=someone(2), **REVIEW_TOXIN)
    waiting = quick_submission(db_path, created_at=ago(hours=1), contact=someone(3), **REVIEW_TOXIN)
    assert queue_ids(clinician) == [approved, declined, waiting]

    assert decide(clinician, approved, action="approve").status_code == 303
    assert decide(clinician, declined, action="decline", private_note="Neurologist advises against").status_code == 303

    assert queue_ids(clinician) == [waiting]
    assert queue_ids(clinician, state="pending") == [waiting]
    assert queue_ids(clinician, state="approved") == [approved]
    assert queue_ids(clinician, state="declined") == [declined]
    assert queue_ids(clinician, state="deferred") == []
    assert queue_ids(clinician, state="any") == [approved, declined, waiting]


def test_queue_treatment_filter(db_path, clinician):
    toxin = quick_submission(db_path, created_at=ago(hours=3), **REVIEW_TOXIN)
    filler = quick_submission(db_path, created_at=ago(hours=2), **REVIEW_FILLER)
    both = quick_submission(db_path, created_at=ago(hours=1), **REVIEW_BOTH)

    assert queue_ids(clinician, treatment="toxin") == [toxin, both]
    assert queue_ids(clinician, treatment="filler") == [filler, both]
    assert queue_ids(clinician, treatment="both") == [both]
    assert queue_ids(clinician, treatment="any") == [toxin, filler, both]


def test_queue_date_filter(db_path, clinician):
    def noon(days_ago: int) -> datetime:
        return (NOW - timedelta(days=days_ago)).replace(hour=12, minute=0, second=0, microsecond=0)

    ten = quick_submission(db_path, created_at=noon(10), **REVIEW_TOXIN)
    three = quick_submission(db_path, created_at=noon(3), **REVIEW_TOXIN)
    one = quick_submission(db_path, created_at=noon(1), **REVIEW_TOXIN)

    def day(days_ago: int) -> str:
        return noon(days_ago).date().isoformat()

    assert queue_ids(clinician, since=day(5)) == [three, one]
    assert queue_ids(clinician, until=day(5)) == [ten]
    assert queue_ids(clinician, since=day(3), until=day(3)) == [three]  # "to" includes its whole day
    assert queue_ids(clinician, since=day(10), until=day(1)) == [ten, three, one]


def test_queue_counts_per_state_match_the_database(db_path, clinician, clock):
    ids = [quick_submission(db_path, contact=someone(n), **REVIEW_TOXIN) for n in range(5)]
    quick_submission(db_path, **CAUTION)
    quick_submission(db_path, **CLEAR)
    tomorrow = (clock.today() + timedelta(days=10)).isoformat()
    assert decide(clinician, ids[0], action="approve").status_code == 303
    assert decide(clinician, ids[1], action="decline", private_note="Not suitable").status_code == 303
    assert (
        decide(clinician, ids[2], action="defer", defer_until=tomorrow, private_note="After the flare").status_code
        == 303
    )

    page = clinician.get(QUEUE_PATH)

    expected = {
        row["review_state"]: row["n"]
        for row in rows(
            db_path, "SELECT review_state, count(*) AS n FROM submission WHERE outcome = 'review' GROUP BY 1"
        )
    }
    assert expected == {"pending": 2, "approved": 1, "declined": 1, "deferred": 1}
    assert shown_counts(page) == {
        "Pending": 2,
        "Approved": 1,
        "Declined": 1,
        "Deferred": 1,
        "Information requested": 0,
    }


def test_queue_pages_have_no_overlap_and_no_gaps(db_path, clinician):
    tie = ago(hours=5)
    with db_connection(db_path) as db:
        same_moment = [record(db, created_at=tie, **REVIEW_TOXIN) for _ in range(30)]  # ties broken by id
        spread = [record(db, created_at=ago(minutes=n), **REVIEW_TOXIN) for n in range(30, 0, -1)]
        for _ in range(5):
            record(db, **REVIEW_FILLER)  # filtered out below
    expected = same_moment + spread

    seen: list[list[int]] = []
    href: str | None = QUEUE_PATH + "?treatment=toxin"
    while href is not None and len(seen) < 10:
        page = clinician.get(href)
        assert page.status_code == 200
        seen.append(listed_ids(page))
        href = next_page_href(page)
        if href is not None:
            assert "treatment=toxin" in href  # the filters go with the next page

    assert [len(ids) for ids in seen] == [25, 25, 10]
    flat = [submission_id for ids in seen for submission_id in ids]
    assert len(flat) == len(set(flat))
    assert flat == expected


def test_cautions_view_pages_through_all(db_path, clinician):
    with db_connection(db_path) as db:
        expected = [record(db, created_at=ago(minutes=n), **CAUTION) for n in range(27, 0, -1)]

    first = clinician.get("/clinician/cautions")
    second = clinician.get(next_page_href(first))

    assert listed_ids(first) + listed_ids(second) == expected
    assert next_page_href(second) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "2~x",
        "~~",
        "1~2~3~4",
        "2~2020-01-01T00:00:00.000000Z~notanumber",
        "99999999999999999999~2020-01-01T00:00:00.000000Z~1",  # beyond SQLite's 64-bit integers
    ],
)
@pytest.mark.parametrize("path", [QUEUE_PATH, "/clinician/cautions"])
def test_queue_garbage_cursor_does_not_crash(db_path, clinician, path, cursor):
    quick_submission(db_path, **REVIEW_TOXIN)
    quick_submission(db_path, **CAUTION)

    response = clinician.get(path, query_string={"after": cursor})

    assert response.status_code in (200, 400), response.status_code
