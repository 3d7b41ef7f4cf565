"""A clinic's licensed assessment instrument, administered at the consultation: the practitioner records the patient's
answers, only the score is kept (with the instrument's version and hash), and a score at or above the cut-off makes
the psychological-suitability assessment necessary before consent, as a fired appearance question does. The
instrument here is invented for the tests; the product ships none."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from screening.services.rules.rulebook import instruments_of
from tests.conftest import RULES_DIR
from tests.factories import INVENTED_INSTRUMENT, audit_rows, make_app, rows
from tests.journeys import booked_patient, consult, take_consent
from tests.pages import csrf_token, page_text, tree

MORNING = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
PATH = "/clinician/submissions/{id}/instruments/invented_worry_scale"
POSITIVE = {"item_mirror": "often", "item_talk": "sometimes", "item_plans": "yes"}  # 2 + 1 + 3 = 6, cut-off 4
NEGATIVE = {"item_mirror": "sometimes", "item_talk": "never", "item_plans": "no", "item_follow_up": "weeks"}  # 1


@pytest.fixture
def app(tmp_path: Path, migrated_database: Path):
    """The app of a clinic that added a licensed instrument beside the shipped rules."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "instruments").mkdir(exist_ok=True)
    (rules / "instruments" / "invented_worry_scale.toml").write_text(INVENTED_INSTRUMENT, encoding="utf-8")
    shutil.copy2(migrated_database, tmp_path / "screening.sqlite3")
    return make_app(tmp_path, RULES_DIR=str(rules))


@pytest.fixture(autouse=True)
def clinic_morning(clock):
    clock.at(MORNING)


def consulted_patient(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    return ada, submission_id


def score(client, submission_id: int, answers: dict[str, str]):
    path = PATH.format(id=submission_id)
    return client.post(path, data={"csrf_token": csrf_token(client.get(path)), **answers})


def assess(client, submission_id: int, outcome: str = "proceed_after_discussion"):
    page = client.get(f"/clinician/submissions/{submission_id}/consent")
    return client.post(
        f"/clinician/submissions/{submission_id}/assessment",
        data={"csrf_token": csrf_token(page), "outcome": outcome, "note": "Talked it through"},
    )


def error_of(response, field: str) -> str:
    node = tree(response).by_id(f"{field}-error")
    return "" if node is None else node.text()


def scores(db_path) -> list[dict]:
    return rows(db_path, "SELECT * FROM instrument_score ORDER BY id")


def test_the_page_shows_the_instrument_with_its_licence_and_every_item(app, db_path, clock, auth):
    ada, submission_id = consulted_patient(app, db_path, clock, auth)

    consent_page = page_text(ada.get(f"/clinician/submissions/{submission_id}/consent"))
    assert "Invented worry scale (version 2.1): not recorded." in consent_page
    page = ada.get(PATH.format(id=submission_id))
    text = page_text(page)
    assert page.status_code == 200
    assert "Used under licence by the clinic. Not to be altered or copied." in text
    assert "Example Licensing Ltd (invented)" in text
    for item in instruments_of(app)["invented_worry_scale"].items:
        assert item.text in text
    assert "If it has, for how long? (optional)" in text


def test_a_positive_score_is_kept_without_the_answers_and_consent_waits_for_the_assessment(app, db_path, clock, auth):
    ada, submission_id = consulted_patient(app, db_path, clock, auth)

    saved = score(ada, submission_id, POSITIVE)
    assert saved.status_code == 303
    (kept,) = scores(db_path)
    instrument = instruments_of(app)["invented_worry_scale"]
    assert (kept["instrument"], kept["version"], kept["score"], kept["cut_off"], kept["positive"]) == (
        "invented_worry_scale",
        "2.1",
        6,
        4,
        1,
    )
    assert kept["instrument_sha256"] == instrument.sha256 and kept["clinician_name"] == "Ada"
    (event,) = audit_rows(db_path, "instrument_scored")
    assert json.loads(event["detail"]) == {
        "instrument": "invented_worry_scale",
        "version": "2.1",
        "score": 6,
        "positive": True,
    }
    assert set(kept) == {  # the score, never the answers (the licence holder's text)
        "id",
        "submission_id",
        "instrument",
        "version",
        "instrument_sha256",
        "score",
        "cut_off",
        "positive",
        "clinician_id",
        "clinician_name",
        "created_at",
    }
    assert "score 6, cut-off 4: at or above the cut-off" in page_text(
        ada.get(f"/clinician/submissions/{submission_id}/consent")
    )

    before = len(audit_rows(db_path))
    refused = take_consent(ada, submission_id)
    assert refused.status_code == 400
    assert "The Invented worry scale score reached its cut-off" in error_of(refused, "toxin-discussed")
    assert rows(db_path, "SELECT count(*) AS n FROM consent")[0]["n"] == 0 and len(audit_rows(db_path)) == before

    assert assess(ada, submission_id).status_code == 303
    (assessment,) = rows(db_path, "SELECT instrument, score, positive FROM suitability_assessment")
    assert assessment == {"instrument": "invented_worry_scale", "score": 6, "positive": 1}
    assert take_consent(ada, submission_id).status_code == 303


def test_a_score_below_the_cut_off_asks_for_no_assessment(app, db_path, clock, auth):
    ada, submission_id = consulted_patient(app, db_path, clock, auth)

    assert score(ada, submission_id, NEGATIVE).status_code == 303
    assert [(s["score"], s["positive"]) for s in scores(db_path)] == [(1, 0)]
    page = page_text(ada.get(f"/clinician/submissions/{submission_id}/consent"))
    assert "below the cut-off" in page and "Psychological-suitability assessment" not in page
    assert take_consent(ada, submission_id).status_code == 303


def test_an_assessment_made_before_a_positive_score_does_not_count_for_it(app, db_path, clock, auth):
    ada, submission_id = consulted_patient(app, db_path, clock, auth)
    assert assess(ada, submission_id, "proceed").status_code == 303
    clock.set(clock.now() + timedelta(minutes=10))
    assert score(ada, submission_id, POSITIVE).status_code == 303

    assert "The last assessment was recorded before that score" in page_text(
        ada.get(f"/clinician/submissions/{submission_id}/consent")
    )
    refused = take_consent(ada, submission_id)
    assert refused.status_code == 400 and "reached its cut-off" in error_of(refused, "toxin-discussed")

    clock.set(clock.now() + timedelta(minutes=5))
    assert assess(ada, submission_id, "refer_gp").status_code == 303
    refused = take_consent(ada, submission_id)
    assert refused.status_code == 400 and "refer to the GP" in error_of(refused, "toxin-discussed")
    assert rows(db_path, "SELECT count(*) AS n FROM consent")[0]["n"] == 0


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"item_mirror": "often", "item_talk": "often"}, "item_plans", "Choose the patient's answer"),
        ({**POSITIVE, "item_plans": "perhaps"}, "item_plans", "Not a valid choice"),
    ],
)
def test_answers_that_cannot_be_scored_are_shown_again_with_the_item_and_nothing_is_kept(
    app, db_path, clock, auth, answers, field, message
):
    ada, submission_id = consulted_patient(app, db_path, clock, auth)
    before = len(audit_rows(db_path))

    refused = score(ada, submission_id, answers)

    assert refused.status_code == 400
    assert message in error_of(refused, field)
    assert page_text(refused).startswith("Error: ") or "There is a problem" in page_text(refused)
    assert scores(db_path) == []
    assert len(audit_rows(db_path)) == before


def test_the_instrument_waits_for_the_consultation_and_an_unknown_one_is_not_found(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()

    refused = score(ada, submission_id, POSITIVE)
    assert refused.status_code == 400
    assert "Record the consultation first" in error_of(refused, "item_mirror")
    assert scores(db_path) == []
    assert ada.get(f"/clinician/submissions/{submission_id}/instruments/no_such_scale").status_code == 404
