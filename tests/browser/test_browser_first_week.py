"""A new clinic's first week in a real browser on a real server with no account yet: the sign-in page names the
command that makes the first admin; a clinician follows a link to a signed-in page, signs in and lands on it, and sets
up their sign-in code from their account page with its QR code; an admin invites a clinician by email, who chooses
a password from the link and signs in. Every page: 0 axe violations (WCAG 2.x A and AA), at
1280 and 375 px, no sideways scrolling on the phone."""

from __future__ import annotations

import email as email_parser
import re
import time
from email import policy as email_policy
from pathlib import Path

import pyotp
import pytest

from tests.browser.browser_helpers import SIZES, PageChecks
from tests.live_server import LiveServer, clinic_now

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


def invitation_link(clinic: LiveServer, email: str) -> str:
    """The link in the invitation the served clinic wrote to its outbox folder (no mail server is set)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in sorted((Path(clinic.folder) / "outbox").glob("*invitation*.eml")):
            parsed = email_parser.message_from_bytes(message.read_bytes(), policy=email_policy.default)
            if parsed["To"] == email:
                return re.search(r"(http://\S+/clinician/reset/\S+)", parsed.get_content()).group(1)
        time.sleep(0.2)
    raise AssertionError(f"no invitation to {email} in the outbox")


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_an_admin_invites_a_clinician_who_chooses_a_password_from_the_email(new_clinic, browser, size):
    admin_email = f"lee.{size}@clinic.example"
    new_clinic.cli("clinician", "add", admin_email, "--name", f"Lee {size}", "--role", "admin", stdin=GIVEN + "\n")
    new_clinic.first_sign_in(admin_email, GIVEN, OWN)
    invited = f"sol.{size}@clinic.example"
    checks = PageChecks(small_screen=size == "mobile")
    context = browser.new_context(**SIZES[size])
    try:
        page = context.new_page()
        page.goto(new_clinic.url + "/clinician/login")
        page.fill("#email", admin_email)
        page.fill("#password", OWN)
        page.get_by_role("button", name="Sign in").click()
        page.goto(new_clinic.url + "/clinician/admin/clinicians")
        checks(page)
        page.get_by_role("button", name="Email an invitation").click()  # empty: refused, naming the fields
        checks(page)
        assert page.locator("#invite-email-error").is_visible()
        page.fill("#invite-email", invited)
        page.fill("#invite-name", f"Sol {size}")
        page.get_by_role("button", name="Email an invitation").click()
        checks(page)
        assert f"was emailed to {invited}" in page.locator("body").inner_text()
    finally:
        context.close()

    visitor = browser.new_context(**SIZES[size])
    try:
        page = visitor.new_page()
        page.goto(invitation_link(new_clinic, invited))
        checks(page)
        page.fill("#new", "amber lantern 88 willow")
        page.fill("#again", "amber lantern 88 willow")
        page.get_by_role("button", name="Set password").click()
        checks(page)
        page.fill("#email", invited)
        page.fill("#password", "amber lantern 88 willow")
        page.get_by_role("button", name="Sign in").click()
        checks(page)
        assert page.url == new_clinic.url + "/clinician/queue"
    finally:
        visitor.close()
