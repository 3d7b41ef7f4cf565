"""The whole screening, and booking, with the keyboard alone: Tab to move, arrows and Space to choose, Enter to send."""

from __future__ import annotations

from tests.browser.browser_helpers import DETAILS, answer_step, press_button, tab_to, type_into
from tests.factories import answers_by_step


def test_screening_and_booking_with_the_keyboard_alone(server, desktop):
    page = desktop.new_page()
    steps = answers_by_step("both", has_allergies="yes", allergy_types=["other"], severe_allergy_history=["none"])
    page.goto(server.url + "/")

    press_button(page, "Start now")
    for _ in range(len(steps)):
        answer_step(page, steps[page.url.rsplit("/", 1)[-1]])
    type_into(page, "full_name", DETAILS["full_name"])
    type_into(page, "email", DETAILS["email"])
    press_button(page, "Continue")
    tab_to(page, "el.id === 'confirm'")
    page.keyboard.press("Space")
    type_into(page, "signature", DETAILS["full_name"])
    press_button(page, "Send my answers")

    assert page.locator("h1").inner_text().strip() == "You can book a consultation"
    tab_to(page, "el.name === 'day'")  # A day first, then a time on it
    page.keyboard.press("Space")
    press_button(page, "Continue")
    tab_to(page, "el.name === 'slot'")
    page.keyboard.press("Space")
    press_button(page, "Continue")
    press_button(page, "Confirm appointment")
    assert page.locator("h1").inner_text().strip() == "Your appointment is booked"


def test_skip_link_is_the_first_tab_stop_and_jumps_to_the_content(server, desktop):
    page = desktop.new_page()
    page.goto(server.url + "/")

    page.keyboard.press("Tab")

    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    page.wait_for_url("**/#main", timeout=5000)  # the jump may land a moment after the key on a busy machine
    assert page.url.endswith("#main")
