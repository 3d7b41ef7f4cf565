"""A clinic's week in a real browser at 1280 and 375 px, 0 axe violations on every page: the admin publishes a week
from the template, sees it as a grid (days side by side on a desk, one under another on a phone, never sideways),
withdraws two ticked slots in one go and is told of a template that makes no sense; the diary moves through weeks
and shows a card per appointment on a phone instead of a table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.browser_helpers import SIZES, PageChecks, clinician_signs_in
from tests.browser.clinic_day_journey import patient_books_soon
from tests.live_server import clinic_today

# How tall the slots page may be with a published week of 70 slots (it was 7,083 px at 1280 with 80 slots as rows).
TALLEST = {"desktop": 2500, "mobile": 6500}


def a_monday_weeks_ahead(weeks: int):
    today = clinic_today()
    return today + timedelta(days=7 * weeks - today.weekday())


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_a_week_of_slots_is_published_from_the_template_seen_as_a_grid_and_thinned(server, browser, size):
    checks = PageChecks(small_screen=size == "mobile")
    practitioner = f"Dr Grid {size.capitalize()}"
    monday = a_monday_weeks_ahead(4 if size == "desktop" else 5)
    context = browser.new_context(**SIZES[size], locale="en-GB")
    try:
        page = context.new_page()
        clinician_signs_in(page, server.url, checks)
        page.goto(server.url + "/clinician/admin/slots")
        checks(page)

        page.fill("#week", monday.isoformat())
        page.fill("#opens", "09:00")
        page.fill("#closes", "17:00")
        page.fill("#break_from", "13:00")
        page.fill("#break_until", "14:00")
        page.fill("#practitioner", practitioner)
        page.get_by_role("button", name="Publish the week").click()
        checks(page)
        assert page.url.endswith(f"?week={monday.isoformat()}"), page.url
        assert f"Published 70 slots with {practitioner} on Monday {monday.day}" in page.locator(".notice").inner_text()
        height = page.evaluate("document.documentElement.scrollHeight")
        print(f"slots page with a published week at {SIZES[size]['viewport']['width']} px: {height} px tall")
        assert height <= TALLEST[size], height
        assert "14 free, 0 booked" in page.locator(".week-grid__day").first.inner_text()

        first_day = page.locator(".week-grid__day").first
        first_day.locator("input[name=slots]").nth(0).check()
        first_day.locator("input[name=slots]").nth(1).check()
        page.get_by_role("button", name="Withdraw the ticked slots").click()
        checks(page)
        assert "Withdrew 2 slots." in page.locator(".notice").inner_text()
        assert "12 free, 0 booked, 2 withdrawn" in page.locator(".week-grid__day").first.inner_text()

        for day in range(5):
            page.uncheck(f"#days-{day}")
        page.get_by_role("button", name="Publish the week").click()
        checks(page)
        assert "Tick at least one day of the week" in page.locator(".error-summary").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_the_diary_moves_through_weeks_and_is_cards_on_a_phone(server, browser, size):
    checks = PageChecks(small_screen=size == "mobile")
    options = {**SIZES[size], "locale": "en-GB"}
    patient_books_soon(browser, server, options, f"Dr Diary {size.capitalize()}", checks)
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        clinician_signs_in(page, server.url, checks)
        page.goto(server.url + "/clinician/diary")
        checks(page)
        table, cards = page.locator(".diary-table").first, page.locator(".appointment-card").first
        if size == "mobile":
            assert cards.is_visible() and not table.is_visible()
        else:
            assert table.is_visible() and not cards.is_visible()

        page.get_by_role("link", name="Next week").click()
        checks(page)
        assert f"?week={(clinic_today() + timedelta(days=7)).isoformat()}" in page.url
        page.get_by_role("link", name="This week").click()
        checks(page)
        page.goto(server.url + "/clinician/diary?week=not-a-week")
        checks(page)
        assert "showing this week instead" in page.locator(".notice").inner_text()
        # This week's grid holds that booking: its name and its Withdraw… link pass the same checks.
        page.goto(server.url + "/clinician/admin/slots")
        checks(page)
        assert page.locator(".slot-list__withdraw").count() >= 1
    finally:
        context.close()
