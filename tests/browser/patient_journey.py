"""Browser helpers for the patient's journey: a server of our own with the clinic's address and phone, and the steps
of the journeys the ten problems were found in. Used by test_browser_patient_journey.py and screenshots.py."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from tests.browser.browser_helpers import PageChecks, clinician_signs_in
from tests.factories import approved_rules
from tests.live_server import LiveServer, clinic_today

CLINIC_ADDRESS = "1 High Street, London N1 1AA"
CLINIC_PHONE = "020 7946 0000"
MILK = {"has_allergies": "yes", "allergy_types": ["cows_milk_protein"], "severe_allergy_history": ["none"]}


def clinic_server(folder: Path, languages: str = "en") -> LiveServer:
    """The real app under waitress, with the clinic's address and phone set, and slots on two days; offering
    patients `languages` (LANGUAGES), with the Spanish clinical wording approved in a copy of the rules beside the
    instance folder (a language is offered only then)."""
    live = LiveServer(folder)
    live.env.update(
        SCREENING_CLINIC_ADDRESS=CLINIC_ADDRESS, SCREENING_CLINIC_PHONE=CLINIC_PHONE, SCREENING_LANGUAGES=languages
    )
    if languages != "en":
        live.env["SCREENING_RULES_DIR"] = str(approved_rules(folder.parent / f"{folder.name}-rules"))
    live.start()
    live.publish_slots(days_ahead=3)
    return live


def reference(patient_page) -> int:
    """The screening's number, as the patient's page gives it ("Reference: screening 12, ...")."""
    return int(re.search(r"Reference: screening (\d+)", patient_page.locator("main").inner_text()).group(1))


def clinician_decides(browser, base_url: str, checks: PageChecks, submission_id: int, action: str, **fields) -> None:
    """A clinician, in a browser of their own, opens this screening and decides."""
    context = browser.new_context()
    try:
        page = context.new_page()
        clinician_signs_in(page, base_url, checks)
        page.goto(f"{base_url}/clinician/submissions/{submission_id}")
        checks(page)
        page.check(f"input[name=action][value={action}]")
        for name, value in fields.items():
            page.fill(f"#{name}", value)
        page.get_by_role("button", name="Record decision").click()
        checks(page)
        assert "Decision recorded" in page.locator(".notice").inner_text()
    finally:
        context.close()


def start_screening(page, base_url: str, checks: PageChecks) -> None:
    page.goto(base_url + "/")
    checks(page)
    page.get_by_role("button", name="Start now").click()
    checks(page)


def seventeen_today() -> date:
    """A date of birth that is 17 years old on the served clinic's today, whatever today is."""
    return date(clinic_today().year - 17, 1, 1)


def journey_pages(browser, base_url: str, camera, options: dict) -> None:
    """The pages of the patient's journey, for `make screenshots`: a clinician's decline and deferral, a question
    and its answer page, a date error naming the box, under 18, and Back after sending."""
    from tests.browser.browser_helpers import complete_screening, fill_step  # noqa: PLC0415 - keeps the import list above short
    from tests.factories import answers_by_step  # noqa: PLC0415

    quiet = PageChecks()
    declined = browser.new_context(**options).new_page()
    complete_screening(declined, base_url, answers_by_step("both", **MILK), camera)
    clinician_decides(
        browser, base_url, quiet, reference(declined), "decline", private_note="Not with the product we stock"
    )
    declined.reload()
    camera(declined)

    deferred = browser.new_context(**options).new_page()
    complete_screening(deferred, base_url, answers_by_step("toxin", **MILK), camera)
    until = (clinic_today() + timedelta(days=40)).isoformat()
    clinician_decides(browser, base_url, quiet, reference(deferred), "defer", defer_until=until, private_note="Later")
    deferred.reload()
    camera(deferred)

    asked = browser.new_context(**options).new_page()
    complete_screening(asked, base_url, answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"]), camera)
    clinician_decides(browser, base_url, quiet, reference(asked), "request_information", question="Which medicine?")
    asked.reload()
    camera(asked)
    asked.get_by_role("link", name="Answer the question").click()
    camera(asked)
    asked.get_by_role("button", name="Send my answer").click()  # nothing filled in: the errors
    camera(asked)
    asked.goto(base_url + "/check-your-answers")  # Back to the questions after sending
    camera(asked)

    dates = browser.new_context(**options).new_page()
    dates.goto(base_url + "/")
    dates.get_by_role("button", name="Start now").click()
    dates.fill("#date_of_birth-day", "22")
    dates.fill("#date_of_birth-month", "Jnue")
    dates.fill("#date_of_birth-year", "1990")
    dates.get_by_role("button", name="Continue").click()
    camera(dates)
    fill_step(dates, {**answers_by_step("toxin")["about-you"], "date_of_birth": seventeen_today()})
    dates.get_by_role("button", name="Continue").click()
    camera(dates)
