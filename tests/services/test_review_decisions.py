"""Deciding as a service: a screening that fails its integrity check is refused and the refusal audited; a decision
that loses a race is a conflict, audited, even when the other decision commits between reading the row and its seal."""

from __future__ import annotations

import pytest

from screening import store
from screening.db import connect
from screening.errors import Conflict
from screening.services import review
from screening.store import submissions as submission_store
from tests.factories import REVIEW_TOXIN, audit_rows, db_connection, make_clinician, quick_submission


@pytest.fixture
def deciding(app, db_path):
    clinician_id = make_clinician(db_path)
    db = connect(db_path)
    yield db, app.config, store.Actor("clinician", clinician_id)
    db.close()


def other_clinician_decides(db_path, submission_id: int) -> None:
    other = make_clinician(db_path, "other@clinic.example")
    with db_connection(db_path) as db:
        store.record_decision(
            db,
            submission_id,
            clinician_id=other,
            action="defer",
            state="deferred",
            treatments=(),
            defer_until="2099-01-01",
            note="Later",
            audit=store.Actor("clinician", other).event("decision_recorded"),
        )


def test_a_decision_on_a_screening_that_fails_its_integrity_check_is_refused_and_audited(db_path, deciding):
    db, config, actor = deciding
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    with db_connection(db_path) as raw:
        raw.execute("UPDATE submission SET outcome = 'clear' WHERE id = ?", [submission_id])
        raw.conn.commit()

    with pytest.raises(review.IntegrityFailure):
        review.decide(
            db,
            config,
            actor,
            review.submission(db, submission_id),
            action="approve",
            treatments=[],
            defer_until=None,
        )

    refused = [row for row in audit_rows(db_path, "integrity_failure") if row["object_id"] == str(submission_id)]
    assert [(row["actor_id"], row["outcome"]) for row in refused] == [(actor.id, "failure")]
    assert store.decisions_for(db, submission_id) == []


def test_a_decision_committed_between_reading_the_row_and_its_seal_gives_an_audited_conflict(
    db_path, deciding, monkeypatch
):
    db, config, actor = deciding
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    real_seal = submission_store.submission_seal
    raced = []

    def another_decision_commits_first(on, checked_id, *columns):
        if not raced:  # the other decision lands after the stored seal was read, before it is computed again
            raced.append(checked_id)
            other_clinician_decides(db_path, checked_id)
        return real_seal(on, checked_id, *columns)

    monkeypatch.setattr(submission_store, "submission_seal", another_decision_commits_first)
    found = review.submission(db, submission_id)
    monkeypatch.setattr(submission_store, "submission_seal", real_seal)

    assert raced == [submission_id]
    assert found["sealed"] and found["review_state"] == "pending"  # one moment: the row and its seal agree
    with pytest.raises(Conflict) as refused:
        review.decide(db, config, actor, found, action="approve", treatments=[], defer_until=None)
    assert not isinstance(refused.value, review.IntegrityFailure)
    conflicts = [row for row in audit_rows(db_path, "decision_conflict") if row["object_id"] == str(submission_id)]
    assert [row["actor_id"] for row in conflicts] == [actor.id]
