"""The booking gate as a truth table (screening.domain.booking)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from screening.domain.booking import (
    AWAITING_REVIEW,
    BOOKABLE,
    DECLINED,
    DEFERRED,
    EXPIRED,
    INFORMATION_REQUESTED,
    bookable_window,
    booking_gates,
)

SCREENED = date(2026, 11, 2)


def gates(treatments, *, state="none", approved=(), deferred_until=None, today=SCREENED, last_toxin=None, valid=30):
    return booking_gates(
        treatments=treatments,
        review_state=state,
        approved=frozenset(approved),
        deferred_until=deferred_until,
        screened_on=SCREENED,
        today=today,
        valid_days=valid,
        last_toxin_date=last_toxin,
    )


@pytest.mark.parametrize(
    ("treatments", "kwargs", "expected"),
    [
        # clear and caution may book at once
        ({"toxin": "clear"}, {}, [("toxin", BOOKABLE, None)]),
        ({"filler": "caution"}, {}, [("filler", BOOKABLE, None)]),
        # review waits for a clinician, whatever they decide
        ({"toxin": "review"}, {"state": "pending"}, [("toxin", AWAITING_REVIEW, None)]),
        ({"toxin": "review"}, {"state": "approved", "approved": ["toxin"]}, [("toxin", BOOKABLE, None)]),
        ({"toxin": "review"}, {"state": "information_requested"}, [("toxin", INFORMATION_REQUESTED, None)]),
        ({"toxin": "review"}, {"state": "declined"}, [("toxin", DECLINED, None)]),
        (
            {"toxin": "review"},
            {"state": "deferred", "deferred_until": date(2027, 1, 4)},
            [("toxin", DEFERRED, date(2027, 1, 4))],
        ),
        # an approval covers only the treatments approved
        (
            {"toxin": "review", "filler": "review"},
            {"state": "approved", "approved": ["filler"]},
            [("toxin", AWAITING_REVIEW, None), ("filler", BOOKABLE, None)],
        ),
        # a rule's defer tells the earliest date when one is known: toxin 90 days after the last
        (
            {"toxin": "defer"},
            {"last_toxin": SCREENED - timedelta(days=60)},
            [("toxin", DEFERRED, SCREENED + timedelta(days=30))],
        ),
        ({"filler": "defer"}, {}, [("filler", DEFERRED, None)]),
        # decline is final online; the other treatment stays bookable when its own outcome allows
        (
            {"toxin": "decline", "filler": "clear"},
            {},
            [("toxin", DECLINED, None), ("filler", BOOKABLE, None)],
        ),
        # the validity window: bookable on day 30, expired on day 31
        ({"toxin": "clear"}, {"today": SCREENED + timedelta(days=30)}, [("toxin", BOOKABLE, None)]),
        ({"toxin": "clear"}, {"today": SCREENED + timedelta(days=31)}, [("toxin", EXPIRED, None)]),
    ],
)
def test_booking_gates(treatments, kwargs, expected):
    got = gates(treatments, **kwargs)

    assert [(g.treatment, g.status, g.earliest) for g in got] == expected


def test_bookable_window_runs_from_today_to_the_end_of_validity():
    assert bookable_window(gates({"toxin": "clear"}), SCREENED) == (SCREENED, SCREENED + timedelta(days=30))


def test_bookable_window_is_none_when_nothing_is_bookable():
    assert bookable_window(gates({"toxin": "review"}, state="pending"), SCREENED) is None


def test_bookable_window_starts_no_earlier_than_the_toxin_interval_allows():
    # Clear on screening day 95 after the last toxin: the 90-day date has passed, so it does not hold booking back.
    last = SCREENED - timedelta(days=95)
    assert bookable_window(gates({"toxin": "clear"}, last_toxin=last), SCREENED)[0] == SCREENED
