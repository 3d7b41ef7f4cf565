"""What a treatment record may say about the product: amounts as written, a maximum per session, a batch's expiry
against the treatment's date, the 12 weeks between toxin treatments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from screening.domain.products import amount_words, expired, over_maximum, parse_amount, toxin_too_soon


@pytest.mark.parametrize(
    ("text", "amount"),
    [("4", Decimal("4")), (" 2.5 ", Decimal("2.5")), ("0,55", Decimal("0.55")), ("1000", Decimal("1000"))],
)
def test_an_amount_is_a_positive_number_as_written(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["", "0", "-1", "ten", "1e3", "NaN", "Infinity", "1000.01", "0.555", "1" * 13])
def test_anything_else_is_no_amount(text):
    assert parse_amount(text) is None


def test_amounts_read_without_trailing_zeros():
    assert amount_words(Decimal("32.00"), "units") == "32 units"
    assert amount_words(1.5, "ml") == "1.5 ml"
    assert amount_words(30.0, "units") == "30 units"


def test_the_maximum_is_exceeded_only_above_it_and_only_where_there_is_one():
    assert over_maximum(Decimal("32"), 30) and not over_maximum(Decimal("30"), 30)
    assert not over_maximum(Decimal("500"), None)


def test_a_batch_may_be_used_on_its_expiry_day_and_not_after():
    assert not expired(date(2026, 12, 3), date(2026, 12, 3))
    assert expired(date(2026, 12, 3), date(2026, 12, 4))


def test_toxin_sooner_than_12_weeks_is_named_newest_first():
    today = date(2026, 12, 4)
    earlier = [date(2026, 6, 1), date(2026, 9, 11), date(2026, 9, 12), date(2026, 11, 20)]
    assert toxin_too_soon(earlier, today) == [date(2026, 11, 20), date(2026, 9, 12)]  # 11 September is 12 weeks
