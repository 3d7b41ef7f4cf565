"""The patient's journey in a real browser: each of the ten problems found by trying the journey as a new patient
would, walked again and shown fixed, on a desktop and at 375 px, with 0 axe violations on every page."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import time
from contextlib import closing
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from tests.browser.browser_helpers import DETAILS, PageChecks, book_first_slot, complete_screening, fill_step
from tests.browser.patient_journey import (
    CLINIC_ADDRESS,
    CLINIC_PHONE,
    MILK,
    clinic_server,
    clinician_decides,
    reference,
    seventeen_today,
    start_screening,
)
from tests.factories import answers_by_step
from tests.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, BIN, clinic_today, free_port

PROJECT = Path(__file__).resolve().parents[2]
SIZES = ["desktop", "mobile"]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    live = clinic_server(tmp_path_factory.mktemp("journey-instance"))
    yield live
    live.stop()


@pytest.fixture(params=SIZES)
def sized(request):
    """(a browser context, page checks) at desktop size and at 375 px."""
    context = request.getfixturevalue(request.param)
    return context, PageChecks(small_screen=request.param == "mobile")


def heading(page) -> str:
    return page.locator("h1").inner_text().strip()


# 1. Emailed links work on the port `make run` serves ------------------------------------------------------------


def _wait_for(url_port: int, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with closing(http.client.HTTPConnection("127.0.0.1", url_port, timeout=1)) as connection:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"make run did not answer on port {url_port}")


def _status(port: int, path: str) -> int:
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) as connection:
        connection.request("GET", path)
        return connection.getresponse().status


def test_1_make_run_on_another_port_sends_links_that_answer_on_that_port(tmp_path, browser):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_", "MAKE"))}
    env["SCREENING_INSTANCE_PATH"] = str(tmp_path)
    for args in (["init", "--instance", str(tmp_path)], ["clinician", "add", ADMIN_EMAIL, "--name", "Dr Ada"]):
        subprocess.run([str(BIN / "screening"), *args], env=env, input=ADMIN_PASSWORD + "\n", text=True, check=True)
    day = (clinic_today() + timedelta(days=2)).isoformat()
    subprocess.run(
        [str(BIN / "screening"), "slots", "add", "--start", f"{day}T09:00", "--end", f"{day}T12:00", "--every", "30m"],
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        # The same command line as the README's `make run PORT=5077`, on a free port.
        server = subprocess.Popen(
            ["make", "-s", "run", f"PORT={port}"],
            cwd=PROJECT,
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        _wait_for(port)
        context = browser.new_context()
        page, checks = context.new_page(), PageChecks()
        complete_screening(page, f"http://127.0.0.1:{port}", answers_by_step("toxin"), checks)
        book_first_slot(page, checks)
        page.get_by_role("link", name="Cancel this appointment").click()
        page.get_by_role("button", name="Yes, cancel my appointment").click()
        context.close()
        outbox = tmp_path / "outbox"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list(outbox.glob("*.eml"))) < 3:
            time.sleep(0.2)
        emails = sorted(outbox.glob("*.eml"))
        kinds = {path.stem.split("-", 1)[1] for path in emails}
        assert {"submitted", "booked", "cancelled"} <= kinds, kinds
        # The words of each email (the booking confirmation is multipart: its text, and the .ics attached)
        bodies = [
            message_from_bytes(path.read_bytes(), policy=default).get_body(("plain",)).get_content() for path in emails
        ]
        links = {link for body in bodies for link in re.findall(r"http://\S+", body)}
        assert links and all(link.startswith(f"http://127.0.0.1:{port}/") for link in links), links
        for link in links:
            path = link.split(str(port), 1)[1]
            # A patient's link opens a page (200) or exchanges a token for a cookie (303); a link in the clinic's
            # notice leads to the sign-in page first (302), which is the link working.
            expected = (200, 302, 303) if path.startswith("/clinician/") else (200, 303)
            assert _status(port, path) in expected, link
        assert "does not" not in log.read_text() and "PUBLIC_URL is" not in log.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


# 2. The page tells the current truth per treatment ------------------------------------------------------------


def test_2_a_clinicians_decline_keeps_the_rules_reason_and_gives_the_clinics_contact_details(clinic, sized, browser):
    context, checks = sized
    page = context.new_page()
    complete_screening(page, clinic.url, answers_by_step("both", **MILK), checks)
    assert "A clinician will review your allergy before we book" in page.locator("main").inner_text()

    clinician_decides(
        browser, clinic.url, PageChecks(), reference(page), "decline", private_note="Not with the product we stock"
    )
    page.reload()
    checks(page)

    text = page.locator("main").inner_text()
    assert "A clinician will review your allergy" in text  # spec section 2: no rule's reason disappears
    assert "A clinician has looked at your answers, and we're not able to book this treatment online" in text
    assert CLINIC_PHONE in text and CLINIC_ADDRESS in text
    assert heading(page) == "You can book one of the treatments you asked about"


# 3. Answering the clinic's question ----------------------------------------------------------------------------


def test_3_a_question_gets_a_short_page_with_the_reply_box_first(clinic, sized, browser):
    context, checks = sized
    page = context.new_page()
    complete_screening(page, clinic.url, answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"]), checks)
    clinician_decides(
        browser,
        clinic.url,
        PageChecks(),
        reference(page),
        "request_information",
        question="Which medicine do you take?",
    )
    page.reload()
    checks(page)
    assert "nothing you need to do" not in page.locator("main").inner_text()

    page.get_by_role("link", name="Answer the question").click()
    checks(page)
    assert heading(page) == "Answer the clinic's question"
    box = page.locator("#reply").bounding_box()
    assert box["y"] < 700, box  # on the first screen or just below, not 6,000 px down
    assert page.evaluate("document.documentElement.scrollHeight") < 2200
    page.fill("#reply", "Ocrelizumab, since 2020")
    page.check("#confirm")
    page.fill("#signature", DETAILS["full_name"])
    page.get_by_role("button", name="Send my answer").click()
    checks(page)
    assert heading(page) == "A clinician will look at your answers"
    assert "Your answer has been sent to the clinic" in page.locator(".notice").inner_text()


# 4. Booking by day -------------------------------------------------------------------------------------------


def test_4_booking_is_a_day_then_a_time_and_the_reasons_come_first(clinic, sized):
    context, checks = sized
    page = context.new_page()
    complete_screening(page, clinic.url, answers_by_step("both", neuro_conditions=["myasthenia_gravis"]), checks)

    days = page.locator("input[name=day]")
    assert days.count() >= 2 and page.locator("input[name=slot]").count() == 0
    reasons = page.get_by_text("muscle or nerve condition").bounding_box()
    choice = page.get_by_role("heading", name="Choose a day for your appointment").bounding_box()
    assert reasons["y"] < choice["y"]
    page.get_by_role("button", name="Continue").click()  # no day chosen
    checks(page)
    assert "Choose a day for your appointment" in page.locator(".error-summary").inner_text()
    days.first.check()
    page.get_by_role("button", name="Continue").click()
    checks(page)
    assert heading(page).startswith("Choose a time on ")
    assert 0 < page.locator("input[name=slot]").count() <= 16
    page.locator("input[name=slot]").first.check()
    page.get_by_role("button", name="Continue").click()
    checks(page)
    page.get_by_role("button", name="Confirm appointment").click()
    checks(page)
    assert heading(page) == "Your appointment is booked"


def test_4_booking_by_day_works_with_javascript_off(clinic, no_script):
    page, checks = no_script.new_page(), PageChecks(scripts=False)
    complete_screening(page, clinic.url, answers_by_step("filler"), checks)
    book_first_slot(page, checks)
    assert heading(page) == "Your appointment is booked"


# 5. Post/redirect/get; Back after sending ---------------------------------------------------------------------


def test_5_back_and_reload_after_an_error_never_resend_and_back_after_sending_says_so(clinic, sized):
    context, checks = sized
    page = context.new_page()
    start_screening(page, clinic.url, checks)
    page.get_by_role("button", name="Continue").click()  # nothing answered
    checks(page)
    assert page.title().startswith("Error: ")
    reloaded = page.reload()
    assert reloaded.request.method == "GET" and reloaded.status == 200
    assert page.title().startswith("Error: ")
    page.go_back()  # to a page fetched with GET: no "Confirm Form Resubmission" (ERR_CACHE_MISS)
    checks(page)
    assert page.url.startswith(clinic.url) and heading(page) in (
        "About you and the treatment you want",
        "Health questions before you book",
    )

    complete_screening(page, clinic.url, answers_by_step("toxin"), checks)
    page.go_back()
    checks(page)
    assert heading(page) == "You have already sent your answers"
    page.get_by_role("link", name="See your result").click()
    checks(page)
    assert heading(page) == "You can book a consultation"


# 6. Under 18 ------------------------------------------------------------------------------------------------


def test_6_under_18_ends_kindly_at_step_1_with_nothing_to_book(clinic, sized):
    context, checks = sized
    page = context.new_page()
    start_screening(page, clinic.url, checks)
    fill_step(page, {**answers_by_step("toxin")["about-you"], "date_of_birth": seventeen_today()})
    page.get_by_role("button", name="Continue").click()
    checks(page)

    assert heading(page) == "We can't offer these treatments to people under 18"
    text = page.locator("main").inner_text()
    assert "We have not kept the answers" in text
    assert "talk it through" not in text and page.locator("main button").count() == 0


# 7. Wording for one or both treatments --------------------------------------------------------------------------


def test_7_messages_speak_only_of_what_was_asked_and_agree_with_the_page(clinic, sized):
    context, checks = sized
    toxin_only = context.new_page()
    complete_screening(toxin_only, clinic.url, answers_by_step("toxin", neuro_conditions=["myasthenia_gravis"]), checks)
    assert "filler" not in toxin_only.locator("main").inner_text().lower()

    both = context.new_page()
    complete_screening(both, clinic.url, answers_by_step("both", neuro_conditions=["myasthenia_gravis"]), checks)
    text = both.locator("main").inner_text()
    assert "separately" not in text and "If you also asked" not in text
    sections = both.locator("section.treatment-status")
    assert sections.count() == 2
    assert "not able to book" in sections.nth(0).inner_text() and "You can book" in sections.nth(1).inner_text()


# 8. Month names ---------------------------------------------------------------------------------------------


def test_8_month_names_are_accepted_and_a_wrong_one_is_named(clinic, sized):
    context, checks = sized
    page = context.new_page()
    start_screening(page, clinic.url, checks)
    rest = {k: v for k, v in answers_by_step("toxin")["about-you"].items() if k != "date_of_birth"}
    page.fill("#date_of_birth-day", "22")
    page.fill("#date_of_birth-month", "Jnue")
    page.fill("#date_of_birth-year", "1990")
    fill_step(page, rest)
    page.get_by_role("button", name="Continue").click()
    checks(page)
    assert "Enter the month" in page.locator("#date_of_birth-error").inner_text()
    assert "input--error" in page.locator("#date_of_birth-month").get_attribute("class")
    assert "input--error" not in page.locator("#date_of_birth-day").get_attribute("class")

    page.fill("#date_of_birth-month", "june")
    fill_step(page, {"treatment_requested": "toxin"})
    page.get_by_role("button", name="Continue").click()
    checks(page)
    assert page.url.endswith("/questions/pregnancy")


# 9. The confirmation ----------------------------------------------------------------------------------------


def test_9_the_confirmation_is_said_once_with_place_practitioner_and_how_to_cancel(clinic, sized):
    context, checks = sized
    page = context.new_page()
    complete_screening(page, clinic.url, answers_by_step("toxin"), checks)
    book_first_slot(page, checks)

    text = page.locator("body").inner_text()
    assert text.count("Your appointment is booked") == 1 and "is booked." not in text
    appointment = page.locator(".appointment").inner_text()
    assert CLINIC_ADDRESS in appointment and "Dr Ada" in appointment
    assert "Cancel this appointment" in text and CLINIC_PHONE in text
    ics = page.request.get(clinic.url + "/your-result/appointment.ics").text()
    assert "LOCATION:Our clinic\\, 1 High Street\\, London N1 1AA" in ics


# 10. The private link ---------------------------------------------------------------------------------------


def test_10_the_private_link_can_be_copied_and_fill_in_again_looks_like_a_button(clinic, sized):
    context, checks = sized
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=clinic.url)
    page = context.new_page()
    last = clinic_today() - timedelta(days=30)
    complete_screening(
        page,
        clinic.url,
        answers_by_step("toxin", previous_toxin="yes", last_toxin_date=last, previous_adverse_reaction="no"),
        checks,
    )
    link = page.locator("#private-link").inner_text().strip()
    assert link.startswith(clinic.url + "/r/")

    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function("document.querySelector('[data-copy-status]').textContent.length > 0")
    assert page.locator("[data-copy-status]").inner_text() == "Link copied."
    assert page.evaluate("navigator.clipboard.readText()") == link

    again = page.get_by_role("link", name="Fill in the questions again")
    assert again.evaluate("el => getComputedStyle(el).textDecorationLine") == "none"
    assert "button" in again.get_attribute("class")
    checks(page)


def test_10_without_javascript_the_link_is_plain_text_and_no_copy_button_shows(clinic, no_script):
    page, checks = no_script.new_page(), PageChecks(scripts=False)
    complete_screening(page, clinic.url, answers_by_step("toxin"), checks)
    assert page.locator("#private-link").is_visible()
    assert not page.get_by_role("button", name="Copy link").is_visible()
