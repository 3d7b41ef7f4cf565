"""The clinic's day in a browser, keyboard only: a clinician signs in, sees names and ages in the queue,
finds a patient by surname, opens the diary, opens a booked patient's screening, records the consultation and
prints it. Shared by the browser test (checks on every page) and `make screenshots` (a camera on every page)."""

from __future__ import annotations

from datetime import timedelta

from tests.browser.browser_helpers import DETAILS, book_first_slot, complete_screening
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
    start = (clinic_now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    server.cli(
        "slots",
        "add",
        "--start",
        start.isoformat(timespec="minutes"),
        "--end",
        (start + timedelta(minutes=30)).isoformat(timespec="minutes"),
        "--practitioner",
        practitioner,
    )
    patient = browser.new_context(**options).new_page()
    complete_screening(patient, server.url, answers_by_step("toxin", upcoming_event="yes"), checks)
    book_first_slot(patient, checks)
    patient.context.close()


def practitioner_signs_in(page, server: LiveServer, checks, *, email: str, number: str) -> None:
    """A clinician made by the CLI signs in for the first time, chooses her password and puts her register (NMC) and
    number on her profile, as a practitioner who takes consent must: keyboard only."""
    page.goto(server.url + "/clinician/login")
    checks(page)
    type_into(page, "email", email)
    type_into(page, "password", NURSE_PASSWORD)
    follow(page, button("Sign in"))
    checks(page)
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
