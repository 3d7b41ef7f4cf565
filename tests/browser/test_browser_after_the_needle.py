"""After the needle, in a real browser on a real server whose clock moves on, keyboard only, with 0 axe violations on
every page at 1280 and 375 px, and the emails through a real SMTP server (aiosmtpd):

- the admin adds a toxin product and a batch of it; a patient who asked for reminders at booking is consulted and
  signs her consent;
- three days on (the cooling-off passed) the practitioner records the treatment with that batch, and the aftercare
  email reaches the patient;
- two weeks on the check-in arrives; from its link the patient reports difficulty swallowing, the clinic's
  notification address is emailed at once and the report tops the clinicians' queue;
- 60 days after the treatment she screens again, answering that she never had toxin: the clinic's record counts,
  and the screening defers with the date from the record;
- 91 days after it (12 weeks, and the day the 90-day rule allows) the reminder arrives, and its link starts a new
  screening pre-filled from the last one.

A reminder before the interval is never sent (tests/web/test_patient_recall.py); this test follows one patient.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from screening import clock as app_clock
from screening.domain.rules import readable_date
from tests.browser.browser_helpers import DETAILS, SIZES, PageChecks
from tests.browser.clinic_day_journey import (
    NURSE_OWN_PASSWORD,
    button,
    choose_radio,
    clinician_account,
    follow,
    link,
    patient_screens,
    patient_screens_and_books,
    practitioner_consults_and_takes_consent,
    publish,
    query,
    signs_in,
    tab_to,
    type_date,
    type_into,
)
from tests.factories import BASELINE_DOB
from tests.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, CLINIC_ZONE, LiveServer

CLINIC_INBOX = "alerts@clinic.example"
BRAND = "Frownaway"
LOT = "FW-2291"


@pytest.fixture
def clinic(tmp_path, smtp):
    """A server of its own (its clock moves), sending its email to the SMTP test server: (server, inbox)."""
    controller, inbox = smtp
    folder = tmp_path / "instance"
    folder.mkdir()
    live = LiveServer(folder).send_mail_to(controller.port, CLINIC_INBOX)
    # A recall round every second rather than hourly: a round that meets a busy database as the restarted server's
    # jobs all start is tried again at the next round, and the test should not wait an hour for it.
    live.env["SCREENING_RECALL_INTERVAL"] = "1"
    live.start()
    yield live, inbox
    live.stop()


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, server: LiveServer, path: str) -> str:
    found = re.search(re.escape(server.url + path) + r"[A-Za-z0-9_.-]+", body_of(message))
    assert found, f"no {path} link in {message['Subject']!r}"
    return found.group(0)


def admin_adds_product_and_batch(page, server: LiveServer, checks) -> None:
    """The admin adds a toxin with the label's maximum per session, and a batch received today expiring in a year."""
    signs_in(page, server, checks, ADMIN_EMAIL, ADMIN_PASSWORD)
    follow(page, link("Products"))
    checks(page)
    type_into(page, "brand", BRAND)
    type_into(page, "generic_name", "botulinum toxin type A")
    choose_radio(page, "kind", "toxin")
    choose_radio(page, "unit", "units")
    type_into(page, "max_per_session", "50")
    follow(page, button("Add the product"))
    checks(page)
    tab_to(page, "el.id === 'batch-product_id'")
    page.keyboard.type(BRAND)  # a select chooses by typing, as with any keyboard
    type_into(page, "batch-lot_number", LOT)
    expiry = server.now().date() + timedelta(days=365)
    type_date(page, "batch-expiry_date", expiry)
    type_date(page, "batch-received_date", server.now().date())
    follow(page, button("Add the batch"))
    checks(page)
    (batch,) = query(server, "SELECT lot_number, expiry_date FROM batch")
    assert batch == {"lot_number": LOT, "expiry_date": expiry.isoformat()}


def practitioner_records_the_treatment(page, server: LiveServer, checks, email: str, submission_id: int) -> None:
    """The practitioner who took the consent records the toxin given: the product, the batch and 10 units in the
    first area and 20 in the second (the screening's two areas, filled in for her)."""
    signs_in(page, server, checks, email, NURSE_OWN_PASSWORD)
    page.goto(f"{server.url}/clinician/submissions/{submission_id}")
    checks(page)
    choose_radio(page, "treatment", "toxin")
    tab_to(page, "el.id === 'product_id'")
    page.keyboard.type(BRAND)
    tab_to(page, "el.id === 'batch_id'")
    page.keyboard.type(BRAND)
    type_into(page, "amount_1", "10")
    type_into(page, "amount_2", "20")
    follow(page, button("Record the treatment given"))
    checks(page)
    assert "Treatments given" in page.inner_text("main")


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_treatment_aftercare_check_in_urgent_report_rescreen_and_recall_with_the_keyboard_alone(clinic, browser, size):
    server, inbox = clinic
    practitioner, email = f"Rhea {size.capitalize()}", f"rhea.{size}@clinic.example"
    patient_email = f"needle.{size}@example.org"
    clinician_account(server, email, practitioner)
    options = {**SIZES[size], "locale": "en-GB"}
    checks = PageChecks(small_screen=size == "mobile")
    publish(server, server.now() + timedelta(hours=2), practitioner, "consultation")

    admin = browser.new_context(**options)
    patient = browser.new_context(**options)
    practice = browser.new_context(**options)
    try:
        admin_adds_product_and_batch(admin.new_page(), server, checks)
        patient_screens_and_books(patient.new_page(), server, checks, patient_email, reminders=True)
        (submission,) = query(server, "SELECT id, reminders_at FROM submission WHERE email = ?", (patient_email,))
        assert submission["reminders_at"]
        clinic_page = practice.new_page()
        practitioner_consults_and_takes_consent(clinic_page, server, checks, email=email, number="77N4321")

        server.move_clock(days=3)  # the cooling-off has passed
        practitioner_records_the_treatment(clinic_page, server, checks, email, submission["id"])
        (given,) = query(server, "SELECT given_at, batch_id FROM treatment_given")
        (batch,) = query(server, "SELECT id FROM batch WHERE lot_number = ?", (LOT,))
        assert given["batch_id"] == batch["id"]
        aftercare = inbox.wait_for(patient_email, "Your aftercare from")
        assert "difficulty swallowing" in body_of(aftercare).lower()
        given_on = app_clock.local(given["given_at"], CLINIC_ZONE).date()

        server.move_clock(days=14)
        check_in = inbox.wait_for(patient_email, "How are you getting on?")
        reports = patient.new_page()
        reports.goto(link_in(check_in, server, "/r/"))
        checks(reports)
        follow(reports, link("Tell us about a problem after this treatment"))
        checks(reports)
        type_into(reports, "what", "Since this morning it is hard to swallow my food")
        type_into(reports, "started", server.now().strftime("%d/%m/%Y"))
        tab_to(reports, "el.id === 'symptom-swallowing'")
        reports.keyboard.press("Space")
        follow(reports, button("Send to the clinic"))
        checks(reports)
        assert "999" in reports.inner_text("main")  # difficulty swallowing is an emergency: call now
        alert = inbox.wait_for(CLINIC_INBOX, f"Urgent report from a patient (screening {submission['id']})")
        assert DETAILS["full_name"] not in body_of(alert) and "swallow" not in body_of(alert)
        signs_in(clinic_page, server, checks, email, NURSE_OWN_PASSWORD)
        assert clinic_page.locator("main h1").first.inner_text().strip() == "Reported problems"
        first_row = clinic_page.locator("#reported-problems ~ .table-wrap tbody tr").first
        assert f"Screening {submission['id']}" in first_row.inner_text()
        assert "problem--urgent" in (first_row.get_attribute("class") or "")

        server.move_clock(days=60 - 14)  # 60 days after the treatment she screens again
        again = patient.new_page()
        patient_screens(again, server, checks, patient_email)  # "never had toxin": the clinic's record says otherwise
        earliest = readable_date(given_on + timedelta(days=90))
        assert f"You can book from {earliest}." in again.inner_text("main")
        (rescreen,) = query(
            server, "SELECT id, outcome FROM submission WHERE email = ? AND id != ?", (patient_email, submission["id"])
        )
        assert rescreen["outcome"] == "defer"
        signs_in(clinic_page, server, checks, email, NURSE_OWN_PASSWORD)
        clinic_page.goto(f"{server.url}/clinician/submissions/{rescreen['id']}")
        checks(clinic_page)
        assert f"given to this patient on {readable_date(given_on)}" in clinic_page.inner_text("main")

        server.move_clock(days=91 - 60)
        reminder = inbox.wait_for(patient_email, "Time for your next appointment")
        starts = patient.new_page()
        starts.goto(link_in(reminder, server, "/returning/"))
        checks(starts)
        assert "We have filled in your answers from last time." in starts.inner_text("body")
        assert starts.input_value("#date_of_birth-day") == str(BASELINE_DOB.day)
        sent = [m["Subject"] for m in inbox.to(patient_email)]
        assert sum(subject.startswith("Time for your next appointment") for subject in sent) == 1
    finally:
        for context in (admin, patient, practice):
            context.close()
