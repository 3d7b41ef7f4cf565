"""A clinic's first day as the README tells it, in a real browser on a real server set up as `make run` sets one up
(`screening init`, then waitress) with no account yet: the sign-in page prints the command that makes the first
admin; that command, run as printed, makes her; she signs in and chooses her own password, sets up her sign-in code
from her account page with its QR code, publishes a week of slots from the template; a patient screens and books; the
diary shows the appointment. Every page: 0 axe violations (WCAG 2.x A and AA); the admin on a desktop, the patient on
a phone (no sideways scrolling, no small tap targets)."""

from __future__ import annotations

import os
import shlex
import subprocess
from datetime import timedelta

import pyotp
import pytest

from tests.browser.browser_helpers import DETAILS, PageChecks, book_first_slot, complete_screening
from tests.factories import answers_by_step
from tests.live_server import LiveServer, clinic_now, clinic_today

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
GIVEN = "first light 42 harbour"  # what the owner types when the command asks
OWN = "copper kettle 73 orchard"  # what she chooses at her first sign-in


@pytest.fixture
def new_clinic(tmp_path):
    live = LiveServer(tmp_path / "instance")
    live.folder.mkdir()
    live.cli("init", "--instance", str(live.folder))
    live.serve()
    yield live
    live.stop()


def run_as_printed(command: str, clinic: LiveServer) -> None:
    """Run the printed command as the owner pastes it into a terminal: `NAME=value program args...`."""
    words = shlex.split(command)
    settings = {}
    while "=" in words[0] and not words[0].startswith(("/", ".")):
        name, value = words.pop(0).split("=", 1)
        settings[name] = value
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "FLASK_"))}
    done = subprocess.run(
        words,
        input=GIVEN + "\n",
        capture_output=True,
        text=True,
        env={**environment, **settings, "SCREENING_PUBLIC_URL": clinic.url},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_clinics_first_day_from_the_printed_command_to_the_diary(new_clinic, browser):
    owner, checks = browser.new_context(**DESKTOP), PageChecks()
    try:
        page = owner.new_page()
        page.goto(new_clinic.url + "/clinician/login")
        checks(page)
        run_as_printed(page.locator("#first-admin-command").inner_text(), new_clinic)

        page.reload()
        assert page.locator("#first-admin-command").count() == 0  # an account exists now
        page.fill("#email", "you@yourclinic.example")
        page.fill("#password", GIVEN)
        page.get_by_role("button", name="Sign in").click()
        checks(page)
        page.fill("#new", OWN)  # the first sign-in asks for her own password before anything else
        page.fill("#again", OWN)
        page.get_by_role("button", name="Set my password").click()
        checks(page)
        assert page.url.endswith("/clinician/queue"), page.url

        page.goto(new_clinic.url + "/clinician/account")
        page.get_by_role("link", name="Set up a sign-in code").click()
        checks(page)
        assert page.get_by_role(
            "img", name="QR code of your sign-in key: scan it with your authenticator app"
        ).is_visible()
        key = page.locator(".qr-key .private-link code").inner_text().strip()
        page.fill("#code", pyotp.TOTP(key).at(clinic_now()))
        page.get_by_role("button", name="Confirm").click()
        checks(page)
        assert "A sign-in code is set up" in page.locator("main").inner_text()

        monday = clinic_today() + timedelta(days=7 - clinic_today().weekday())  # next week, Monday to Friday
        page.goto(new_clinic.url + "/clinician/admin/slots")
        checks(page)
        page.fill("#week", monday.isoformat())
        page.fill("#practitioner", "Dr Your Name")
        page.get_by_role("button", name="Publish the week").click()
        checks(page)
        assert "16 free, 0 booked" in page.locator(".week-grid__day").first.inner_text()  # 9:00am to 5:00pm
    finally:
        owner.close()

    patient = browser.new_context(**PHONE)
    try:
        page, on_a_phone = patient.new_page(), PageChecks(small_screen=True)
        complete_screening(page, new_clinic.url, answers_by_step("toxin"), on_a_phone)
        assert page.locator("h1").inner_text().strip() == "You can book a consultation"
        booked = book_first_slot(page, on_a_phone)
        assert page.locator("h1").inner_text().strip() == "Your appointment is booked"
    finally:
        patient.close()

    owner = browser.new_context(**DESKTOP)
    try:
        page = owner.new_page()
        page.goto(new_clinic.url + "/clinician/login")
        page.fill("#email", "you@yourclinic.example")
        page.fill("#password", OWN)
        page.get_by_role("button", name="Sign in").click()
        page.fill("#code", pyotp.TOTP(key).at(clinic_now() + timedelta(seconds=30)))  # the next code: one is spent
        page.get_by_role("button", name="Continue").click()
        page.goto(new_clinic.url + f"/clinician/diary?week={monday.isoformat()}")
        checks(page)
        diary = page.locator("main").inner_text()
        assert DETAILS["full_name"] in diary
        assert booked.split()[0] in diary  # the time the patient chose
        assert "Dr Your Name" in diary
    finally:
        owner.close()
