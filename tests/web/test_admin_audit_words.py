"""The audit trail page reads in the clinic's time and in plain words (the codes stay as the filter's values and
beside the words, for whoever searches by them)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import REVIEW_TOXIN, quick_submission
from tests.journeys import decide
from tests.pages import page_text, tree

SUMMER = datetime(2025, 6, 4, 10, 0, tzinfo=UTC)  # 11:00 in London (BST)
AUDIT = "/clinician/admin/audit"


def shown_rows(page) -> list[list[str]]:
    return [[cell.text() for cell in row.find_all("td")] for row in tree(page).find_all("tr") if row.find_all("td")]


def test_the_audit_trail_shows_clinic_time_and_plain_words(app, db_path, clock, auth):
    clock.freeze()
    clock.set(SUMMER)
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    admin = auth.admin()
    assert decide(admin, submission_id, action="approve").status_code == 303

    page = admin.get(AUDIT, query_string={"object_type": "submission", "object_id": str(submission_id)})

    text = page_text(page)
    assert "UTC" not in text
    assert "When (Europe/London)" in text
    table = shown_rows(page)
    actions = [cells[3] for cells in table]
    assert actions[0].startswith("Recorded a decision") and "Opened a screening" in actions[1]
    assert all("_" not in words.split("(")[0] for words in actions)
    assert all("11:00" in cells[1] for cells in table), [cells[1] for cells in table]


def test_the_action_filter_offers_words_and_filters_by_code(app, db_path, auth):
    admin = auth.admin()
    page = admin.get(AUDIT)
    options = {node.attrs.get("value"): node.text() for node in tree(page).find_all("option")}
    assert options["try_case_from_submission"] == "Tried a stored screening against the rules"

    filtered = admin.get(AUDIT, query_string={"action": "audit_viewed"})

    assert {cells[3].split(" (")[0] for cells in shown_rows(filtered)} == {"Viewed the audit trail"}
