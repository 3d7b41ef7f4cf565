"""Patients and clinicians in a real browser: journeys, JavaScript off, keyboard only, accessibility, small screens."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.browser_helpers import (
    PageChecks,
    book_first_slot,
    clinician_signs_in,
    complete_screening,
    declare,
    fill_step,
)
from tests.factories import answers_by_step


def test_clear_patient_completes_the_screening_and_books_a_slot(server, desktop):
    page, checks = desktop.new_page(), PageChecks()

    complete_screening(page, server.url, answers_by_step("toxin"), checks)

    assert page.locator("h1").inner_text().strip() == "You can book a consultation"
    booked = book_first_slot(page, checks)
    assert page.locator("h1").inner_text().strip() == "Your appointment is booked"
    assert booked.split(" with ")[0] in page.locator(".appointment").inner_text()
    assert len(checks.visited) >= 14  # start, 9 steps, details, check, result, confirm, booked


def test_review_patient_waits_a_clinician_approves_in_another_browser_then_the_patient_books(server, browser):
    patient_context = browser.new_context()
    clinician_context = browser.new_context()
    try:
        patient, checks = patient_context.new_page(), PageChecks()
        complete_screening(
            patient, server.url, answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"]), checks
        )
        assert patient.locator("h1").inner_text().strip() == "A clinician will look at your answers"
        assert patient.locator("input[name=slot]").count() == 0

        clinician = clinician_context.new_page()
        clinician_signs_in(clinician, server.url, checks)
        clinician.locator("a", has_text="Screening").first.click()
        checks(clinician)
        assert clinician.locator("#rule-toxin_other_neuro").is_visible()
        assert clinician.locator("#answer-neuro_conditions.answer--trigger").is_visible()
        clinician.check("#action")  # Approve
        clinician.get_by_role("button", name="Record decision").click()
        checks(clinician)
        assert "Decision recorded" in clinician.locator(".notice").inner_text()

        patient.reload()
        checks(patient)
        assert patient.locator("h1").inner_text().strip() == "You can book a consultation"
        book_first_slot(patient, checks)
        assert patient.locator("h1").inner_text().strip() == "Your appointment is booked"
    finally:
        patient_context.close()
        clinician_context.close()


def test_changing_treatment_mid_form_hides_answers_that_no_longer_apply_and_they_do_not_count(server, desktop):
    page = desktop.new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Start now").click()
    fill_step(
        page,
        {
            "date_of_birth": answers_by_step("toxin")["about-you"]["date_of_birth"],
            "treatment_requested": "toxin",
            "toxin_areas": ["lip_flip"],
            "wind_instrument": "yes",
        },
    )
    assert page.locator("#q-wind_instrument").is_visible()

    page.check("#treatment_requested-filler")

    assert page.locator("#q-toxin_areas").is_hidden() and page.locator("#q-wind_instrument").is_hidden()
    assert not page.locator("#toxin_areas-lip_flip").is_checked()  # cleared, not just hidden
    fill_step(page, {"filler_areas": ["cheeks"]})
    page.get_by_role("button", name="Continue").click()
    steps = answers_by_step("filler")
    for _ in range(8):
        fill_step(page, steps[page.url.rsplit("/", 1)[-1]])
        page.get_by_role("button", name="Continue").click()
    page.fill("#full_name", "Sam Patient")
    page.fill("#email", "sam@example.org")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator("main").inner_text()
    assert "anti-wrinkle injections in?" not in summary and "woodwind" not in summary
    declare(page, PageChecks())
    assert "toxin_lip_flip_wind_instrument" not in page.content()
    assert page.locator("h1").inner_text().strip() == "You can book a consultation"


def test_back_and_change_keep_answers(server, desktop):
    page = desktop.new_page()
    steps = answers_by_step("filler")
    page.goto(server.url + "/")
    page.get_by_role("button", name="Start now").click()
    fill_step(page, steps["about-you"])
    page.get_by_role("button", name="Continue").click()
    fill_step(page, steps["pregnancy"])
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Back").click()
    assert page.is_checked("#sex_at_birth-female") and page.is_checked("#breastfeeding-no")
    page.get_by_role("link", name="Back").click()
    assert page.is_checked("#treatment_requested-filler") and page.is_checked("#filler_areas-cheeks")

    page.get_by_role("button", name="Continue").click()
    for _ in range(9):
        slug = page.url.rsplit("/", 1)[-1]
        if slug in steps:
            fill_step(page, steps[slug])
        page.get_by_role("button", name="Continue").click()
        if "your-details" in page.url:
            break
    page.fill("#full_name", "Sam Patient")
    page.fill("#email", "sam@example.org")
    page.get_by_role("button", name="Continue").click()
    page.locator("a[href*='/questions/skin']").first.click()
    assert page.is_checked("#skin_problem_at_site-none") and page.is_checked("#cold_sore_now-no")
    page.check("#cold_sore_now-yes")
    page.get_by_role("button", name="Continue").click()
    assert "/check-your-answers" in page.url  # a browser keeps the #fragment across the redirect
    assert "Do you have a cold sore at the moment?" in page.locator("main").inner_text()
    assert page.locator("main").inner_text().count("Sam Patient") >= 1


def test_the_whole_screening_works_with_javascript_off(server, no_script):
    page, checks = no_script.new_page(), PageChecks(scripts=False)

    complete_screening(
        page,
        server.url,
        answers_by_step("both", has_allergies="yes", allergy_types=["other"], severe_allergy_history=["none"]),
        checks,
    )

    assert page.locator("h1").inner_text().strip() == "You can book a consultation"
    book_first_slot(page, checks)
    assert page.locator("h1").inner_text().strip() == "Your appointment is booked"


def test_a_step_with_errors_moves_focus_to_the_error_summary(server, desktop):
    page = desktop.new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Start now").click()

    page.get_by_role("button", name="Continue").click()

    page.wait_for_load_state("load")  # the deferred script moves the focus before the load event
    assert page.title().startswith("Error: ")
    expect(page.locator("[data-error-summary]")).to_be_focused()
    page.get_by_role("link", name="What is your date of birth? Enter a date").click()
    assert page.evaluate("document.activeElement.id") == "date_of_birth-day"


def test_patient_and_clinician_pages_fit_a_small_phone(server, mobile, browser):
    page, checks = mobile.new_page(), PageChecks(small_screen=True)
    complete_screening(page, server.url, answers_by_step("both", upcoming_event="yes"), checks)
    book_first_slot(page, checks)

    clinician_context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    try:
        clinician = clinician_context.new_page()
        clinician_signs_in(clinician, server.url, checks)
        for path in (
            "/clinician/cautions",
            "/clinician/admin/slots",
            "/clinician/admin/clinicians",
            "/clinician/admin/audit",
        ):
            clinician.goto(server.url + path)
            checks(clinician)
        clinician.goto(server.url + "/clinician/cautions")
        clinician.locator("a", has_text="Screening").first.click()
        checks(clinician)
    finally:
        clinician_context.close()
