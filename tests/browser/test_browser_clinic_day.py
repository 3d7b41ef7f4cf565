"""The clinic's day, in a real browser on a real server: a clinician signs in, sees names and ages in the
queue, finds a patient by surname, opens the diary, opens a booked patient's screening, records the consultation and
prints it; keyboard only, 0 axe violations on every page, no sideways scrolling at 375 px; the print view is an A4 PDF
of two pages or fewer."""

from __future__ import annotations

import re

import pytest

from tests.browser.browser_helpers import SIZES, PageChecks
from tests.browser.clinic_day_journey import clinic_day, clinician_account, patient_books_soon


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_the_clinic_day_with_the_keyboard_alone(server, browser, size):
    name = f"Nia {size.capitalize()}"
    email = f"nia.{size}@clinic.example"
    clinician_account(server, email, name)
    options = {**SIZES[size], "locale": "en-GB"}
    checks = PageChecks(small_screen=size == "mobile")
    patient_books_soon(browser, server, options, name, checks)

    context = browser.new_context(**options)
    try:
        pdf = clinic_day(context.new_page(), server, checks, email=email, name=name, number=f"99{size[:1].upper()}1234")
    finally:
        context.close()

    assert pdf.startswith(b"%PDF")
    assert 1 <= pdf_pages(pdf) <= 2, pdf_pages(pdf)
    assert any("/print" in url for url in checks.visited)


def test_a_typical_review_case_prints_on_two_a4_pages_or_fewer(server, browser):
    from tests.browser.browser_helpers import clinician_signs_in, complete_screening
    from tests.factories import answers_by_step

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        patient = context.new_page()
        checks = PageChecks()
        steps = answers_by_step(
            "both",
            neuro_conditions=["multiple_sclerosis"],
            bleeding_disorder="yes",
            upcoming_event="yes",
            has_allergies="yes",
            allergy_types=["other"],
            severe_allergy_history=["none"],
        )
        complete_screening(patient, server.url, steps, checks)
        clinician = context.new_page()
        clinician_signs_in(clinician, server.url, checks)
        clinician.goto(server.url + "/clinician/queue?level=review&state=pending")
        href = clinician.locator("table a").last.get_attribute("href")
        clinician.goto(server.url + href + "/print")
        checks(clinician)
        text = clinician.inner_text("body")
        assert "Sign out" not in text and "Record decision" not in text and clinician.locator("form").count() == 0
        assert "Practitioner's signature" in text and "Rationale" not in text or "Why it was flagged" in text
        pdf = clinician.pdf(format="A4")
        # Decide it, so the shared server's queue holds no screening of this test for the other journeys.
        clinician.goto(server.url + href)
        clinician.check("#action-decline")
        clinician.fill("#private_note", "Printed for the browser test; declined to leave the queue empty.")
        clinician.get_by_role("button", name="Record decision").click()
        assert "Decision recorded" in clinician.locator(".notice").inner_text()
    finally:
        context.close()
    assert 1 <= pdf_pages(pdf) <= 2, pdf_pages(pdf)
