"""A reception tablet in a real browser on a real server, keyboard only, at both sizes with every page checked: a
clinician turns the device into a kiosk; patient A screens and is asked for the tablet back; patient B, on the same
browser, presses Back again and again, walks the history and opens the result page and every page A saw: nothing of
A is anywhere. And a screening left alone is wiped mid-way, after a warning that asks "Are you still there?"."""

from __future__ import annotations

import pytest

from tests.browser.browser_helpers import DETAILS, SIZES, PageChecks, answer_step, press_button
from tests.browser.clinic_day_journey import button as button_named
from tests.browser.clinic_day_journey import follow, link, patient_screens, query, type_into
from tests.factories import answers_by_step
from tests.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer

IDLE_SECONDS = 6  # the wiping server's KIOSK_IDLE_SECONDS: the warning shows for its last 3 seconds
KIOSK_HEADING = "This is the clinic's reception tablet"
HAND_BACK_HEADING = "Thank you, please hand the tablet back"


@pytest.fixture(scope="module")
def wiping_server(tmp_path_factory):
    """A server of its own whose tablets forget a screening after IDLE_SECONDS."""
    live = LiveServer(tmp_path_factory.mktemp("kiosk-instance"))
    live.env["SCREENING_KIOSK_IDLE_SECONDS"] = str(IDLE_SECONDS)
    live.start()
    yield live
    live.stop()


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def make_a_kiosk(page, server: LiveServer, checks: PageChecks, name: str) -> None:
    """A clinician signs in and turns this browser into a reception tablet, with the keyboard alone."""
    page.goto(server.url + "/clinician/login")
    checks(page)
    type_into(page, "email", ADMIN_EMAIL)
    type_into(page, "password", ADMIN_PASSWORD)
    follow(page, button_named("Sign in"))
    checks(page)
    follow(page, link("Reception tablet"))
    checks(page)
    assert heading(page) == "Use this device as a reception tablet"
    type_into(page, "name", name)
    follow(page, button_named("Sign out and make this a reception tablet"))
    checks(page)
    assert page.url == server.url + "/" and "Been screened here before?" not in page.content()
    page.goto(server.url + "/clinician/queue")  # signed out, and locked: the kiosk page, never the sign-in form
    checks(page)
    assert heading(page) == KIOSK_HEADING and page.locator("#password").count() == 0


def nothing_of(page, email: str) -> list[str]:
    """What of patient A this page shows: their name or email anywhere in it, a ticked answer, a typed value."""
    found = []
    html = page.content()
    for what in (DETAILS["full_name"], email):
        if what in html:
            found.append(f"{what!r} in {page.url}")
    if page.locator("input:checked").count():
        found.append(f"a ticked answer on {page.url}")
    typed = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea')]"
        ".filter(el => el.value).map(el => el.id)"
    )
    if typed:
        found.append(f"typed values {typed} on {page.url}")
    return found


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_the_next_patient_finds_nothing_of_the_last_on_a_reception_tablet(server, browser, size):
    checks = PageChecks(small_screen=size == "mobile")
    context = browser.new_context(**SIZES[size], locale="en-GB")
    try:
        page = context.new_page()
        make_a_kiosk(page, server, checks, f"Reception tablet {size}")

        email = f"kiosk.a.{size}@example.org"
        drafts_before = query(server, "SELECT count(*) AS n FROM draft")[0]["n"]  # the shared server's other tests'
        start = len(checks.visited)
        patient_screens(page, server, checks, email)  # patient A, from the start page to sending
        assert heading(page) == HAND_BACK_HEADING
        a_visited = list(dict.fromkeys(checks.visited[start:]))
        content = page.content()
        assert "/r/" not in content and "your-result" not in content and email not in content
        assert len(query(server, "SELECT id FROM submission WHERE email = ?", [email])) == 1
        assert query(server, "SELECT count(*) AS n FROM draft")[0]["n"] == drafts_before  # A's draft is gone

        # Patient B takes the tablet: Back, again and again, through the whole history
        seen_on_the_way: list[str] = []
        for _ in range(len(a_visited) + 4):
            if page.go_back(wait_until="load") is None and page.url in ("about:blank", ""):
                break
            seen_on_the_way += nothing_of(page, email)
        assert seen_on_the_way == []
        for url in [*a_visited, server.url + "/your-result", server.url + "/your-result/your-data"]:
            page.goto(url)
            checks(page)
            seen_on_the_way += nothing_of(page, email)
        assert seen_on_the_way == []
        page.goto(server.url + "/your-result")
        assert heading(page) == KIOSK_HEADING
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_a_screening_left_alone_is_wiped_mid_way_after_asking_are_you_still_there(wiping_server, browser, size):
    server = wiping_server
    checks = PageChecks(small_screen=size == "mobile")
    context = browser.new_context(**SIZES[size], locale="en-GB")
    try:
        page = context.new_page()
        make_a_kiosk(page, server, checks, f"Waiting room tablet {size}")
        steps = answers_by_step("toxin")
        press_button(page, "Go to the health questions")  # from the kiosk page the queue showed
        checks(page)
        press_button(page, "Start now")
        answer_step(page, steps[page.url.rsplit("/", 1)[-1]])  # the first step answered and saved
        checks(page)
        second = page.url
        assert query(server, "SELECT count(*) AS n FROM draft")[0]["n"] == 1

        warning = page.locator("[data-kiosk-warning]")
        warning.wait_for(state="visible", timeout=IDLE_SECONDS * 1000)
        assert "Are you still there?" in warning.inner_text()
        checks(page)
        page.keyboard.press("Tab")  # any key says "still here" (the warning's button does too, for a finger)
        warning.wait_for(state="hidden", timeout=3000)
        assert page.url == second and query(server, "SELECT count(*) AS n FROM draft")[0]["n"] == 1

        page.wait_for_url(server.url + "/", timeout=(IDLE_SECONDS + 4) * 1000)  # left alone now: back to the start
        checks(page)
        assert query(server, "SELECT count(*) AS n FROM draft")[0]["n"] == 0
        assert heading(page) == "Health questions before you book"
        page.go_back(wait_until="load")
        page.goto(second)  # the step A reached: nothing of the screening opens any more
        assert page.url == server.url + "/" and page.locator("input:checked").count() == 0
    finally:
        context.close()
