"""The whole screening, and booking, with the keyboard alone: Tab to move, arrows and Space to choose, Enter to send."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.browser.browser_helpers import DETAILS
from tests.web.web_helpers import answers_by_step


def tab_to(page, condition: str, limit: int = 150) -> None:
    """Press Tab until the focused element satisfies `condition` (JavaScript over `el`); fail if it never does."""
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const el = document.activeElement; return Boolean({condition}); }})()"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached an element where {condition}")


def choose_radio(page, name: str, value: str) -> None:
    tab_to(page, f"el.name === {name!r}")  # a radio group is one tab stop
    for _ in range(12):
        if page.evaluate("document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowDown")  # moves through the group, choosing as it goes
    page.keyboard.press("Space")
    assert page.is_checked(f"input[name={name!r}][value={value!r}]")


def type_into(page, element_id: str, text: str) -> None:
    tab_to(page, f"el.id === {element_id!r}")
    page.keyboard.type(text)


def press_button(page, label: str) -> None:
    tab_to(page, f"el.tagName === 'BUTTON' && el.textContent.includes({label!r})")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def answer_step(page, answers: dict[str, Any]) -> None:
    for question, value in answers.items():
        if isinstance(value, list):
            for option in value:
                tab_to(page, f"el.id === '{question}-{option}'")
                page.keyboard.press("Space")
        elif isinstance(value, date):
            for part, number in (("day", value.day), ("month", value.month), ("year", value.year)):
                type_into(page, f"{question}-{part}", str(number))
        elif page.locator(f"textarea#{question}").count():
            type_into(page, question, value)
        else:
            choose_radio(page, question, value)
    press_button(page, "Continue")


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
