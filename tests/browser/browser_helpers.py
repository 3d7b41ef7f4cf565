"""Doing things the way a patient or a clinician does them in a browser, and checking each page as we go."""

from __future__ import annotations

import itertools
import shutil
from datetime import date
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from screening.domain import load_ruleset
from screening.services.rules.rulebook import DEFAULT_RULES_DIR
from tests.factories import answers_by_step
from tests.live_server import ADMIN_EMAIL, ADMIN_PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's chromium, found on PATH (Playwright's own browser download cannot run here)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


SIZES = {  # the two sizes every journey is tried at, as Playwright's new_context takes them
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "mobile": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
TITLE_SUFFIX = " – Our clinic health screening"
DETAILS = {"full_name": "Sam Patient", "email": "sam@example.org"}
# Each screening is a different patient: a clinician's defer or decline of one would otherwise hold every later
# screening with the same email and date of birth for a clinician, as it holds the same person's.
_PATIENTS = itertools.count(1)
_axe = Axe()

# Interactive things a finger has to hit; links inside sentences are exempt (WCAG 2.5.8 "inline").
TOO_WIDE_JS = """() => [...document.querySelectorAll('main *')]
    .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(0, 8).map(el => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`)"""  # what a phone must scroll to
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

    def __init__(self, small_screen: bool = False, *, scripts: bool = True, title_suffixes: tuple[str, ...] = ()):
        self.small_screen = small_screen
        self.title_suffixes = title_suffixes or (TITLE_SUFFIX,)  # a page in another language ends its own way
        self.scripts = scripts  # axe runs as script in the page: with JavaScript off, the JS-on journeys cover it
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        page.wait_for_load_state("load")
        title = page.title()
        suffix = next((end for end in self.title_suffixes if title.endswith(end)), None)
        assert suffix is not None and len(title) > len(suffix) + 3, title
        if self.scripts:
            results = _axe.run(
                page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
            )
            violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]
            assert violations == [], f"axe on {page.url}: {violations}"
        if self.small_screen:
            width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if width[0] > width[1]:
                past_the_edge = page.evaluate(TOO_WIDE_JS)
                raise AssertionError(f"{page.url} scrolls sideways: {width}, past the edge: {past_the_edge}")
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


def complete_screening(page, base_url: str, steps: dict[str, dict[str, Any]], checks: PageChecks) -> str:
    """From the start page to the result page, checking every page on the way; return the patient's email (each
    patient has their own, so tests sharing the live server never find each other's)."""
    page.goto(base_url + "/")
    checks(page)
    page.get_by_role("button", name="Start now").click()
    for _ in range(len(steps)):
        checks(page)
        fill_step(page, steps[page.url.rsplit("/", 1)[-1]])
        page.get_by_role("button", name="Continue").click()
    checks(page)
    page.fill("#full_name", DETAILS["full_name"])
    email = f"sam{next(_PATIENTS)}@example.org"
    page.fill("#email", email)
    page.get_by_role("button", name="Continue").click()
    declare(page, checks)
    assert page.url.endswith("/your-result"), (
        f"expected the result page, at {page.url}: {page.locator('h1').first.inner_text()}"
    )
    return email


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


# --------------------------------------------------------------------------------------------------------------------
# The keyboard alone: Tab to move, arrows and Space to choose, Enter to send


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


def answer_step(page, answers: dict[str, Any], continue_label: str = "Continue") -> None:
    """One step with the keyboard (Space ticks, arrows choose, digits in the date boxes), then its button (named in
    the page's language)."""
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
    press_button(page, continue_label)


# --------------------------------------------------------------------------------------------------------------------
# The rules catalogue's "try a case": answers in form order, and a draft override

ORDER = [question.id for question in load_ruleset(DEFAULT_RULES_DIR).questionnaire.questions]
DRAFT = '[rules.toxin_heart_condition]\nlevel = "review"\nreason = "Our prescriber sees every cardiac history."\n'


def in_form_order(treatment: str = "toxin", **answers) -> dict:
    flat: dict = {}
    for step in answers_by_step(treatment, **answers).values():
        flat |= step
    return {qid: flat[qid] for qid in ORDER if qid in flat}
