"""Every patient page in a pseudo-locale (tests/pseudo_locale.py): every interface string accented and a third longer,
so a page that still shows a plain English word has a string that escaped the catalogue. The clinical wording (the
questions, options, help, section titles and rules' messages, marked `data-clinical`) is translated by its own
approved file (here an approved pseudo-translation of it, so the language is offered as a clinic's would be) and
left out here, as are what the patient and the clinic typed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from screening import store
from tests import pseudo_locale
from tests.factories import (
    DETAILS,
    QUESTIONNAIRE,
    answers_by_step,
    approved_rules,
    consent_row,
    consult,
    db_connection,
    make_app,
    publish,
    publish_treatment,
    rows,
)
from tests.journeys import Auth, record_treatment, signed_in, start, walk
from tests.pages import csrf_token, location, page_text

MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ADA = "ada.pseudo@clinic.example"
# The clinical wording (the other catalogue's): left out where a page shows it in a text of its own (<title>).
CLINICAL = tuple(
    {section.title for section in QUESTIONNAIRE.sections}
    | {question.text for question in QUESTIONNAIRE.questions}
    | {option.label for question in QUESTIONNAIRE.questions for option in question.options}
)


@pytest.fixture(scope="session")
def pseudo_folder(tmp_path_factory):
    return pseudo_locale.build(tmp_path_factory.mktemp("pseudo-locale"))


@pytest.fixture(scope="session")
def pseudo_rules(tmp_path_factory):
    """The rules with an approved pseudo-translation of the clinical wording: a language is offered only with one."""
    return approved_rules(tmp_path_factory.mktemp("pseudo-rules") / "rules", pseudo=pseudo_locale.PSEUDO)


@pytest.fixture
def pseudo_app(tmp_path, migrated_database, pseudo_folder, pseudo_rules):
    shutil.copy2(migrated_database, tmp_path / "screening.sqlite3")
    return make_app(
        tmp_path,
        LANGUAGES=f"en,{pseudo_locale.PSEUDO}",
        BABEL_TRANSLATION_DIRECTORIES=f"translations;{pseudo_folder}",
        RULES_DIR=str(pseudo_rules),
        **pseudo_locale.CLINIC_WORDS,
    )


def in_pseudo(app):
    client = app.test_client()
    assert client.get(f"/language/{pseudo_locale.PSEUDO}?next=/").status_code == 303
    return client


def untranslated(pages: dict[str, object]) -> dict[str, list[str]]:
    found = {}
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert f'<html lang="{pseudo_locale.PSEUDO.replace("_", "-")}">' in html, name
        if words := pseudo_locale.ascii_words(html, CLINICAL):
            found[name] = words
    return found


def test_every_patient_page_of_a_screening_is_wholly_translated(pseudo_app, db_path, clock):
    clock.set(MORNING)
    publish(db_path, 2, now=clock.now(), days_ahead=3, practitioner=pseudo_locale.PRACTITIONER)
    client = in_pseudo(pseudo_app)
    pages = {"start": client.get("/")}
    walked: list = []
    result = walk(client, answers_by_step("toxin"), details=DETAILS, signature=DETAILS["full_name"], pages=walked)
    pages |= {f"{i:02d} {page.request.path}": page for i, page in enumerate(walked)}
    assert result.status_code == 200 and len(walked) > 10  # every step, the details, the check, the result
    day = next(p for p in result.get_data(as_text=True).split('name="day" type="radio" value="')[1:]).split('"')[0]
    times = client.get(f"/your-result/times?day={day}")
    pages["choose a time"] = times
    slot = times.get_data(as_text=True).split('name="slot" type="radio" value="')[1].split('"')[0]
    pages["confirm the booking"] = client.get(f"/your-result/book?day={day}&slot={slot}")
    pages["a day not chosen"] = client.get(location(client.get("/your-result/times")))
    found = untranslated(pages)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_result_waiting_for_a_clinician_and_the_pages_around_the_questionnaire_are_wholly_translated(
    pseudo_app, clock
):
    clock.set(MORNING)
    client = in_pseudo(pseudo_app)
    answers = answers_by_step("toxin", neuro_conditions=["multiple_sclerosis"])
    pages = {"waiting for a clinician": walk(client, answers, details=DETAILS, signature=DETAILS["full_name"])}
    stranger = in_pseudo(pseudo_app)
    pages["returning"] = stranger.get("/returning")
    pages["returning, nothing typed"] = stranger.get(
        location(stranger.post("/returning", data={"csrf_token": csrf_token(pages["returning"])}))
    )
    pages["open your link"] = stranger.get("/your-result")
    pages["not found (404)"] = stranger.get("/no-such-page")
    pages["a form that expired (400)"] = stranger.post("/start", data={})
    pages["under 18"] = stranger.get("/not-able-to-continue")
    saving = in_pseudo(pseudo_app)
    step = saving.get(location(start(saving)))
    saved = saving.post("/questions/about-you", data={"csrf_token": csrf_token(step), "later": "1"})
    pages["save and finish later"] = saving.get(location(saved))
    pages["save and finish later, nothing typed"] = saving.get(
        location(saving.post("/save-for-later", data={"csrf_token": csrf_token(pages["save and finish later"])}))
    )
    pages["check your email"] = saving.get("/save-for-later/sent")
    pages["a link that has expired"] = stranger.get("/continue/no-such-link-token-000000000")
    assert [r.status_code for r in pages.values()] == [200, 200, 200, 404, 404, 400, 200, 200, 200, 200, 404]
    found = untranslated(pages)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_pseudo_text_keeps_placeholders_and_tags():
    assert pseudo_locale.pseudo("Step %(number)s of %(total)s") == "Šţéþ %(number)s öƒ %(total)s ~~~~ ~~~~ ~"
    made = pseudo_locale.pseudo('<a href="%(url)s">start again</a> {n}')
    assert made.startswith('<a href="%(url)s">šţåŕţ åĝåîñ</a> {n}')
    assert pseudo_locale.ascii_words('<html lang="x"><p>Plain <span data-clinical>Clinical</span> šţ</p></html>') == [
        "Plain (in “Plain”)"
    ]


def test_the_pages_after_the_consultation_are_wholly_translated(pseudo_app, db_path, clock):
    """Consent to sign, the treatment times, then the treatment given: its aftercare and the treatment record."""
    clock.set(MORNING)
    patient = in_pseudo(pseudo_app)
    walk(patient, answers_by_step("toxin"), details=DETAILS, signature=DETAILS["full_name"])
    submission_id = rows(db_path, "SELECT id FROM submission")[0]["id"]
    ada = Auth(pseudo_app).account(ADA, name="Ada", register="NMC", number="12A3456E")
    with db_connection(db_path) as db:
        consultation_id = consult(db, submission_id)
        consent_id = consent_row(db, submission_id, consultation_id)
    publish_treatment(db_path, MORNING + timedelta(days=20), 1, practitioner=pseudo_locale.PRACTITIONER)
    pages = {"result, consent to sign": patient.get("/your-result"), "consent": patient.get("/your-result/consent")}
    with db_connection(db_path) as db:
        db.execute(
            "UPDATE consent SET signed_at = ?, clinician_id = ?, clinician_name = 'Ada' WHERE id = ?",
            [store.iso(MORNING), ada, consent_id],
        )
    pages["result, consented"] = patient.get("/your-result")
    clock.set(MORNING + timedelta(days=3))
    treated = record_treatment(signed_in(pseudo_app, ADA), db_path, submission_id)
    assert treated.status_code == 303, page_text(treated)[:3000]
    pages["result, treated"] = patient.get("/your-result")
    given = rows(db_path, "SELECT id FROM treatment_given")[0]["id"]
    pages["aftercare"] = patient.get(f"/your-result/aftercare/{given}")
    pages["your data"] = patient.get("/your-result/your-data")
    assert [r.status_code for r in pages.values()] == [200] * 6
    found = untranslated(pages)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
