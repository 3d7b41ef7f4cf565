"""Recording a decision: approve (per treatment), decline, defer until a date, ask for information; notes required where
they matter; CSRF and method checks; and two clinicians deciding at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import (
    CAUTION,
    REVIEW_BOTH,
    REVIEW_TOXIN,
    REVIEW_TOXIN_OF_BOTH,
    audit_rows,
    db_connection,
    decision_rows,
    make_clinician,
    quick_submission,
    record,
    review_state,
)
from tests.journeys import decide, signed_in, token_of
from tests.pages import field_error, location, page_text

# Every test runs on from late morning of this day (the clinician fixture sets the clock), whatever day it is.
MORNING = datetime(2025, 6, 4, 10, 0, tzinfo=UTC)
TODAY = date(2025, 6, 4)
NEXT_MONTH = (TODAY + timedelta(days=30)).isoformat()


@pytest.fixture
def clinician(app, clock, auth):
    clock.at(MORNING)
    assert clock.today(app) == TODAY
    return auth.account(), auth.clinician()


def decision_url(submission_id: int) -> str:
    return f"/clinician/submissions/{submission_id}/decision"


def assert_nothing_recorded(db_path, submission_id: int) -> None:
    assert review_state(db_path, submission_id) == "pending"
    assert decision_rows(db_path, submission_id) == []
    assert [row for row in audit_rows(db_path, "decision_recorded") if row["object_id"] == str(submission_id)] == []


def test_approve_toxin_only_review(db_path, clinician):
    clinician_id, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)

    response = decide(browser, submission_id, action="approve")

    assert response.status_code == 303
    assert location(response) == f"/clinician/submissions/{submission_id}"
    assert review_state(db_path, submission_id) == "approved"
    [decision] = decision_rows(db_path, submission_id)
    assert (decision["action"], decision["treatments"], decision["clinician_id"]) == (
        "approve",
        ["toxin"],
        clinician_id,
    )
    [audited] = audit_rows(db_path, "decision_recorded")
    assert (audited["actor_id"], audited["object_type"], audited["object_id"]) == (
        clinician_id,
        "submission",
        str(submission_id),
    )


def test_approve_filler_only_when_both_under_review(db_path, clinician):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_BOTH)

    response = decide(browser, submission_id, action="approve", treatments=["filler"])

    assert response.status_code == 303
    assert review_state(db_path, submission_id) == "approved"
    assert [row["treatments"] for row in decision_rows(db_path, submission_id)] == [["filler"]]


def test_approve_both_under_review_without_choosing_is_refused(db_path, clinician):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_BOTH)

    response = decide(browser, submission_id, action="approve")

    assert response.status_code == 400
    assert "Choose the treatment you approve" in field_error(response, "treatments")
    assert_nothing_recorded(db_path, submission_id)


@pytest.mark.parametrize(
    ("kind", "treatments"),
    [(REVIEW_TOXIN_OF_BOTH, ["filler"]), (REVIEW_TOXIN, ["filler"]), (REVIEW_TOXIN_OF_BOTH, ["toxin", "filler"])],
    ids=["filler-clear-of-both", "filler-not-asked", "toxin-and-clear-filler"],
)
def test_approving_treatment_not_under_review_is_refused(db_path, clinician, kind, treatments):
    _, browser = clinician
    submission_id = quick_submission(db_path, **kind)

    response = decide(browser, submission_id, action="approve", treatments=treatments)

    assert response.status_code == 400
    assert "Only treatments waiting for review can be approved" in page_text(response)
    assert_nothing_recorded(db_path, submission_id)


@pytest.mark.parametrize(
    ("action", "field", "words"),
    [
        ("decline", "private_note", "Write a private note"),
        ("defer", "private_note", "Write a private note"),
        ("request_information", "question", "Write your question"),
    ],
)
@pytest.mark.parametrize("note", ["", "   \n  "], ids=["empty", "blank"])
def test_decision_without_its_text_is_refused(db_path, clinician, action, field, words, note):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)

    response = decide(browser, submission_id, action=action, defer_until=NEXT_MONTH, **{field: note})

    assert response.status_code == 400
    assert words in field_error(response, field)
    assert_nothing_recorded(db_path, submission_id)


@pytest.mark.parametrize(
    ("defer_until", "words"),
    [
        ("", "Enter the date"),
        ((TODAY - timedelta(days=1)).isoformat(), "in the future"),
        (TODAY.isoformat(), "in the future"),
    ],
    ids=["no-date", "yesterday", "today"],
)
def test_defer_needs_a_future_date(db_path, clinician, defer_until, words):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)

    response = decide(
        browser, submission_id, action="defer", defer_until=defer_until, private_note="After the flare-up"
    )

    assert response.status_code == 400
    assert words in field_error(response, "defer_until")
    assert_nothing_recorded(db_path, submission_id)


def test_defer_with_future_date_and_note_is_recorded(db_path, clinician):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)

    response = decide(browser, submission_id, action="defer", defer_until=NEXT_MONTH, private_note="After the flare-up")

    assert response.status_code == 303
    assert review_state(db_path, submission_id) == "deferred"
    [decision] = decision_rows(db_path, submission_id)
    assert (decision["defer_until"], decision["private_note"], decision["note"]) == (
        NEXT_MONTH,
        "After the flare-up",
        "",
    )


def test_get_or_head_on_decision_url_is_405(db_path, clinician):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)

    assert browser.get(decision_url(submission_id), query_string={"action": "approve"}).status_code == 405
    assert browser.head(decision_url(submission_id), query_string={"action": "approve"}).status_code == 405
    assert_nothing_recorded(db_path, submission_id)


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://evil.example"}], ids=["no-token", "foreign-origin"])
def test_decision_without_csrf_token_is_400(db_path, clinician, headers):
    clinician_id, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)

    response = browser.post(decision_url(submission_id), data={"action": "approve"}, headers=headers)

    assert response.status_code == 400
    assert_nothing_recorded(db_path, submission_id)
    [refused] = audit_rows(db_path, "csrf_failure")
    assert refused["object_id"] == decision_url(submission_id)


def test_decision_on_decided_submission_is_409_and_keeps_the_first(db_path, clinician):
    _, browser = clinician
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    assert decide(browser, submission_id, action="approve").status_code == 303

    response = decide(browser, submission_id, action="decline", private_note="Changed my mind")

    assert response.status_code == 409
    assert "Ada" in page_text(response)
    assert "Wednesday 4 June 2025, 11:00am" in page_text(response)  # the clinic's time (London, summer), not UTC
    assert "UTC" not in page_text(response)
    assert review_state(db_path, submission_id) == "approved"
    assert [row["action"] for row in decision_rows(db_path, submission_id)] == ["approve"]


def test_decision_on_caution_submission_is_not_recorded(db_path, clinician):
    _, browser = clinician
    submission_id = quick_submission(db_path, **CAUTION)
    token = token_of(browser)

    for data in ({"action": "approve"}, {"action": "decline", "private_note": "No"}):
        response = browser.post(decision_url(submission_id), data={**data, "csrf_token": token})
        assert response.status_code in (400, 409)
    assert decision_rows(db_path, submission_id) == []
    assert review_state(db_path, submission_id) == "none"


def test_two_clinicians_deciding_at_once_exactly_one_wins(app, db_path):
    ada_id = make_clinician(db_path, "ada@clinic.example", name="Ada Lovelace")
    grace_id = make_clinician(db_path, "grace@clinic.example", name="Grace Hopper")
    browsers = {
        ada_id: signed_in(app, "ada@clinic.example"),
        grace_id: signed_in(app, "grace@clinic.example"),
    }
    tokens = {who: token_of(browser) for who, browser in browsers.items()}
    attempts = {
        ada_id: ({"action": "approve"}, "approved", "Ada Lovelace"),
        grace_id: ({"action": "decline", "private_note": "Specialist advice needed"}, "declined", "Grace Hopper"),
    }
    with db_connection(db_path) as db:
        submission_ids = [record(db, **REVIEW_TOXIN) for _ in range(20)]

    for submission_id in submission_ids:
        barrier = threading.Barrier(2)

        def attempt(who, submission_id=submission_id, barrier=barrier):
            data = {**attempts[who][0], "csrf_token": tokens[who]}
            barrier.wait(timeout=30)
            response = browsers[who].post(decision_url(submission_id), data=data)
            return response.status_code, response.get_data(as_text=True)

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {who: pool.submit(attempt, who) for who in browsers}
            results = {who: future.result(timeout=60) for who, future in futures.items()}

        statuses = sorted(status for status, _ in results.values())
        assert statuses == [303, 409], f"submission {submission_id}: {statuses}"
        winner = next(who for who, (status, _) in results.items() if status == 303)
        loser = next(who for who in browsers if who != winner)
        assert review_state(db_path, submission_id) == attempts[winner][1]
        conflict_page = results[loser][1]
        assert attempts[winner][2] in conflict_page
        assert "nothing was overwritten" in conflict_page
        decisions = decision_rows(db_path, submission_id)
        assert [row["clinician_id"] for row in decisions] == [winner]
        audited = [
            (row["action"], row["actor_id"])
            for row in audit_rows(db_path)
            if row["object_id"] == str(submission_id) and row["action"].startswith("decision_")
        ]
        assert sorted(audited) == sorted([("decision_recorded", winner), ("decision_conflict", loser)])
