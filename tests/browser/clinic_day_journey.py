"""The clinic's day in a browser, keyboard only: a clinician signs in, sees names and ages in the queue,
finds a patient by surname, opens the diary, opens a booked patient's screening, records the consultation and
prints it. Shared by the browser test (checks on every page) and `make screenshots` (a camera on every page)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from tests.browser.browser_helpers import DETAILS, answer_step, book_first_slot, complete_screening, press_button
from tests.factories import answers_by_step
from tests.live_server import LiveServer, clinic_now

NURSE_PASSWORD = "copper meadow 58 kettle"  # what the admin gave the CLI for her
NURSE_OWN_PASSWORD = "saffron lighthouse 64 quill"  # the one she chooses at her first sign-in


def tab_to(page, condition: str, limit: int = 200) -> None:
    """Press Tab until the focused element satisfies `condition` (JavaScript over `el`); fail if it never does."""
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const el = document.activeElement; return Boolean({condition}); }})()"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached an element where {condition}")


def follow(page, condition: str) -> None:
    tab_to(page, condition)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def link(text: str) -> str:
    return f"el.tagName === 'A' && el.textContent.trim().startsWith({text!r})"


def button(text: str) -> str:
    return f"el.tagName === 'BUTTON' && el.textContent.includes({text!r})"


def type_into(page, element_id: str, text: str) -> None:
    tab_to(page, f"el.id === {element_id!r}")
    page.keyboard.type(text)


def type_date(page, element_id: str, day: date) -> None:
    """Type a date into a native date box with the keyboard. The box shows its parts in the browser's own order
    (Debian's Chromium: month first, whatever the page's locale), so a first date whose day and month cannot be
    confused tells the order; Shift+Tab twice goes back to the first part, and the date is typed in that order."""
    tab_to(page, f"el.id === {element_id!r}")
    page.keyboard.type("01022003")
    month_first = page.input_value(f"#{element_id}") == "2003-01-02"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(day.strftime("%m%d%Y" if month_first else "%d%m%Y"))
    assert page.input_value(f"#{element_id}") == day.isoformat()


def choose_radio(page, name: str, value: str) -> None:
    tab_to(page, f"el.name === {name!r}")
    for _ in range(6):
        if page.evaluate("document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.is_checked(f"input[name={name!r}][value={value!r}]")


def clinician_account(server: LiveServer, email: str, name: str) -> None:
    """A clinician (not an admin) made through the real CLI, once."""
    try:
        server.cli("clinician", "add", email, "--name", name, stdin=NURSE_PASSWORD + "\n")
    except RuntimeError as error:
        if "exists already" not in str(error):
            raise


def patient_books_soon(browser, server: LiveServer, options: dict, practitioner: str, checks) -> None:
    """Publish a slot a few hours from now for this practitioner; a patient screens (caution) and books it."""
    publish(server, (clinic_now() + timedelta(hours=2)).replace(minute=0), practitioner, "consultation")
    patient = browser.new_context(**options).new_page()
    complete_screening(patient, server.url, answers_by_step("toxin", upcoming_event="yes"), checks)
    book_first_slot(patient, checks)
    patient.context.close()


def signs_in(page, server: LiveServer, checks, email: str, password: str) -> None:
    """A clinician signs in from the sign-in page (the first time, or when a session from days before has run out),
    keyboard only."""
    page.goto(server.url + "/clinician/login")
    checks(page)
    type_into(page, "email", email)
    type_into(page, "password", password)
    follow(page, button("Sign in"))
    checks(page)


def practitioner_signs_in(page, server: LiveServer, checks, *, email: str, number: str) -> None:
    """A clinician made by the CLI signs in for the first time, chooses her password and puts her register (NMC) and
    number on her profile, as a practitioner who takes consent must: keyboard only."""
    signs_in(page, server, checks, email, NURSE_PASSWORD)
    type_into(page, "new", NURSE_OWN_PASSWORD)
    type_into(page, "again", NURSE_OWN_PASSWORD)
    follow(page, button("Set my password"))
    checks(page)
    follow(page, link("Your account"))
    checks(page)
    tab_to(page, "el.id === 'profile-register'")
    page.keyboard.type("NMC")
    type_into(page, "profile-register_number", number)
    follow(page, button("Save profile"))
    checks(page)


def record_consultation(page, checks) -> None:
    """From a screening's page: the patient came, a passport with the screening's date of birth, answers confirmed,
    seen face to face; keyboard only."""
    follow(page, link("Record the consultation"))
    checks(page)
    choose_radio(page, "attendance", "attended")
    tab_to(page, "el.id === 'id_document'")
    page.keyboard.type("Passport")
    tab_to(page, "el.id === 'id_date_of_birth'")
    page.keyboard.type("22/07/1990")
    choose_radio(page, "answers", "confirmed")
    tab_to(page, "el.id === 'consulted'")
    page.keyboard.press("Space")
    follow(page, button("Save the record"))
    checks(page)
    assert "Consultation recorded." in page.inner_text("body"), page.inner_text("main")[:1500]


def clinic_day(page, server: LiveServer, checks, *, email: str, name: str, number: str) -> bytes:
    """The journey, keyboard only, from the sign-in page to the print view; returns the print view as an A4 PDF."""
    page.goto(server.url + "/clinician/login")
    checks(page)
    type_into(page, "email", email)
    type_into(page, "password", NURSE_PASSWORD)
    follow(page, button("Sign in"))
    checks(page)
    # Her account was made by the CLI with a password the admin chose: she chooses her own before anything else.
    assert page.url.endswith("/clinician/account/choose-password"), page.url
    type_into(page, "new", NURSE_OWN_PASSWORD)
    type_into(page, "again", NURSE_OWN_PASSWORD)
    follow(page, button("Set my password"))
    checks(page)
    queue = page.inner_text("main")
    assert f"{DETAILS['full_name']}, " in queue or "No screenings match" in queue

    follow(page, link("Your account"))
    checks(page)
    tab_to(page, "el.id === 'profile-register'")
    page.keyboard.type("NMC")  # a select chooses by typing, as with any keyboard
    type_into(page, "profile-register_number", number)
    follow(page, button("Save profile"))
    checks(page)
    assert "Your profile is saved." in page.inner_text("body")

    follow(page, link("Patients"))
    checks(page)
    type_into(page, "q", DETAILS["full_name"].split()[-1])
    follow(page, button("Search"))
    checks(page)
    assert DETAILS["full_name"] in page.inner_text("main")

    follow(page, link("Diary"))
    checks(page)
    follow(page, link("Show only mine"))
    checks(page)
    follow(page, link(DETAILS["full_name"]))
    checks(page)
    assert "Appointment" in page.inner_text("main")

    record_consultation(page, checks)
    assert "In-person consultation done by" in page.inner_text("main")

    follow(page, link("Print view"))
    checks(page)
    return page.pdf(format="A4", print_background=False)


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


def patient_screens(page, server: LiveServer, checks, email: str) -> None:
    """A patient with nothing to declare answers every step from the start page, gives her name and address, signs
    the declaration and sends her answers, with the keyboard alone."""
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


def patient_screens_and_books(page, server: LiveServer, checks, email: str, *, reminders: bool = False) -> None:
    """A clear patient screens and books the consultation slot, with the keyboard alone (ticking the box that asks
    for a reminder when a refresh is due, where `reminders`)."""
    patient_screens(page, server, checks, email)
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
    if reminders:
        tab_to(page, "el.id === 'reminders'")
        page.keyboard.press("Space")
    press_button(page, "Confirm appointment")
    checks(page)
    assert page.locator("h1").inner_text().strip() == "Your appointment is booked"


def practitioner_consults(page, server: LiveServer, checks, *, email: str, number: str) -> None:
    """The practitioner signs in for the first time, sets their register, opens her booked patient from her own diary
    and records the consultation: keyboard only."""
    practitioner_signs_in(page, server, checks, email=email, number=number)
    follow(page, link("Diary"))
    checks(page)
    follow(page, link("Show only mine"))
    checks(page)
    follow(page, link(DETAILS["full_name"]))
    checks(page)
    record_consultation(page, checks)


def practitioner_consults_and_takes_consent(page, server: LiveServer, checks, *, email: str, number: str) -> None:
    """The practitioner signs in, sets their register, records the consultation, takes consent to toxin (photographs
    for the record ticked) and hands the device to the patient, who signs: keyboard only."""
    practitioner_consults(page, server, checks, email=email, number=number)

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
