"""The data-life pages in a real browser: the patient's copy, the admin's Records and Export pages, the FHIR link.
Each is checked like every other page (axe WCAG 2.x A and AA, a title that says where you are, small screens)."""

from __future__ import annotations

import pytest

from tests.browser.browser_helpers import DETAILS, PageChecks, clinician_signs_in, complete_screening
from tests.factories import answers_by_step


@pytest.mark.parametrize("screen", ["desktop", "mobile"])
def test_patient_copy_and_admin_records_pages_are_accessible(server, screen, request):
    context = request.getfixturevalue(screen)
    checks = PageChecks(small_screen=screen == "mobile")
    patient = context.new_page()
    email = complete_screening(patient, server.url, answers_by_step("toxin"), checks)
    patient.get_by_role("link", name="See everything we hold about you").click()
    checks(patient)
    assert patient.locator("h1").inner_text().strip() == "Everything we hold about you"
    assert DETAILS["full_name"] in patient.locator("main").inner_text()

    clinician = context.browser.new_context(
        **({"viewport": {"width": 375, "height": 667}} if screen == "mobile" else {})
    )
    try:
        admin = clinician.new_page()
        clinician_signs_in(admin, server.url, checks)
        admin.goto(server.url + "/clinician/admin/records")
        checks(admin)
        admin.fill("#email", email)
        admin.fill("#date_of_birth", answers_by_step("toxin")["about-you"]["date_of_birth"].isoformat())
        admin.get_by_role("button", name="Find").click()
        checks(admin)
        assert "Will be erased" in admin.locator("main").inner_text()
        admin.get_by_role("link", name="Export screenings").click()
        checks(admin)
        admin.goto(server.url + "/clinician/queue?level=any&state=any")
        admin.locator("a", has_text="Screening").first.click()
        checks(admin)
        assert (
            admin.get_by_role(
                "link", name="Download this screening for the clinic's records system (FHIR R4 JSON)"
            ).count()
            == 1
        )
    finally:
        clinician.close()
