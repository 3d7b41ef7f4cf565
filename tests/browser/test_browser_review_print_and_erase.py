"""The clinician's and the admin's pages changed for a clinic's first week, in a real browser at 1280 and 375 px, each
with 0 axe violations: the screening page (the reasons above the decision form, the question and private-note boxes),
the cautions list, the clinic settings, the audit trail, the print view (every printed page names the patient and the
reference and says "Page N of M", read from Chromium's PDF with pypdf), and erasure's confirmation step."""

from __future__ import annotations

import io
import itertools

import pytest
from pypdf import PdfReader

from tests.browser.browser_helpers import SIZES, PageChecks, clinician_signs_in, fill_step
from tests.factories import answers_by_step

NAME = "Olwen Printwell"
_PATIENTS = itertools.count(1)
LONG_TEXT = "Ocrelizumab infusions every six months since 2019; " * 12


def send_screening(page, base_url: str, email: str, checks: PageChecks) -> None:
    """A review case asking for both treatments (toxin under review, filler caution), with long free text."""
    steps = answers_by_step(
        "both",
        neuro_conditions=["multiple_sclerosis"],
        neuro_details=LONG_TEXT,
        upcoming_event="yes",
        has_allergies="yes",
        allergy_types=["other"],
        severe_allergy_history=["none"],
        recent_skin_procedure="yes",
    )
    page.goto(base_url + "/")
    page.get_by_role("button", name="Start now").click()
    for _ in range(len(steps)):
        fill_step(page, steps[page.url.rsplit("/", 1)[-1]])
        page.get_by_role("button", name="Continue").click()
    page.fill("#full_name", NAME)
    page.fill("#email", email)
    page.get_by_role("button", name="Continue").click()
    page.check("#confirm")
    page.fill("#signature", NAME)
    page.get_by_role("button", name="Send my answers").click()
    assert page.url.endswith("/your-result"), page.url


def printed_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_the_review_print_and_erase_pages(server, browser, size):
    email = f"olwen.{size}.{next(_PATIENTS)}@example.org"
    checks = PageChecks(small_screen=size == "mobile")
    context = browser.new_context(**SIZES[size], locale="en-GB")
    try:
        patient = context.new_page()
        send_screening(patient, server.url, email, PageChecks(scripts=False))
        admin = context.new_page()
        clinician_signs_in(admin, server.url, checks)

        admin.goto(server.url + "/clinician/queue?level=review&state=pending")
        admin.locator("table a", has_text=NAME).first.click()
        checks(admin)
        reference = admin.url.rstrip("/").rsplit("/", 1)[-1]
        reasons = admin.locator("h2", has_text="Why it was flagged").bounding_box()
        decision = admin.locator(f"form[action='/clinician/submissions/{reference}/decision']").bounding_box()
        assert reasons["y"] < decision["y"], (reasons, decision)
        assert admin.get_by_label("Question for the patient (they will see this)").count() == 1
        assert admin.get_by_label("Private note for the clinic (the patient never sees it)").count() == 1

        admin.goto(server.url + "/clinician/cautions")
        checks(admin)
        assert admin.locator("table a", has_text=NAME).count() >= 1

        admin.goto(server.url + f"/clinician/submissions/{reference}/print")
        checks(admin)
        if size == "desktop":
            pages = printed_pages(admin.pdf(format="A4"))
            assert len(pages) >= 2, len(pages)
            for number, text in enumerate(pages, start=1):
                assert NAME in text, (number, text[:200])
                assert f"Screening {reference}" in text, (number, text[:200])
                assert f"Page {number} of {len(pages)}" in text, (number, text[-200:])

        admin.goto(server.url + "/clinician/admin/settings")
        checks(admin)
        admin.goto(server.url + "/clinician/admin/audit")
        checks(admin)
        assert "UTC" not in admin.locator("main").inner_text()

        admin.goto(server.url + "/clinician/admin/records")
        admin.fill("#email", email)
        admin.fill("#date_of_birth", answers_by_step("toxin")["about-you"]["date_of_birth"].isoformat())
        admin.get_by_role("button", name="Find").click()
        checks(admin)
        admin.get_by_role("button", name="Check what erasure takes").click()
        checks(admin)
        assert f"Screening {reference}" in admin.locator("main").inner_text()
        admin.get_by_role("button", name="Erase this now: it cannot be undone").click()  # leaves the queue as it was
        checks(admin)
        assert "Erased 1 screening version(s)" in admin.locator("body").inner_text()
    finally:
        context.close()
