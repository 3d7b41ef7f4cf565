"""A patient whose language is Spanish (flask.session["language"] == "es") reads the questions, their answers and the
rules' messages in Spanish, only when the Spanish is listed in LANGUAGES, complete and approved by a clinician; the
engine judges exactly as in English, the record keeps the clinic's English, and the clinician reads English."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from screening.domain import evaluate_screening
from screening.domain.rules import SEVERITY
from screening.domain.translations import load_translation, localize
from tests.factories import (
    REVIEW_BOTH,
    RULES_DIR,
    RULESET,
    answers_by_step,
    approved_rules,
    expected_messages,
    latest_submission_id,
    make_app,
    public_cases,
    rows,
    steps_of,
)
from tests.journeys import Auth, walk
from tests.pages import shown_messages

ES = Path("translations") / "es.toml"
SPANISH = localize(RULESET, load_translation(RULES_DIR / ES))
ENGLISH_DOB = RULESET.questionnaire.by_id["date_of_birth"].text
SPANISH_DOB = SPANISH.questionnaire.by_id["date_of_birth"].text


def rules_folder(tmp_path: Path, *, approved: bool = True, drop: str | None = None) -> Path:
    return approved_rules(tmp_path / "rules-es", approved=approved, drop=drop)


@pytest.fixture
def app_with(tmp_path: Path, migrated_database: Path):
    """An app on its own database with these rules and settings."""

    def make(rules: Path | None = None, **config):
        folder = tmp_path / f"instance-{len(list(tmp_path.glob('instance-*')))}"
        folder.mkdir()
        shutil.copy2(migrated_database, folder / "screening.sqlite3")
        if rules is not None:
            config["RULES_DIR"] = str(rules)
        return make_app(folder, **config)

    return make


def in_spanish(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["language"] = "es"
    return client


def first_step(client) -> str:
    return walk(client, answers_by_step("toxin"), stop_at="/questions/about-you").get_data(as_text=True)


def test_a_spanish_patient_reads_the_questions_in_spanish_when_approved_complete_and_offered(app_with, tmp_path):
    app = app_with(rules_folder(tmp_path), LANGUAGES=["en", "es"])

    page = first_step(in_spanish(app))

    assert SPANISH_DOB in page and ENGLISH_DOB not in page
    assert "Sobre usted y el tratamiento que desea" in page
    assert "Inyecciones antiarrugas (toxina botulínica" in page


def test_an_english_patient_reads_english_where_spanish_is_offered(app_with, tmp_path):
    app = app_with(rules_folder(tmp_path), LANGUAGES=["en", "es"])

    page = first_step(app.test_client())

    assert ENGLISH_DOB in page and SPANISH_DOB not in page


@pytest.mark.parametrize(
    ("approved", "drop", "languages"),
    [
        (False, None, ["en", "es"]),  # as shipped: awaiting a clinician's approval
        (True, 'title = "Alergias"\n', ["en", "es"]),  # approved, but one title left untranslated
        (True, None, None),  # approved and complete, but the clinic does not list Spanish (no LANGUAGES setting)
        (True, None, "en"),  # listed: English only
    ],
    ids=["unapproved", "incomplete", "no-languages-setting", "not-listed"],
)
def test_spanish_that_is_not_approved_complete_and_listed_is_not_offered(app_with, tmp_path, approved, drop, languages):
    config = {} if languages is None else {"LANGUAGES": languages}
    app = app_with(rules_folder(tmp_path, approved=approved, drop=drop), **config)

    page = first_step(in_spanish(app))

    assert ENGLISH_DOB in page and SPANISH_DOB not in page


def test_a_broken_translation_does_not_stop_the_start_and_is_not_offered(app_with, tmp_path, caplog):
    rules = rules_folder(tmp_path)
    es = rules / ES
    es.write_text(es.read_text(encoding="utf-8").replace("{last_toxin_date + 90 days}", "pronto"), encoding="utf-8")

    app = app_with(rules, LANGUAGES=["en", "es"])
    page = first_step(in_spanish(app))

    assert ENGLISH_DOB in page and SPANISH_DOB not in page
    assert "translations/es.toml is not offered: 1 problem(s); run `screening rules check`" in caplog.text


def test_the_check_your_answers_page_shows_questions_and_answers_in_spanish(app_with, tmp_path):
    app = app_with(rules_folder(tmp_path), LANGUAGES="en,es")

    page = walk(in_spanish(app), answers_by_step("toxin"), stop_at="/check-your-answers").get_data(as_text=True)

    assert "Sobre usted y el tratamiento que desea" in page
    assert SPANISH.questionnaire.by_id["treatment_requested"].text in page
    assert SPANISH.questionnaire.by_id["toxin_areas"].label_of("forehead") in page
    assert SPANISH.questionnaire.by_id["sex_at_birth"].label_of("female") in page
    assert RULESET.questionnaire.by_id["treatment_requested"].text not in page


def spanish_messages(case: dict) -> list[tuple[str, int, str]]:
    """The localized rule set's messages for a case, as the engine renders them, with severity and applies."""
    on = date.fromisoformat(case["screening_date"])
    evaluation = evaluate_screening(SPANISH, SPANISH.questionnaire.normalise(case["answers"], on))
    return [(fired.message, SEVERITY[fired.rule.level], fired.rule.applies) for fired in evaluation.fired]


@pytest.mark.parametrize("case", public_cases())
def test_every_public_case_gives_the_same_outcome_through_the_spanish_form_and_shows_spanish_messages(
    case, app_with, tmp_path, clock
):
    app = app_with(rules_folder(tmp_path), LANGUAGES=["en", "es"])
    screening_day = date.fromisoformat(case["screening_date"])
    clock.set(datetime(screening_day.year, screening_day.month, screening_day.day, 11, 0, tzinfo=UTC))

    page = walk(in_spanish(app), steps_of(case["answers"]))

    database = app.config["DATABASE"]
    submission_id = latest_submission_id(database)
    stored = rows(database, "SELECT outcome, ruleset_version FROM submission WHERE id = ?", [submission_id])[0]
    fired = rows(
        database,
        "SELECT rule_id, patient_message FROM submission_rule WHERE submission_id = ? ORDER BY position",
        [submission_id],
    )
    assert stored["outcome"] == case["expected_outcome"], case["id"]
    assert stored["ruleset_version"] == RULESET.version
    assert sorted(rule["rule_id"] for rule in fired) == sorted(case["expected_rules"]), case["id"]
    on = date.fromisoformat(case["screening_date"])
    judged = evaluate_screening(RULESET, RULESET.questionnaire.normalise(case["answers"], on))
    assert [rule["patient_message"] for rule in fired] == [f.message for f in judged.fired]  # the clinic's English

    messages = spanish_messages(case)
    asked = case["answers"]["treatment_requested"]
    every = ("toxin", "filler") if asked == "both" else (asked,)
    sections = shown_messages(page)
    already: list[str] = []
    for treatments, shown in sections:
        expected = [text for text in expected_messages(messages, treatments) if text not in already]
        assert shown == [" ".join(text.split()) for text in expected], (case["id"], treatments)
        already += shown
    assert sorted(already) == sorted(" ".join(t.split()) for t in expected_messages(messages, every))


def test_the_clinicians_screening_page_shows_the_english_wording_for_a_spanish_patient(app_with, tmp_path):
    app = app_with(rules_folder(tmp_path), LANGUAGES=["en", "es"])
    patient = in_spanish(app)
    steps = answers_by_step(REVIEW_BOTH["treatment"], **{k: v for k, v in REVIEW_BOTH.items() if k != "treatment"})
    result = walk(patient, steps).get_data(as_text=True)
    assert SPANISH.rule("toxin_other_neuro").patient_message.text in result  # the patient read Spanish
    clinician = Auth(app).clinician()

    page = clinician.get(f"/clinician/submissions/{latest_submission_id(app.config['DATABASE'])}")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert RULESET.questionnaire.by_id["neuro_conditions"].text in text
    assert RULESET.questionnaire.by_id["neuro_conditions"].label_of("multiple_sclerosis") in text
    assert SPANISH.questionnaire.by_id["neuro_conditions"].text not in text
    assert SPANISH.rule("toxin_other_neuro").patient_message.text not in text
    assert "Nervios, músculos" not in text
