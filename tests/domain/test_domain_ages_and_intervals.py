"""Ages around birthdays (spec 1.2) and the 90-day toxin interval (rule toxin_within_90_days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from screening.domain.questionnaire import age_in_years
from screening.domain.rules import readable_date
from tests.factories import SCREENING_DATE, answers_for, evaluate


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        # The day before the 18th birthday: still 17.
        (date(2007, 3, 11), date(2025, 3, 10), 17),
        # On the 18th birthday: 18.
        (date(2007, 3, 10), date(2025, 3, 10), 18),
        # Born 29 February: on 28 February of a non-leap year the birthday has not come yet.
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        # ... and on 1 March of a non-leap year it has.
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        # In a leap year the birthday is 29 February itself.
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        # The 65th birthday boundary.
        (date(1960, 3, 11), date(2025, 3, 10), 64),
        (date(1960, 3, 10), date(2025, 3, 10), 65),
        # The 22nd birthday boundary for lip filler.
        (date(2003, 3, 11), date(2025, 3, 10), 21),
        (date(2003, 3, 10), date(2025, 3, 10), 22),
        # Later month, earlier day: the birthday has passed.
        (date(1990, 1, 31), date(2025, 3, 1), 35),
        # Born on the screening date.
        (date(2025, 3, 10), date(2025, 3, 10), 0),
    ],
)
def test_age_in_years_counts_completed_years(born, on, age):
    assert age_in_years(born, on) == age


@pytest.mark.parametrize(
    ("born", "on", "treatment", "overrides", "fired"),
    [
        # The day before the 18th birthday: declined.
        ("2007-03-11", date(2025, 3, 10), "toxin", {}, {"age_under_18"}),
        # On the 18th birthday: not declined.
        ("2007-03-10", date(2025, 3, 10), "toxin", {}, set()),
        # Born 29 February 2008: still 17 on 28 February 2026 ...
        ("2008-02-29", date(2026, 2, 28), "filler", {}, {"age_under_18"}),
        # ... and 18 on 1 March 2026.
        ("2008-02-29", date(2026, 3, 1), "filler", {}, set()),
        # 64, the day before the 65th birthday: no age caution.
        ("1960-03-11", date(2025, 3, 10), "toxin", {}, set()),
        # On the 65th birthday: caution.
        ("1960-03-10", date(2025, 3, 10), "toxin", {}, {"toxin_age_65_plus"}),
        # Lip filler at 21, the day before the 22nd birthday: caution.
        ("2003-03-11", date(2025, 3, 10), "filler", {"filler_areas": ["lips"]}, {"filler_lip_age_under_22"}),
        # Lip filler on the 22nd birthday: nothing.
        ("2003-03-10", date(2025, 3, 10), "filler", {"filler_areas": ["lips"]}, set()),
        # Born 29 February 2004, lip filler: still 21 on 28 February 2026 ...
        ("2004-02-29", date(2026, 2, 28), "filler", {"filler_areas": ["lips"]}, {"filler_lip_age_under_22"}),
        # ... and 22 on 1 March 2026.
        ("2004-02-29", date(2026, 3, 1), "filler", {"filler_areas": ["lips"]}, set()),
    ],
)
def test_age_rules_change_on_the_birthday(born, on, treatment, overrides, fired):
    evaluation = evaluate(answers_for(treatment, date_of_birth=born, **overrides), on=on)
    assert set(evaluation.rule_ids) == fired


def test_readable_date_is_weekday_day_month_year_without_padding():
    assert readable_date(date(2025, 6, 7)) == "Saturday 7 June 2025"
    assert readable_date(date(2025, 12, 25)) == "Thursday 25 December 2025"
    assert readable_date(date(2024, 2, 29)) == "Thursday 29 February 2024"


def last_toxin(days_ago: int, on: date = SCREENING_DATE) -> dict:
    return {"previous_toxin": "yes", "last_toxin_date": (on - timedelta(days=days_ago)).isoformat()}


@pytest.mark.parametrize(
    ("days_ago", "fires"),
    [
        # Same day as the last treatment: far too soon.
        (0, True),
        (1, True),
        # 89 days: one day short.
        (89, True),
        # Exactly 90 days: allowed.
        (90, False),
        (91, False),
        (365, False),
    ],
)
def test_toxin_within_90_days_defers_below_90_days_only(days_ago, fires):
    evaluation = evaluate(answers_for("toxin", **last_toxin(days_ago)))

    assert ("toxin_within_90_days" in evaluation.rule_ids) is fires
    assert evaluation.outcome == ("defer" if fires else "clear")


@pytest.mark.parametrize(
    ("last", "on", "bookable_from"),
    [
        # 89 days before 10 March 2025: bookable from the next day.
        ("2024-12-11", date(2025, 3, 10), "Tuesday 11 March 2025"),
        # Treated the day before: 90 days on.
        ("2025-03-09", date(2025, 3, 10), "Saturday 7 June 2025"),
        # Treated on the screening date itself.
        ("2025-03-10", date(2025, 3, 10), "Sunday 8 June 2025"),
        # Across a leap day: 1 December 2023 + 90 days is 29 February 2024.
        ("2023-12-01", date(2024, 2, 28), "Thursday 29 February 2024"),
    ],
)
def test_toxin_within_90_days_message_gives_the_first_bookable_date(last, on, bookable_from):
    evaluation = evaluate(answers_for("toxin", previous_toxin="yes", last_toxin_date=last), on=on)

    assert evaluation.rule_ids == ["toxin_within_90_days"]
    expected = (
        f"Anti-wrinkle treatments need to be at least 3 months (90 days) apart. You can book from {bookable_from}."
    )
    assert evaluation.fired[0].message == expected
    assert evaluation.messages == (expected,)
    assert bookable_from == readable_date(date.fromisoformat(last) + timedelta(days=90))


def test_toxin_within_90_days_never_fires_for_a_filler_only_request():
    # previous_toxin and last_toxin_date are hidden for filler; stale answers saying "10 days ago" are dropped.
    evaluation = evaluate(answers_for("filler", **last_toxin(10)))

    assert evaluation.rule_ids == []
    assert evaluation.outcome == "clear"


def test_toxin_within_90_days_with_both_defers_toxin_and_leaves_filler_clear():
    evaluation = evaluate(answers_for("both", **last_toxin(10)))

    assert evaluation.rule_ids == ["toxin_within_90_days"]
    assert evaluation.outcome == "defer"
    assert evaluation.treatments == {"toxin": "defer", "filler": "clear"}
    # Treated on 28 February 2025: bookable 90 days later.
    assert evaluation.messages == (
        "Anti-wrinkle treatments need to be at least 3 months (90 days) apart. You can book from Thursday 29 May 2025.",
    )
