"""The patient side in Spanish in a real browser, keyboard only, at both sizes: a browser that asks for Spanish gets
the start page in Spanish, the patient switches to English and back part-way without losing an answer, and sends;
the Spanish email reaches her (a real SMTP server), and the clinician reads "Answered in Spanish" on a page that
stays English. And the pseudo-locale's longer words (tests/pseudo_locale.py) do not make a phone's page scroll
sideways."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests import pseudo_locale
from tests.browser.browser_helpers import (
    SIZES,
    TITLE_SUFFIX,
    PageChecks,
    answer_step,
    fill_step,
    press_button,
    tab_to,
    type_into,
)
from tests.browser.clinic_day_journey import follow, query
from tests.conftest import smtp_server
from tests.factories import answers_by_step, approved_rules
from tests.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer

CLINIC_INBOX = "alerts@clinic.example"
SPANISH_TITLE = " – Cuestionario de salud de Our clinic"
SPANISH_BROWSER = {"locale": "es-ES", "extra_http_headers": {"Accept-Language": "es-ES,es;q=0.9"}}
STEPS = answers_by_step("toxin")


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory):
    """A clinic offering English and Spanish (approved), sending its email to an SMTP test server: the server, with
    the inbox as `bilingual.inbox`."""
    with smtp_server() as (controller, inbox):
        live = LiveServer(tmp_path_factory.mktemp("bilingual-clinic")).send_mail_to(controller.port, CLINIC_INBOX)
        live.env["SCREENING_LANGUAGES"] = "en,es"
        live.env["SCREENING_RULES_DIR"] = str(approved_rules(tmp_path_factory.mktemp("rules-es") / "rules"))
        live.inbox = inbox
        live.start()
        yield live
        live.stop()


@pytest.fixture(scope="module")
def pseudo_clinic(tmp_path_factory):
    folder = pseudo_locale.build(tmp_path_factory.mktemp("pseudo-catalogue"))
    live = LiveServer(tmp_path_factory.mktemp("pseudo-clinic"))
    live.env["SCREENING_LANGUAGES"] = f"en,{pseudo_locale.PSEUDO}"
    live.env["SCREENING_BABEL_TRANSLATION_DIRECTORIES"] = f"translations;{folder}"
    rules = approved_rules(tmp_path_factory.mktemp("rules-pseudo") / "rules", pseudo=pseudo_locale.PSEUDO)
    live.env["SCREENING_RULES_DIR"] = str(rules)
    live.start()
    yield live
    live.stop()


def switch_to(page, lang: str) -> None:
    """Follow the language switch's link for `lang` (its hreflang), by the keyboard."""
    follow(page, f"el.tagName === 'A' && el.getAttribute('hreflang') === {lang!r}")


def still_answered(page, answers: dict[str, Any]) -> None:
    for question, value in answers.items():
        if isinstance(value, list):
            assert all(page.is_checked(f"#{question}-{option}") for option in value), question
        elif isinstance(value, date):
            assert page.input_value(f"#{question}-year") == str(value.year), question
        elif page.locator(f"textarea#{question}").count():
            assert page.input_value(f"#{question}") == value, question
        else:
            assert page.is_checked(f"#{question}-{value}"), question


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_a_spanish_browser_screens_in_spanish_switches_and_back_keeps_answers_and_the_clinician_reads_english(
    bilingual, browser, size
):
    checks = PageChecks(size == "mobile", title_suffixes=(SPANISH_TITLE, TITLE_SUFFIX))
    context = browser.new_context(**SIZES[size], **SPANISH_BROWSER)
    page = context.new_page()
    page.goto(bilingual.url + "/")
    checks(page)
    assert page.get_attribute("html", "lang") == "es"
    assert page.locator("h1").inner_text().strip() == "Preguntas de salud antes de reservar"
    press_button(page, "Empezar")
    slugs = list(STEPS)
    for slug in slugs[:2]:
        checks(page)
        answer_step(page, STEPS[slug], "Continuar")
    # On the third step: to English and back, by the switch; the steps answered before keep their answers
    checks(page)
    third = page.url
    switch_to(page, "en-GB")
    checks(page)
    assert page.url == third and page.get_attribute("html", "lang") == "en-GB"
    assert page.get_by_role("button", name="Continue").count() == 1
    follow(page, "el.tagName === 'A' && el.classList.contains('back-link')")
    checks(page)
    assert page.url.endswith("/" + slugs[1])
    still_answered(page, STEPS[slugs[1]])
    switch_to(page, "es")
    checks(page)
    assert page.get_attribute("html", "lang") == "es" and page.url.endswith("/" + slugs[1])
    still_answered(page, STEPS[slugs[1]])
    press_button(page, "Continuar")
    for slug in slugs[2:]:
        checks(page)
        answer_step(page, STEPS[slug], "Continuar")
    checks(page)
    email = f"lucia.{size}@example.org"
    type_into(page, "full_name", "Lucía Fernández")
    type_into(page, "email", email)
    press_button(page, "Continuar")
    checks(page)
    assert page.locator("h1").inner_text().strip() == "Revise sus respuestas antes de enviarlas"
    tab_to(page, "el.id === 'confirm'")
    page.keyboard.press("Space")
    type_into(page, "signature", "Lucía Fernández")
    press_button(page, "Enviar mis respuestas")
    checks(page)
    assert page.url.endswith("/your-result")
    assert page.locator("h1").inner_text().strip() == "Puede reservar una consulta"
    context.close()

    (sent,) = query(bilingual, "SELECT id, language FROM submission WHERE email = ?", (email,))
    assert sent["language"] == "es"
    received = bilingual.inbox.wait_for(email, "Sus preguntas de salud han llegado a Our clinic")
    assert "No comparta este enlace" in received.get_body(("plain",)).get_content()  # Spanish throughout
    clinician = browser.new_context(**SIZES[size], **SPANISH_BROWSER).new_page()
    clinician.goto(bilingual.url + "/clinician/login")
    checks(clinician)
    type_into(clinician, "email", ADMIN_EMAIL)
    type_into(clinician, "password", ADMIN_PASSWORD)
    press_button(clinician, "Sign in")
    clinician.goto(f"{bilingual.url}/clinician/submissions/{sent['id']}")
    checks(clinician)
    assert clinician.get_attribute("html", "lang") == "en-GB"
    assert "Answered in Spanish." in clinician.locator("#answered-in").inner_text()
    assert clinician.locator(".written-in").count() >= 1
    clinician.context.close()


def test_the_pseudo_locales_longer_words_never_make_a_phone_scroll_sideways(pseudo_clinic, browser):
    suffix = " – " + pseudo_locale.pseudo("%(clinic)s health screening").replace("%(clinic)s", "Our clinic")
    checks = PageChecks(small_screen=True, title_suffixes=(suffix,))
    page = browser.new_context(**SIZES["mobile"]).new_page()
    page.goto(f"{pseudo_clinic.url}/language/{pseudo_locale.PSEUDO}?next=/")
    checks(page)
    assert page.get_attribute("html", "lang") == "en-Dsrt"
    page.locator("main button[type=submit]").click()
    for _ in range(len(STEPS)):
        checks(page)
        fill_step(page, STEPS[page.url.rsplit("/", 1)[-1]])
        page.locator("main form button[type=submit]").first.click()
    checks(page)
    page.fill("#full_name", "Sam Patient")
    page.fill("#email", "sam.pseudo@example.org")
    page.locator("main form button[type=submit]").first.click()
    checks(page)
    page.check("#confirm")
    page.fill("#signature", "Sam Patient")
    page.locator("main form button[type=submit]").last.click()
    checks(page)
    assert page.url.endswith("/your-result")
    page.locator("input[name=day]").first.check()
    page.locator("form[action$='/your-result/times'] button[type=submit]").click()
    checks(page)
    page.locator("input[name=slot]").first.check()
    page.locator("main form button[type=submit]").first.click()
    checks(page)  # the confirmation, with its longest sentences
    for path in ("/returning", "/no-such-page"):
        page.goto(pseudo_clinic.url + path)
        checks(page)
    assert len(checks.visited) >= len(STEPS) + 8
    page.context.close()
