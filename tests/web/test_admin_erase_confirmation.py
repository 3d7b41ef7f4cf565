"""Erasure cannot be undone, so it takes two steps: after Find, "Check what erasure takes" shows what will go (which
screenings, how many emails, which bookings) and what is kept and why, changing nothing; a second POST, from that
page, erases. Both carry a CSRF token; a plan that changed in between is shown again, not carried out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import BASELINE_DOB, CAUTION, audit_rows, rows
from tests.journeys import booked_patient, submit_through_form
from tests.pages import csrf_token, page_text, tree

MORNING = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
EMAIL, DOB = "mary@example.org", BASELINE_DOB.isoformat()
RECORDS = "/clinician/admin/records"


@pytest.fixture(autouse=True)
def clinic_morning(clock):
    clock.at(MORNING)


def submission_ids(db_path) -> list[int]:
    return [row["id"] for row in rows(db_path, "SELECT id FROM submission ORDER BY id")]


def check_erasure(admin):
    found = admin.post(
        RECORDS, data={"email": EMAIL, "date_of_birth": DOB, "csrf_token": csrf_token(admin.get(RECORDS))}
    )
    assert found.status_code == 200
    (form,) = tree(found).find_all("form", action="/clinician/admin/records/erase")
    fields = {node.attrs["name"]: node.attrs.get("value") or "" for node in form.find_all("input")}
    return admin.post("/clinician/admin/records/erase", data=fields)


def confirm_fields(page) -> dict[str, str]:
    (form,) = tree(page).find_all("form", action="/clinician/admin/records/erase/confirmed")
    return {node.attrs["name"]: node.attrs.get("value") or "" for node in form.find_all("input")}


def test_checking_names_what_will_go_and_what_is_kept_and_changes_nothing(app, db_path, clock, auth):
    _, booked, _ = booked_patient(app, db_path, now=clock.now(), email=EMAIL, **CAUTION)
    admin = auth.admin()
    before = submission_ids(db_path)

    page = check_erasure(admin)

    assert page.status_code == 200
    text = page_text(page)
    assert f"Screening {booked}" in text
    assert "2 email messages" in text  # "reached us" and "your appointment"
    assert "1 booking" in text and "cancelled and its time freed" in text
    assert "What is kept" in text and "audit trail" in text
    assert "cannot be undone" in text
    assert submission_ids(db_path) == before and audit_rows(db_path, "submission_erased") == []
    assert confirm_fields(page)["csrf_token"]


def test_the_second_post_erases(app, db_path, clock, auth):
    booked_patient(app, db_path, now=clock.now(), email=EMAIL, **CAUTION)
    admin = auth.admin()
    page = check_erasure(admin)

    done = admin.post("/clinician/admin/records/erase/confirmed", data=confirm_fields(page))

    assert done.status_code == 303
    assert submission_ids(db_path) == []
    assert len(audit_rows(db_path, "submission_erased")) == 1


def test_the_second_post_needs_its_csrf_token(app, db_path, clock, auth):
    booked_patient(app, db_path, now=clock.now(), email=EMAIL, **CAUTION)
    admin = auth.admin()
    fields = confirm_fields(check_erasure(admin))
    before = submission_ids(db_path)

    refused = admin.post("/clinician/admin/records/erase/confirmed", data={**fields, "csrf_token": "forged"})

    assert refused.status_code == 400
    assert submission_ids(db_path) == before


def test_a_plan_that_changed_since_it_was_checked_is_shown_again_and_not_carried_out(app, db_path, clock, auth):
    booked_patient(app, db_path, now=clock.now(), email=EMAIL, **CAUTION)
    admin = auth.admin()
    fields = confirm_fields(check_erasure(admin))
    _, later = submit_through_form(app, details={"full_name": "Mary Seacole", "email": EMAIL, "phone": "07700 900 982"})
    before = submission_ids(db_path)

    again = admin.post("/clinician/admin/records/erase/confirmed", data=fields)

    assert again.status_code == 409
    assert "changed since you checked" in page_text(again) and f"Screening {later}" in page_text(again)
    assert submission_ids(db_path) == before
