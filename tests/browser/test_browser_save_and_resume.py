"""Save and finish later in a real browser, keyboard only, at 1280 and 375 px with 0 axe violations and no sideways
scroll: a patient answers two steps on one device and asks for a link; on another device (a second browser context,
no session) the emailed link asks for the date of birth and lands on the third step with the answers kept; the
screening is finished there; the link does not work a second time."""

from __future__ import annotations

import itertools
import re
import time
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest

from tests.browser.browser_helpers import DETAILS, SIZES, PageChecks, answer_step, press_button, tab_to, type_into
from tests.factories import BASELINE_DOB, answers_by_step
from tests.live_server import LiveServer

_SAVERS = itertools.count(1)
FIRST_TWO = ("about-you", "pregnancy")


def emailed_resume_link(server: LiveServer, email: str) -> str:
    """The link in the email the served clinic wrote to its outbox folder (no mail server is set)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in sorted((Path(server.folder) / "outbox").glob("*.eml")):
            parsed = message_from_bytes(message.read_bytes(), policy=email_policy.default)
            if parsed["To"] == email and "Finish your health questions" in parsed["Subject"]:
                return re.search(r"(http://\S+/continue/\S+)", parsed.get_content()).group(1)
        time.sleep(0.2)
    raise AssertionError(f"no link to finish later was written for {email}")


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_save_on_one_device_and_finish_on_another_with_the_keyboard(server, browser, size):
    checks = PageChecks(small_screen=size == "mobile")
    steps = answers_by_step("toxin")
    email = f"saver{next(_SAVERS)}-{size}@example.org"
    first = browser.new_context(**SIZES[size])
    second = browser.new_context(**SIZES[size])
    later = browser.new_context(**SIZES[size])
    try:
        page = first.new_page()
        page.goto(server.url + "/")
        checks(page)
        press_button(page, "Start now")
        for slug in FIRST_TWO:
            assert page.url.endswith(f"/questions/{slug}"), page.url
            checks(page)
            answer_step(page, steps[slug])
        checks(page)
        third = page.url
        press_button(page, "Save and finish later")
        checks(page)
        assert page.locator("h1").inner_text().strip() == "Save your answers and finish later"
        assert "Your answers so far are saved." in page.locator("main").inner_text()
        type_into(page, "email", email)
        press_button(page, "Email me a link")
        checks(page)
        told = page.locator("main").inner_text()
        assert "If that address is right, a link is on its way" in told and "within 24 hours" in told

        link = emailed_resume_link(server, email)
        phone = second.new_page()
        phone.goto(link)
        checks(phone)
        assert phone.locator("h1").inner_text().strip() == "Carry on with your saved answers"
        for part, number in (("day", BASELINE_DOB.day), ("month", BASELINE_DOB.month), ("year", BASELINE_DOB.year)):
            type_into(phone, f"date_of_birth-{part}", str(number))
        press_button(phone, "Carry on")
        checks(phone)
        assert phone.url == third  # the first step not yet answered
        assert "Your answers are back" in phone.locator(".notice").inner_text()
        for _ in range(len(steps) - len(FIRST_TWO)):
            answer_step(phone, steps[phone.url.rsplit("/", 1)[-1]])
            checks(phone)
        type_into(phone, "full_name", DETAILS["full_name"])
        type_into(phone, "email", email)
        press_button(phone, "Continue")
        checks(phone)
        tab_to(phone, "el.id === 'confirm'")
        phone.keyboard.press("Space")
        type_into(phone, "signature", DETAILS["full_name"])
        press_button(phone, "Send my answers")
        checks(phone)
        # the first two steps were answered on the first device only: a complete screening proves they came along
        assert phone.url.endswith("/your-result")
        assert phone.locator("h1").inner_text().strip() == "You can book a consultation"

        again = later.new_page()
        again.goto(link)
        checks(again)
        assert again.locator("h1").inner_text().strip() == "This link has expired: start again"
    finally:
        for context in (first, second, later):
            context.close()
