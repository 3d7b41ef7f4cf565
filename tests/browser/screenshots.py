# ruff: noqa: E402 - run as a script, it puts the project folder on sys.path before importing the tests package
"""Write a PNG of every page of the patient and clinician journeys, at desktop and phone sizes, for people to look at.

Usage (from the project root): .venv/bin/python tests/browser/screenshots.py [--out screenshots]
`make screenshots` runs it. It serves the app with waitress on a free loopback port, with a throwaway instance.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
if str(PROJECT_DIR) not in sys.path:  # run as a script (tests/browser/screenshots.py): find the tests package
    sys.path.insert(0, str(PROJECT_DIR))

from playwright.sync_api import sync_playwright

from tests.browser.browser_helpers import (
    CHROMIUM_ARGS,
    DRAFT,
    book_first_slot,
    chromium_path,
    clinician_signs_in,
    complete_screening,
    fill_step,
    in_form_order,
)
from tests.browser.clinic_day_journey import clinic_day, clinician_account, patient_books_soon
from tests.browser.patient_journey import clinic_server, journey_pages
from tests.factories import answers_by_step, rows
from tests.live_server import LiveServer, clinic_today

SIZES = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 375, "height": 667}}


class Camera:
    """Called on every page of a journey (in place of the test checks): one full-page PNG each."""

    def __init__(self, folder: Path, size: str):
        self.folder, self.size, self.count = folder, size, 0
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        page.wait_for_load_state("load")
        self.count += 1
        path = re.sub(r"[^a-z0-9]+", "-", page.url.split("//", 1)[-1].split("/", 1)[-1].lower()).strip("-") or "start"
        page.screenshot(path=str(self.folder / f"{self.size}-{self.count:02d}-{path}.png"), full_page=True)
        self.visited.append(page.url)


def journeys(browser, server: LiveServer, folder: Path, size: str) -> int:
    camera = Camera(folder, size)
    options = {"viewport": SIZES[size], "is_mobile": size == "mobile", "has_touch": size == "mobile"}
    patient = browser.new_context(**options).new_page()
    complete_screening(patient, server.url, answers_by_step("both", upcoming_event="yes"), camera)
    book_first_slot(patient, camera)
    patient.goto(server.url + "/your-result/cancel")  # the question asked once before cancelling (not answered)
    camera(patient)
    journey_pages(browser, server.url, camera, options)
    bookmarked = browser.new_context(**options).new_page()  # a bookmarked result page, without the private link
    bookmarked.goto(server.url + "/your-result")
    camera(bookmarked)
    reviewed = browser.new_context(**options).new_page()
    complete_screening(reviewed, server.url, answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"]), camera)
    errors = browser.new_context(**options).new_page()
    errors.goto(server.url + "/")
    errors.get_by_role("button", name="Start now").click()
    errors.get_by_role("button", name="Continue").click()
    camera(errors)
    errors.goto(server.url + "/returning")
    camera(errors)
    clinician = browser.new_context(**options).new_page()
    clinician_signs_in(clinician, server.url, camera)
    clinician.locator("main table a").first.click()  # the queue names the patient
    camera(clinician)
    for path in (
        "/clinician/cautions",
        "/clinician/admin/slots",
        "/clinician/admin/clinicians",
        "/clinician/admin/audit",
        "/clinician/rules/",
        "/clinician/rules/?q=keloid",
        "/clinician/rules/try",
    ):
        clinician.goto(server.url + path)
        camera(clinician)
    # Try a case: answers and a draft override, then the result (nothing is stored).
    clinician.fill("#screening_date", "2026-03-10")
    fill_step(clinician, in_form_order("toxin", heart_condition="yes"))
    clinician.fill("#draft_overrides", DRAFT)
    clinician.get_by_role("button", name="See the result").click()
    camera(clinician)
    for path in (
        "/clinician/admin/settings",
        "/clinician/patients?q=Patient",
        "/clinician/queue?level=any&state=any",
    ):
        clinician.goto(server.url + path)
        camera(clinician)
    clinician.goto(server.url + "/clinician/account")
    camera(clinician)
    clinician.get_by_role("link", name="Set up a sign-in code").click()  # the QR code (set up is not finished)
    camera(clinician)
    # Erasure's first step, which changes nothing: what would go for the patient sent for review.
    [reviewed_patient] = rows(
        Path(server.folder) / "screening.sqlite3",
        "SELECT email, json_extract(answers, '$.date_of_birth') AS born FROM submission ORDER BY id DESC LIMIT 1",
    )
    clinician.goto(server.url + "/clinician/admin/records")
    clinician.fill("#email", reviewed_patient["email"])
    clinician.fill("#date_of_birth", reviewed_patient["born"])
    clinician.get_by_role("button", name="Find").click()
    camera(clinician)
    clinician.get_by_role("button", name="Check what erasure takes").click()
    camera(clinician)
    # A week from the template (a month on, so no other page's slots change), the week grid it shows, the diary's
    # weeks.
    today = clinic_today()
    monday = today + timedelta(days=28 - today.weekday())
    clinician.goto(server.url + "/clinician/admin/slots")
    clinician.fill("#week", monday.isoformat())
    clinician.fill("#break_from", "13:00")
    clinician.fill("#break_until", "14:00")
    clinician.fill("#practitioner", f"Dr Week {size.capitalize()}")
    clinician.get_by_role("button", name="Publish the week").click()
    camera(clinician)
    for path in ("/clinician/diary", f"/clinician/diary?week={(today + timedelta(days=7)).isoformat()}"):
        clinician.goto(server.url + path)
        camera(clinician)
    clinician.goto(server.url + "/clinician/admin/slots")
    withdraw = clinician.locator("a", has_text="Withdraw")
    if withdraw.count():
        withdraw.first.click()
        camera(clinician)
    # The clinic's day, as a clinician (not an admin) lives it: queue, account, patients, diary, the
    # screening, the consultation record and the print view.
    name = f"Nia {size.capitalize()}"
    email = f"nia.{size}@clinic.example"
    clinician_account(server, email, name)
    patient_books_soon(browser, server, {**options, "locale": "en-GB"}, name, lambda page: None)
    nurse = browser.new_context(**options, locale="en-GB").new_page()
    clinic_day(nurse, server, camera, email=email, name=name, number="12A3456E")
    nurse.goto(server.url + nurse.url.split("/print")[0].split(server.url)[-1] + "/consultation")
    camera(nurse)
    nurse.goto(server.url + "/clinician/patients/1")
    camera(nurse)
    nurse.goto(server.url + "/clinician/patients/999999")
    camera(nurse)
    return camera.count


def spanish_journey(browser, server: LiveServer, folder: Path) -> int:
    """The patient side in Spanish on a phone (a browser that asks for Spanish): the start page, every step, the
    details, the check, the result, choosing a time and the booked result."""
    camera = Camera(folder, "mobile-es")
    page = browser.new_context(
        viewport=SIZES["mobile"],
        is_mobile=True,
        has_touch=True,
        locale="es-ES",
        extra_http_headers={"Accept-Language": "es-ES,es;q=0.9"},
    ).new_page()
    steps = answers_by_step("toxin")
    page.goto(server.url + "/")
    camera(page)
    page.locator("main button[type=submit]").click()
    for _ in range(len(steps)):
        camera(page)
        fill_step(page, steps[page.url.rsplit("/", 1)[-1]])
        page.locator("main form button[type=submit]").first.click()
    camera(page)
    page.fill("#full_name", "Lucía Fernández")
    page.fill("#email", "lucia@example.org")
    page.locator("main form button[type=submit]").first.click()
    camera(page)
    page.check("#confirm")
    page.fill("#signature", "Lucía Fernández")
    page.locator("main form button[type=submit]").last.click()
    camera(page)
    page.locator("input[name=day]").first.check()
    page.locator("form[action$='/your-result/times'] button[type=submit]").click()
    camera(page)
    page.locator("input[name=slot]").first.check()
    page.locator("main form button[type=submit]").first.click()
    camera(page)
    page.locator("main form button[type=submit]").first.click()
    camera(page)
    page.context.close()
    return camera.count


def first_day(executable: str, folder: Path, out: Path) -> None:
    """A clinic just set up, with no account yet: the sign-in page that names the command making the first admin."""
    folder.mkdir()
    new = LiveServer(folder)
    new.cli("init", "--instance", str(folder))
    new.serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            for size in SIZES:
                page = browser.new_context(viewport=SIZES[size], is_mobile=size == "mobile").new_page()
                page.goto(new.url + "/clinician/login")
                page.wait_for_load_state("load")
                page.screenshot(path=str(out / f"{size}-00-new-clinic-sign-in.png"), full_page=True)
            browser.close()
    finally:
        new.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        sys.exit("screenshots: Debian's chromium is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as instance:
        first_day(executable, Path(instance) / "new", args.out)
        (Path(instance) / "clinic").mkdir()
        # with the clinic's address and phone, slots on 2 days
        server: LiveServer = clinic_server(Path(instance) / "clinic", languages="en,es")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
                total = sum(journeys(browser, server, args.out, size) for size in SIZES)
                total += spanish_journey(browser, server, args.out)
                browser.close()
        finally:
            server.stop()
    print(f"wrote {total} screenshots to {args.out}/")


if __name__ == "__main__":
    main()
