"""Month boxes that read names and numbers (screening.domain.dates); the listen address is in tests/test_settings.py."""

from __future__ import annotations

import pytest

from screening.domain.dates import month_number


@pytest.mark.parametrize(
    ("typed", "month"),
    [("6", 6), ("06", 6), ("June", 6), ("june", 6), ("JUNE", 6), ("Jun", 6), ("jun.", 6), ("sept", 9), ("Dec", 12)],
)
def test_month_box_accepts_numbers_names_and_abbreviations(typed, month):
    assert month_number(typed) == month


@pytest.mark.parametrize("typed", ["13", "0", "Juen", "J", "", "006", "Junes"])
def test_month_box_refuses_what_is_not_a_month(typed):
    assert month_number(typed) is None
