"""The cautions list goes by each treatment's outcome: a screening is listed when any treatment it asked for came out
caution, whatever the overall outcome (a caution filler beside a toxin under review, deferred or clear)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import CLEAR, REVIEW_TOXIN, quick_submission, rows
from tests.pages import listed_ids

NOW = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)
CAUTION_FILLER = {"recent_skin_procedure": "yes"}  # filler_recent_skin_procedure: caution, for filler only


def test_cautions_list_every_screening_with_a_caution_treatment(db_path, clock, auth):
    clock.at(NOW)
    clinician = auth.clinician()
    clear_toxin = quick_submission(db_path, "both", created_at=NOW - timedelta(hours=3), **CAUTION_FILLER)
    review_toxin = quick_submission(
        db_path, "both", created_at=NOW - timedelta(hours=2), neuro_conditions=["multiple_sclerosis"], **CAUTION_FILLER
    )
    quick_submission(db_path, **REVIEW_TOXIN)  # no caution treatment
    quick_submission(db_path, **CLEAR)
    stored = {
        row["id"]: (row["outcome"], row["treatments"])
        for row in rows(
            db_path, "SELECT id, outcome, treatments FROM submission WHERE id IN (?, ?)", [clear_toxin, review_toxin]
        )
    }
    assert stored[review_toxin] == ("review", '{"toxin": "review", "filler": "caution"}')

    page = clinician.get("/clinician/cautions")

    assert page.status_code == 200
    assert sorted(listed_ids(page)) == sorted([clear_toxin, review_toxin])
