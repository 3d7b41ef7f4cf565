"""From consultation to consent to treatment, in a real browser on a real server, keyboard only, with 0 axe violations
on every page at 1280 and 375 px: a clear patient books a consultation, is consulted, the treating practitioner
takes consent and the patient signs on the clinic's device; a treatment time inside the cooling-off is refused with
the date booking opens, one after it books; the signed PDF's hash is the one in the audit trail; a withdrawn
photograph consent shows on the next page."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from screening import clock as app_clock
from tests.browser.browser_helpers import SIZES, PageChecks, press_button
from tests.browser.clinic_day_journey import (
    button,
    clinician_account,
    patient_screens_and_books,
    practitioner_consults_and_takes_consent,
    publish,
    query,
    tab_to,
)
from tests.live_server import CLINIC_ZONE, clinic_now


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_consultation_consent_cooling_off_and_treatment_with_the_keyboard_alone(server, browser, size):
    practitioner, email = f"Rhea {size.capitalize()}", f"rhea.{size}@clinic.example"
    clinician_account(server, email, practitioner)
    options = {**SIZES[size], "locale": "en-GB"}
    checks = PageChecks(small_screen=size == "mobile")
    publish(server, clinic_now() + timedelta(hours=2), practitioner, "consultation")

    patient_context = browser.new_context(**options)
    clinic_context = browser.new_context(**options)
    try:
        patient = patient_context.new_page()
        patient_screens_and_books(patient, server, checks, f"consent.{size}@example.org")
        (submission,) = query(server, "SELECT id FROM submission WHERE email = ?", (f"consent.{size}@example.org",))
        practitioner_consults_and_takes_consent(
            clinic_context.new_page(), server, checks, email=email, number=f"77{size[:1].upper()}4321"
        )
        (consent,) = query(server, "SELECT * FROM consent WHERE submission_id = ?", (submission["id"],))
        assert consent["signed_where"] == "clinic_device" and consent["clinician_name"] == practitioner

        inside = publish(server, clinic_now() + timedelta(hours=24), practitioner, "treatment")
        after = publish(server, clinic_now() + timedelta(hours=72), practitioner, "treatment")

        patient.goto(server.url + "/your-result")
        checks(patient)
        assert "You may book your treatment from" in patient.inner_text("main")
        assert patient.locator(f"#treatment-slot-{inside}").count() == 0  # not offered inside the cooling-off
        assert patient.locator(f"#treatment-slot-{after}").count() == 1
        # A page left open from before (or a tampered form) asks for the time inside the cooling-off:
        patient.evaluate(f"document.getElementById('treatment-slot-{after}').value = '{inside}'")
        tab_to(patient, f"el.id === 'treatment-slot-{after}'")
        patient.keyboard.press("Space")
        press_button(patient, "Book this treatment time")
        checks(patient)
        refused = patient.inner_text("body")
        (consultation,) = query(
            server, "SELECT created_at FROM consultation WHERE submission_id = ?", (submission["id"],)
        )
        opens = max(app_clock.from_utc_iso(consultation["created_at"]), app_clock.from_utc_iso(consent["signed_at"]))
        opens_words = app_clock.readable(app_clock.to_utc_iso(opens + timedelta(hours=48)), CLINIC_ZONE)
        assert f"That time is inside the cooling-off. You may book your treatment from {opens_words}." in refused
        assert (
            query(server, "SELECT id FROM booking WHERE kind = 'treatment' AND submission_id = ?", (submission["id"],))
            == []
        )

        patient.goto(server.url + "/your-result")
        checks(patient)
        tab_to(patient, f"el.id === 'treatment-slot-{after}'")
        patient.keyboard.press("Space")
        press_button(patient, "Book this treatment time")
        checks(patient)
        assert "Your treatment appointment is booked." in patient.inner_text("body")
        (booked,) = query(
            server, "SELECT slot_id FROM booking WHERE kind = 'treatment' AND submission_id = ?", (submission["id"],)
        )
        assert booked["slot_id"] == after

        pdf_link = patient.locator(f"a[href='/your-result/consent/{consent['id']}.pdf']").first
        document = patient.request.get(server.url + pdf_link.get_attribute("href")).body()
        (signed_event,) = query(
            server,
            "SELECT detail FROM audit_event WHERE action = 'consent_signed' AND object_id = ?",
            (str(consent["id"]),),
        )
        assert document.startswith(b"%PDF")
        assert hashlib.sha256(document).hexdigest() == json.loads(signed_event["detail"])["pdf_sha256"]

        assert "Photographs for my clinical record: given" in patient.inner_text("main")
        tab_to(patient, button("Withdraw") + " && el.textContent.includes('Photographs for my clinical record')")
        with patient.expect_navigation():
            patient.keyboard.press("Enter")
        checks(patient)
        assert "Photographs for my clinical record: not given" in patient.inner_text("main")
    finally:
        patient_context.close()
        clinic_context.close()
