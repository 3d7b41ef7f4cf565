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


@pytest.mark.parametrize(
    ("typed", "month"),
    [
        ("enero", 1), ("ene", 1), ("febrero", 2), ("feb", 2), ("marzo", 3), ("mar", 3), ("abril", 4), ("abr", 4),
        ("mayo", 5), ("may", 5), ("junio", 6), ("jun", 6), ("julio", 7), ("jul", 7), ("agosto", 8), ("ago", 8),
        ("septiembre", 9), ("setiembre", 9), ("sept", 9), ("sep", 9), ("set", 9), ("octubre", 10), ("oct", 10),
        ("noviembre", 11), ("nov", 11), ("diciembre", 12), ("dic", 12),
        ("Junio", 6), ("DICIEMBRE", 12), ("dic.", 12), (" Ago ", 8),
    ],
)  # fmt: skip
def test_month_number_reads_spanish_month_names_and_abbreviations(typed, month):
    assert month_number(typed) == month


@pytest.mark.parametrize("typed", ["enro", "diciembr", "mes", "setiembr"])
def test_month_number_refuses_what_is_not_a_spanish_month_either(typed):
    assert month_number(typed) is None
