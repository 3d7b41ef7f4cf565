"""From consultation to consent to treatment, in a real browser on a real server, keyboard only, with 0 axe violations
on every page at 1280 and 375 px: a clear patient books a consultation, is consulted, the treating practitioner
takes consent and the patient signs on the clinic's device; a treatment time inside the cooling-off is refused with
the date booking opens, one after it books; the signed PDF's hash is the one in the audit trail; a withdrawn
photograph consent shows on the next page."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from screening import clock as app_clock
from tests.browser.browser_helpers import DETAILS, PageChecks, answer_step, press_button
from tests.browser.clinic_day_journey import (
    button,
    clinician_account,
    follow,
    link,
    practitioner_signs_in,
    record_consultation,
    tab_to,
    type_into,
)
from tests.factories import answers_by_step
from tests.live_server import CLINIC_ZONE, LiveServer, clinic_now

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "mobile": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
}


def query(server: LiveServer, sql: str, params=()) -> list[dict]:
    connection = sqlite3.connect(Path(server.folder) / "screening.sqlite3")
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def publish(server: LiveServer, start, practitioner: str, kind: str) -> int:
    """One half-hour slot of this kind at `start` (clinic time) for this practitioner; returns its id."""
    start = start.replace(second=0, microsecond=0, tzinfo=None)
    server.cli(
        "slots",
        "add",
        "--start",
        start.isoformat(timespec="minutes"),
        "--end",
        (start + timedelta(minutes=30)).isoformat(timespec="minutes"),
        "--practitioner",
        practitioner,
        "--kind",
        kind,
    )
    (slot,) = query(
        server,
        "SELECT id FROM slot WHERE practitioner = ? AND kind = ? ORDER BY id DESC LIMIT 1",
        (practitioner, kind),
    )
    return slot["id"]


def patient_screens_and_books(page, server: LiveServer, checks, email: str) -> None:
    """A clear patient screens and books the consultation slot, with the keyboard alone."""
    steps = answers_by_step("toxin")
    page.goto(server.url + "/")
    checks(page)
    press_button(page, "Start now")
    for _ in range(len(steps)):
        checks(page)
        answer_step(page, steps[page.url.rsplit("/", 1)[-1]])
    checks(page)
    type_into(page, "full_name", DETAILS["full_name"])
    type_into(page, "email", email)
    press_button(page, "Continue")
    checks(page)
    tab_to(page, "el.id === 'confirm'")
    page.keyboard.press("Space")
    type_into(page, "signature", DETAILS["full_name"])
    press_button(page, "Send my answers")
    checks(page)
    assert page.locator("h1").inner_text().strip() == "You can book a consultation"
    if page.locator("input[name=day]").count():  # a day first, then a time on it
        tab_to(page, "el.name === 'day'")
        page.keyboard.press("Space")
        press_button(page, "Continue")
        checks(page)
    tab_to(page, "el.name === 'slot'")
    page.keyboard.press("Space")
    press_button(page, "Continue")
    checks(page)
    press_button(page, "Confirm appointment")
    checks(page)
    assert page.locator("h1").inner_text().strip() == "Your appointment is booked"


def practitioner_consults_and_takes_consent(page, server: LiveServer, checks, *, email: str, number: str) -> None:
    """The practitioner signs in, sets their register, records the consultation, takes consent to toxin (photographs
    for the record ticked) and hands the device to the patient, who signs: keyboard only."""
    practitioner_signs_in(page, server, checks, email=email, number=number)
    follow(page, link("Diary"))
    checks(page)
    follow(page, link("Show only mine"))
    checks(page)
    follow(page, link(DETAILS["full_name"]))
    checks(page)
    record_consultation(page, checks)

    assert "Take consent" in page.inner_text("main")
    type_into(page, "toxin-discussed", "The common effects, the rare spread of toxin, aftercare and what to report")
    type_into(page, "toxin-reasons", "Frown lines make her look cross")
    type_into(page, "toxin-hopes", "A softer frown, not a frozen face")
    tab_to(page, "el.id === 'toxin-photos_record'")
    page.keyboard.press("Space")
    follow(page, button("Record the consent"))
    checks(page)
    assert "/consent/" in page.url and page.url.endswith("/sign"), page.url

    type_into(page, "full_name", DETAILS["full_name"])  # the patient, on the clinic's device
    tab_to(page, "el.id === 'understood'")
    page.keyboard.press("Space")
    follow(page, button("Sign my consent"))
    checks(page)
    assert "Consent signed." in page.inner_text("body")


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
