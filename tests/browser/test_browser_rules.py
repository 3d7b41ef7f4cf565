"""The rules catalogue and "try a case" in a real browser: 0 axe violations, usable with the keyboard, and no
sideways scrolling at 375 px."""

from __future__ import annotations

from tests.browser.browser_helpers import (
    DRAFT,
    PageChecks,
    choose_radio,
    clinician_signs_in,
    fill_step,
    in_form_order,
    press_button,
    tab_to,
)


def visit_catalogue_and_try_a_case(page, base_url: str, checks: PageChecks) -> None:
    clinician_signs_in(page, base_url, checks)
    page.get_by_role("link", name="Rules", exact=True).click()
    checks(page)
    assert page.locator("section.rule").count() == 45
    # Search with the keyboard alone: Tab to the box, type, Enter.
    tab_to(page, "el.id === 'q'")
    page.keyboard.type("keloid")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    checks(page)
    assert page.locator("section.rule").count() == 1
    assert "Fires when dermal filler is asked for" in page.locator("#rule-filler_keloid").inner_text()
    page.get_by_role("link", name="Try a case").click()
    checks(page)
    page.fill("#screening_date", "2026-03-10")
    fill_step(page, in_form_order("toxin", heart_condition="yes"))
    page.fill("#draft_overrides", DRAFT)
    press_button(page, "See the result")
    checks(page)
    result = page.locator(".try-result").inner_text()
    assert "The current rules" in result and "CAUTION" in result.upper()
    assert "With the draft overrides" in result and "clinic override: raised from caution to review" in result


def test_catalogue_and_try_a_case_on_a_desktop(desktop, server):
    checks = PageChecks()
    visit_catalogue_and_try_a_case(desktop.new_page(), server.url, checks)
    assert len(checks.visited) >= 5


def test_catalogue_and_try_a_case_on_a_phone(mobile, server):
    checks = PageChecks(small_screen=True)
    visit_catalogue_and_try_a_case(mobile.new_page(), server.url, checks)


def test_try_a_case_with_the_keyboard_alone(desktop, server):
    page = desktop.new_page()
    checks = PageChecks()
    clinician_signs_in(page, server.url, checks)
    page.goto(server.url + "/clinician/rules/try")
    choose_radio(page, "treatment_requested", "filler")
    tab_to(page, "el.id === 'filler_areas-lips'")
    page.keyboard.press("Space")
    choose_radio(page, "cold_sore_now", "yes")
    press_button(page, "See the result")
    checks(page)
    result = page.locator(".try-result").inner_text()
    assert "active_cold_sore_perioral" in result  # fired on what was given; the rest counts as unanswered
    assert "Some answers are missing or not valid" in result
