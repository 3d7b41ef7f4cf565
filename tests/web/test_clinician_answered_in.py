"""The clinician's screening page says which language the patient answered in ("Answered in Spanish") and marks
their free text as written in it; the page itself stays in the clinic's English, whatever the browser asks for."""

from __future__ import annotations

import pytest

from tests.factories import DETAILS, answers_by_step, latest_submission_id
from tests.journeys import walk
from tests.pages import elements, page_text

pytestmark = pytest.mark.languages("en,es")

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
WRITTEN = "Combined contraceptive pill"  # the baseline's free-text medicines answer


def screened_in(app, code: str) -> int:
    patient = app.test_client()
    patient.get(f"/language/{code}?next=/")
    walk(patient, answers_by_step("toxin"), details=DETAILS, signature=DETAILS["full_name"])
    return latest_submission_id(app.config["DATABASE"])


def test_the_clinician_sees_answered_in_spanish_and_free_text_marked_and_the_page_stays_english(app, auth):
    submission_id = screened_in(app, "es")
    clinician = auth.clinician()
    page = clinician.get(f"/clinician/submissions/{submission_id}", headers=SPANISH)
    assert page.status_code == 200
    text = page_text(page)
    assert "Answered in Spanish." in text
    assert f"{WRITTEN} written in Spanish" in text
    assert elements(page, "html")[0]["lang"] == "en-GB"
    assert "Answers, as the patient saw the questions" in text and "Saltar" not in text
    printed = page_text(clinician.get(f"/clinician/submissions/{submission_id}/print"))
    assert "Answered in Spanish." in printed


def test_an_english_screening_says_nothing_about_its_language(app, auth):
    submission_id = screened_in(app, "en")
    text = page_text(auth.clinician().get(f"/clinician/submissions/{submission_id}"))
    assert "Answered in" not in text and "written in" not in text
