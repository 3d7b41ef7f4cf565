"""Doing things the way a patient or a clinician does them in a browser, and checking each page as we go."""

from __future__ import annotations

from datetime import date
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from tests.browser.live_server import ADMIN_EMAIL, ADMIN_PASSWORD

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
TITLE_SUFFIX = " – Our clinic health screening"
DETAILS = {"full_name": "Sam Patient", "email": "sam@example.org"}
_axe = Axe()

# Interactive things a finger has to hit; links inside sentences are exempt (WCAG 2.5.8 "inline").
TAP_TARGETS_JS = """() => [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, .back-link, .nav a, .header__name, .skip-link:focus')]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const r = el.getBoundingClientRect();
    return {id: el.id || el.className || el.tagName, w: r.width, h: r.height};
  })
  .filter(box => box.w < 24 || box.h < 24)"""


class PageChecks:
    """Checks run on every page a journey visits: axe (WCAG 2.x A and AA), a title that says where you are, and,
    on a small screen, no sideways scrolling and big enough tap targets."""

    def __init__(self, small_screen: bool = False, *, scripts: bool = True):
        self.small_screen = small_screen
        self.scripts = scripts  # axe runs as script in the page: with JavaScript off, the JS-on journeys cover it
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        page.wait_for_load_state("load")
        title = page.title()
        assert title.endswith(TITLE_SUFFIX) and len(title) > len(TITLE_SUFFIX) + 3, title
        if self.scripts:
            results = _axe.run(
                page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
            )
            violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]
            assert violations == [], f"axe on {page.url}: {violations}"
        if self.small_screen:
            width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"
            assert page.evaluate(TAP_TARGETS_JS) == [], f"small tap targets on {page.url}"
        self.visited.append(page.url)


def fill_step(page, answers: dict[str, Any]) -> None:
    """Answer one step by clicking and typing, in question order (so revealed questions are there to answer)."""
    for question, value in answers.items():
        if isinstance(value, list):
            for option in value:
                page.check(f"#{question}-{option}")
        elif isinstance(value, date):
            page.fill(f"#{question}-day", str(value.day))
            page.fill(f"#{question}-month", str(value.month))
            page.fill(f"#{question}-year", str(value.year))
        elif page.locator(f"textarea#{question}").count():
            page.fill(f"#{question}", value)
        else:
            page.check(f"#{question}-{value}")


def complete_screening(page, base_url: str, steps: dict[str, dict[str, Any]], checks: PageChecks) -> None:
    """From the start page to the result page, checking every page on the way."""
    page.goto(base_url + "/")
    checks(page)
    page.get_by_role("button", name="Start now").click()
    for _ in range(len(steps)):
        checks(page)
        fill_step(page, steps[page.url.rsplit("/", 1)[-1]])
        page.get_by_role("button", name="Continue").click()
    checks(page)
    page.fill("#full_name", DETAILS["full_name"])
    page.fill("#email", DETAILS["email"])
    page.get_by_role("button", name="Continue").click()
    declare(page, checks)


def declare(page, checks: PageChecks) -> None:
    checks(page)
    page.check("#confirm")
    page.fill("#signature", DETAILS["full_name"])
    page.get_by_role("button", name="Send my answers").click()
    checks(page)


def book_first_slot(page, checks: PageChecks) -> str:
    if page.locator("input[name=day]").count():  # A day first, then a time on that day
        page.locator("input[name=day]").first.check()
        page.get_by_role("button", name="Continue").click()
        checks(page)
    first = page.locator("input[name=slot]").first
    label = page.locator(f"label[for='{first.get_attribute('id')}']").inner_text()
    first.check()
    page.get_by_role("button", name="Continue").click()
    checks(page)
    page.get_by_role("button", name="Confirm appointment").click()
    checks(page)
    return label


def clinician_signs_in(page, base_url: str, checks: PageChecks) -> None:
    page.goto(base_url + "/clinician/login")
    checks(page)
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    checks(page)
