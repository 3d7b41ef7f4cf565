"""A new clinic's first week in a real browser on a real server with no account yet: the sign-in page names the
command that makes the first admin; a clinician follows a link to a signed-in page, signs in and lands on it, and sets
up their sign-in code from their account page with its QR code. Every page: 0 axe violations (WCAG 2.x A and AA), at
1280 and 375 px, no sideways scrolling on the phone."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from tests.browser.browser_helpers import PageChecks
from tests.live_server import LiveServer, clinic_now

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "mobile": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}
GIVEN = "given harbour 19 sparrow"
OWN = "velvet compass 27 meadow"


@pytest.fixture(scope="module")
def new_clinic(tmp_path_factory):
    """A clinic just set up with `screening init`: no account of any kind yet."""
    live = LiveServer(tmp_path_factory.mktemp("new-clinic"))
    live.cli("init", "--instance", str(live.folder))
    live.serve()
    yield live
    live.stop()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_a_new_clinics_sign_in_page_names_the_first_admin_command(new_clinic, browser, size):
    context = browser.new_context(**SIZES[size])
    try:
        page = context.new_page()
        page.goto(new_clinic.url + "/clinician/login")
        PageChecks(small_screen=size == "mobile")(page)

        command = page.locator("#first-admin-command")
        assert command.is_visible()
        text = command.inner_text()
        assert text.startswith(f"SCREENING_INSTANCE_PATH={Path(new_clinic.folder).resolve()} ")
        assert " clinician add you@yourclinic.example " in text and text.endswith("--role admin")
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_a_link_signs_in_to_its_page_and_the_code_is_set_up_from_the_account_page(new_clinic, browser, size):
    email = f"kim.{size}@clinic.example"
    new_clinic.cli("clinician", "add", email, "--name", f"Kim {size}", "--role", "admin", stdin=GIVEN + "\n")
    new_clinic.first_sign_in(email, GIVEN, OWN)
    checks = PageChecks(small_screen=size == "mobile")
    context = browser.new_context(**SIZES[size])
    try:
        page = context.new_page()
        page.goto(new_clinic.url + "/clinician/account")  # as from a link, signed out
        assert "/clinician/login?next=" in page.url
        checks(page)
        assert page.locator("#first-admin-command").count() == 0  # an account exists now
        page.fill("#email", email)
        page.fill("#password", OWN)
        page.get_by_role("button", name="Sign in").click()
        checks(page)
        assert page.url == new_clinic.url + "/clinician/account"

        page.get_by_role("link", name="Set up a sign-in code").click()
        checks(page)
        qr = page.get_by_role("img", name="QR code of your sign-in key: scan it with your authenticator app")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box["width"] >= 120 and box["height"] >= 120  # big enough for a phone's camera
        key = page.locator(".qr-key .private-link code").inner_text().strip()
        page.fill("#code", pyotp.TOTP(key).at(clinic_now()))
        page.get_by_role("button", name="Confirm").click()
        checks(page)
        assert page.url == new_clinic.url + "/clinician/account"
        assert "A sign-in code is set up" in page.locator("main").inner_text()
        assert page.get_by_role("link", name="Set up a sign-in code").count() == 0
    finally:
        context.close()
