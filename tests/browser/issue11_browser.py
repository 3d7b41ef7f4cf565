"""Browser helpers for issue 11: a server of our own with the clinic's address and phone, and the steps of the
journeys the ten problems were found in. Used by test_browser_issue11.py and screenshots.py."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from browser_helpers import PageChecks, clinician_signs_in
from live_server import LiveServer

CLINIC_ADDRESS = "1 High Street, London N1 1AA"
CLINIC_PHONE = "020 7946 0000"
MILK = {"has_allergies": "yes", "allergy_types": ["cows_milk_protein"], "severe_allergy_history": ["none"]}


def clinic_server(folder: Path) -> LiveServer:
    """The real app under waitress, with the clinic's address and phone set, and slots on two days."""
    live = LiveServer(folder)
    live.env.update(SCREENING_CLINIC_ADDRESS=CLINIC_ADDRESS, SCREENING_CLINIC_PHONE=CLINIC_PHONE)
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
    """A date of birth that is 17 years old today, whatever today is."""
    return date(date.today().year - 17, 1, 1)
