"""A clinic's first week, the patient's side, in a real browser at 1280 px and at 375 px with 0 axe violations on
every page: a long medicines list pasted into its box, details typed in one tab while another saves a step, a
declaration name written without its accents, the booking cancelled after being asked once, the patient's copy of
their data, and a bookmarked private page opened in a new browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.browser_helpers import PageChecks, book_first_slot, complete_screening, fill_step
from tests.browser.patient_journey import clinic_server, clinician_decides, reference
from tests.factories import answers_by_step

SIZES = ["desktop", "mobile"]
NAME = "Zoë 🌸 O'Brien-Nguyễn"
PASTED = ("Ramipril 5 mg once a day; atorvastatin 20 mg at night; " * 100)[:4999] + "."  # 5,000 characters


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    live = clinic_server(tmp_path_factory.mktemp("first-week-instance"))
    yield live
    live.stop()


@pytest.fixture(params=SIZES)
def sized(request):
    context = request.getfixturevalue(request.param)
    return context, PageChecks(small_screen=request.param == "mobile")


def slug(page) -> str:
    return page.url.rsplit("/", 1)[-1].split("?")[0]


def continue_(page, checks) -> None:
    page.get_by_role("button", name="Continue").click()
    checks(page)


def test_a_patients_first_week_in_the_browser(clinic, sized, browser):
    context, checks = sized
    steps = answers_by_step("toxin")
    page = context.new_page()
    page.goto(clinic.url + "/")
    checks(page)
    page.get_by_role("button", name="Start now").click()
    checks(page)

    # The steps, with a 5,000-character medicines list pasted into its box: the box keeps all of it, the count
    # beside it says by how much it is over, and sending it gives a field error with the whole text kept.
    while slug(page) != "your-details":
        if slug(page) == "medicines":
            box = page.locator("#current_medicines")
            assert box.get_attribute("maxlength") is None
            assert "up to 2,000 characters" in page.locator("#current_medicines-limit").inner_text()
            fill_step(page, {**steps["medicines"], "current_medicines": PASTED})
            assert len(box.input_value()) == 5000  # nothing cut by the browser
            expect(page.locator("#current_medicines-count")).to_contain_text("3,000 characters too many")
            continue_(page, checks)
            assert "Your answer is 5,000 characters" in page.locator("#current_medicines-error").inner_text()
            assert page.locator("#current_medicines").input_value() == PASTED
            page.fill("#current_medicines", "Ramipril 5 mg; atorvastatin 20 mg")
            continue_(page, checks)
            continue
        fill_step(page, steps[slug(page)])
        continue_(page, checks)

    # Two tabs: details typed here (with a mistake), a step saved in another tab, and the details are still here.
    page.fill("#full_name", NAME)
    page.fill("#email", f"zoe-{'wide' if not checks.small_screen else 'narrow'}@example.org")
    page.fill("#phone", "not a phone")
    continue_(page, checks)
    assert page.locator("#phone-error").count() == 1
    other_tab = context.new_page()
    other_tab.goto(clinic.url + "/questions/about-you")
    checks(other_tab)
    continue_(other_tab, checks)
    other_tab.close()
    page.reload()
    checks(page)
    assert page.locator("#full_name").input_value() == NAME
    assert page.locator("#phone").input_value() == "not a phone"
    page.fill("#phone", "07700 900 982")
    continue_(page, checks)

    # The declaration: a different name says what differs; the same name without accents or emoji is accepted.
    page.check("#confirm")
    page.fill("#signature", "Zoe O'Brien")
    page.get_by_role("button", name="Send my answers").click()
    checks(page)
    assert "The name you typed, Zoe O'Brien, does not match the name you gave, Zoë O'Brien-Nguyễn" in (
        page.locator("#signature-error").inner_text()
    )
    page.check("#confirm")
    page.fill("#signature", "Zoe O'Brien-Nguyen")
    page.get_by_role("button", name="Send my answers").click()
    checks(page)
    assert page.url.endswith("/your-result")

    # Booking, then cancelling: asked once, on a page of its own; the page then tells her own cancellation.
    book_first_slot(page, checks)
    page.get_by_role("link", name="Cancel this appointment").click()
    checks(page)
    assert page.locator("h1").inner_text().startswith("Are you sure you want to cancel")
    page.get_by_role("link", name="No, keep it").click()
    checks(page)
    assert page.locator("h1").inner_text() == "Your appointment is booked"
    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("button", name="Yes, cancel my appointment").click()
    checks(page)
    text = page.locator("main").inner_text()
    assert "You cancelled your appointment on" in text and "the clinic had to cancel" not in text

    # The copy of their data: the clinic's name, and times in clinic time, in words.
    page.get_by_role("link", name="See everything we hold about you").click()
    checks(page)
    copy = page.locator("main").inner_text()
    assert "UTC" not in copy and "(cancelled by you)" in copy  # the patient's copy speaks to them

    # The private page bookmarked and opened in a new browser: the emailed link opens it, and it is offered again.
    stranger = browser.new_context(viewport=page.viewport_size)
    try:
        bookmarked = stranger.new_page()
        bookmarked.goto(clinic.url + "/your-result")
        checks(bookmarked)
        assert "private link in the email we sent you" in bookmarked.locator("main").inner_text()
        bookmarked.get_by_role("link", name="Ask us to send your links again").click()
        checks(bookmarked)
        assert bookmarked.url.endswith("/returning")
    finally:
        stranger.close()


def test_the_expired_draft_message_and_the_reply_boxes_say_their_limits(clinic, sized, browser):
    context, checks = sized
    page = context.new_page()
    page.goto(clinic.url + "/?expired=1")
    checks(page)
    assert "after 24 hours" in page.locator(".notice").inner_text()

    steps = answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"])
    complete_screening(page, clinic.url, steps, checks)
    clinician_decides(browser, clinic.url, PageChecks(), reference(page), "request_information", question="Which one?")
    page.reload()
    page.get_by_role("link", name="Answer the question").click()
    checks(page)
    assert "up to 2,000 characters" in page.locator("#reply-limit").inner_text()
    page.fill("#reply", PASTED)
    expect(page.locator("#reply-count")).to_contain_text("3,000 characters too many")
    checks(page)
    page.get_by_role("button", name="Change my answers as well").click()
    checks(page)
    assert "up to 2,000 characters" in page.locator("#reply-limit").inner_text()
