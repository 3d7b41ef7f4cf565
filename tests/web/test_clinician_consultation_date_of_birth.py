"""A date of birth mistyped on the screening is corrected at the consultation: with the identity document in hand the
practitioner chooses "Changed: screen again", and the new version carries the document's date, is run through the
rules again (an under-18 date gives the age reason) and is audited. Confirming the answers with a date that does not
match still stops the record."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from tests.factories import CAUTION, audit_rows, rows
from tests.journeys import CHECK_PATH, booked_patient, declaration
from tests.pages import csrf_token, location, page_text, tree

MORNING = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
CHANGED = {
    "attendance": "attended",
    "id_document": "passport",
    "answers": "changed",
    "consulted": "y",
    "note": "",
}


@pytest.fixture(autouse=True)
def clinic_morning(clock):
    clock.at(MORNING)


def record(client, submission_id: int, **fields):
    path = f"/clinician/submissions/{submission_id}/consultation"
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={**CHANGED, **fields, "csrf_token": csrf_token(page)})


def newest(db_path) -> dict:
    return rows(db_path, "SELECT id, kind, previous_id, outcome, answers FROM submission ORDER BY id DESC LIMIT 1")[0]


def test_a_mistyped_date_of_birth_is_corrected_and_screened_again(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)  # screened as born 22 July 1990
    clinician = auth.registered_clinician()

    response = record(clinician, submission_id, id_date_of_birth="23/07/1990")

    assert response.status_code == 303 and location(response) == CHECK_PATH
    assert "Sunday 22 July 1990" not in page_text(clinician.get(CHECK_PATH))
    sent = clinician.post(CHECK_PATH, data=declaration(clinician, "Mary Seacole"))
    assert sent.status_code == 303
    new = newest(db_path)
    assert (new["kind"], new["previous_id"]) == ("rescreen", submission_id)
    assert json.loads(new["answers"])["date_of_birth"] == "1990-07-23"
    (consultation,) = rows(db_path, "SELECT id_date_of_birth, answers FROM consultation")
    assert consultation == {"id_date_of_birth": "1990-07-23", "answers": "changed"}
    (recorded,) = audit_rows(db_path, "consultation_recorded")
    assert json.loads(recorded["detail"])["date_of_birth_corrected"] is True
    assert audit_rows(db_path, "consultation_stopped") == []
    shown = page_text(clinician.get(f"/clinician/submissions/{new['id']}"))
    assert "Date of birth" in shown and "23 July 1990" in shown


def test_a_corrected_date_of_birth_under_18_gives_the_age_reason(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician()
    born = date(clock.today(app).year - 16, 3, 1)

    response = record(clinician, submission_id, id_date_of_birth=born.strftime("%d/%m/%Y"))

    assert response.status_code == 303 and location(response) == CHECK_PATH
    assert clinician.post(CHECK_PATH, data=declaration(clinician, "Mary Seacole")).status_code == 303
    new = newest(db_path)
    assert new["kind"] == "rescreen" and new["outcome"] == "decline"
    fired = [
        r["rule_id"] for r in rows(db_path, "SELECT rule_id FROM submission_rule WHERE submission_id = ?", [new["id"]])
    ]
    assert "age_under_18" in fired


def test_confirming_the_answers_with_a_date_that_does_not_match_still_stops_and_says_how_to_correct(
    app, db_path, clock, auth
):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    clinician = auth.registered_clinician()

    response = record(clinician, submission_id, id_date_of_birth="23/07/1990", answers="confirmed")

    assert response.status_code == 400
    message = tree(response).by_id("id_date_of_birth-error").text()
    assert "does not match" in message and "Changed: screen the new answers again" in message
    assert rows(db_path, "SELECT id FROM consultation") == []
