"""The patient's language: chosen from the browser's Accept-Language among the languages the clinic offers, kept in
the session, switched from any patient page without losing answers, stored with the screening; the clinic's pages
stay English."""

from __future__ import annotations

import shutil

import pytest

from screening.web import language
from tests.factories import STEP_SLUGS, answers_by_step, make_app, rows
from tests.journeys import form_fields, post_step, start, walk
from tests.pages import csrf_token, elements, location, page_text

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def html_lang(response) -> str | None:
    return elements(response, "html")[0].get("lang")


def session_language(client) -> str | None:
    with client.session_transaction() as held:
        return held.get("language")


@pytest.mark.languages("en,es")
def test_accept_language_es_picks_spanish_when_offered_and_keeps_it_in_the_session(client):
    page = client.get("/", headers=SPANISH)
    assert page.status_code == 200
    assert html_lang(page) == "es"
    assert "Saltar al contenido principal" in page_text(page)
    assert session_language(client) == "es"
    # the session's choice stands from then on, whatever the browser says
    again = client.get("/", headers={"Accept-Language": "en-GB"})
    assert html_lang(again) == "es"


def test_accept_language_es_gives_english_when_spanish_is_not_offered(client):
    page = client.get("/", headers=SPANISH)
    assert html_lang(page) == "en-GB"
    assert "Skip to main content" in page_text(page)
    assert session_language(client) is None  # one language: nothing chosen, nothing kept
    assert elements(page, "nav", **{"class": "languages"}) == []  # and nothing to switch to


def test_a_language_not_offered_is_never_used_even_when_the_session_holds_it(client):
    assert client.get("/language/es?next=/").status_code == 404
    with client.session_transaction() as held:
        held["language"] = "es"
    assert html_lang(client.get("/")) == "en-GB"


@pytest.mark.languages("en,es")
def test_the_switch_shows_each_language_in_its_own_words_with_its_lang(client):
    page = client.get("/")
    switch = elements(page, "nav", **{"class": "languages"})
    assert len(switch) == 1
    links = {a["lang"]: a for a in elements(page, "a") if a.get("hreflang")}
    assert set(links) == {"es"}  # English is the page's own language: shown, not a link
    assert links["es"]["href"] == "/language/es?next=/"
    assert "Español" in page_text(page) and "English" in page_text(page)


@pytest.mark.languages("en,es")
def test_the_switch_goes_back_to_a_same_site_path_only(client):
    assert location(client.get("/language/es?next=/returning")) == "/returning"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""):
        response = client.get("/language/en", query_string={"next": hostile})
        assert (response.status_code, location(response)) == (303, "/"), hostile
    assert session_language(client) == "en"


@pytest.mark.languages("en,es")
def test_switching_language_on_a_step_keeps_the_answers(client):
    steps = answers_by_step("toxin")
    start(client)
    first, second = STEP_SLUGS[0], STEP_SLUGS[1]
    assert post_step(client, first, steps[first]).status_code == 303
    path = f"/questions/{first}"
    switched = client.get("/language/es", query_string={"next": path})
    assert location(switched) == path
    page = client.get(path)
    assert html_lang(page) == "es"
    # the answers given on the step are still checked and filled in
    for name, value in form_fields(steps[first]).items():
        shown = [e for e in elements(page, "input") if e.get("name") == name]
        assert shown, name
        if shown[0].get("type") in ("radio", "checkbox"):
            wanted = set(value) if isinstance(value, list) else {value}
            assert {e.get("value") for e in shown if "checked" in e} == wanted, name
        else:
            assert shown[0].get("value") == str(value), name
    # and the patient carries on to the next step
    assert client.get(f"/questions/{second}").status_code == 200
    assert session_language(client) == "es"


@pytest.mark.languages("en,es")
def test_the_session_language_is_stored_on_the_submission_and_survives_starting_again(client, db_path):
    client.get("/", headers=SPANISH)
    token = csrf_token(client.get("/"))
    assert client.post("/start", data={"csrf_token": token}).status_code == 303  # start clears the session
    assert session_language(client) == "es"
    walk(client, answers_by_step("toxin"), from_path=f"/questions/{STEP_SLUGS[0]}")
    assert [r["language"] for r in rows(db_path, "SELECT language FROM submission")] == ["es"]


def test_an_english_screening_is_stored_as_english(client, db_path):
    walk(client, answers_by_step("toxin"))
    assert [r["language"] for r in rows(db_path, "SELECT language FROM submission")] == ["en"]


@pytest.mark.languages("en,es")
def test_the_clinics_pages_stay_english_whatever_the_session_holds(client):
    client.get("/language/es?next=/")
    login = client.get("/clinician/login", headers=SPANISH)
    assert html_lang(login) == "en-GB"
    assert elements(login, "nav", **{"class": "languages"}) == []


def test_a_listed_language_whose_clinical_wording_awaits_approval_is_not_offered(tmp_path, migrated_database):
    shutil.copy2(migrated_database, tmp_path / "screening.sqlite3")
    client = make_app(tmp_path, LANGUAGES="en,es").test_client()  # the shipped rules: Spanish not yet approved
    page = client.get("/", headers=SPANISH)
    assert html_lang(page) == "en-GB" and "Español" not in page.get_data(as_text=True)
    assert client.get("/language/es?next=/").status_code == 404
    assert session_language(client) is None


def test_a_language_without_a_catalogue_stops_the_start(tmp_path):
    with pytest.raises(language.LanguageNotAvailable, match="xx"):
        make_app(tmp_path, LANGUAGES="en,xx")


def test_safe_next_refuses_everything_but_a_same_site_path():
    assert language.safe_next("/questions/about-you?change=1") == "/questions/about-you?change=1"
    assert [language.safe_next(v) for v in (None, "", "x", "//a", "/\\a", "https://a/", "/a\nb")] == ["/"] * 7


def test_each_language_has_its_own_name_and_its_english_name():
    assert (language.own_name("es"), language.own_name("en")) == ("Español", "English")
    assert language.english_name("es") == "Spanish"
    assert language.offered_in({"LANGUAGES": "es, en"}) == ["en", "es"]


@pytest.mark.languages("en,es")
def test_a_refusal_a_spanish_patient_reads_is_in_spanish_and_a_clinicians_stays_english(client, auth):
    client.get("/language/es?next=/")
    walk(client, answers_by_step("toxin"))
    refused = client.get("/your-result/times?day=not-a-day")
    assert (refused.status_code, location(refused)) == (303, "/your-result")
    assert "Elija un día de la lista." in page_text(client.get("/your-result"))
    missing = auth.clinician().get("/clinician/submissions/999999", headers=SPANISH)
    assert missing.status_code == 404 and html_lang(missing) == "en-GB"
    assert "Page not found" in page_text(missing)


@pytest.mark.languages("en,es")
def test_the_switch_on_a_page_answering_a_form_goes_back_to_a_page_that_exists(client):
    start(client)
    path = f"/questions/{STEP_SLUGS[0]}"
    refused = post_step(client, STEP_SLUGS[0], {})  # post/redirect/get: the GET shows the problems
    page = client.get(location(refused))
    (link,) = [a for a in elements(page, "a") if a.get("hreflang") == "es"]
    assert link["href"] == f"/language/es?next={path}"
    refused_sign = client.post("/your-result/consent/sign", data={}, headers={"Referer": "http://localhost/x"})
    links = [a["href"] for a in elements(refused_sign, "a") if a.get("hreflang") == "es"]
    assert links == ["/language/es?next=/x"]  # the page the form was on, never the address that takes only POST
