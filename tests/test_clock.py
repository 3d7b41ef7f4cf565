"""The clock's pure helpers: a length of time in the words a patient reads (how long a link or a draft lasts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from screening import clock


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(days=7), "7 days"),
        (timedelta(days=2), "2 days"),
        (timedelta(hours=24), "24 hours"),  # one day reads better as the hours it is
        (timedelta(hours=36), "36 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(days=400), "400 days"),
        (timedelta(days=1500), "1,500 days"),
    ],
)
def test_a_span_in_words(span, words):
    assert clock.span_in_words(span) == words
