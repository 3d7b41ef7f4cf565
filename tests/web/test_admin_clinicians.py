"""Admin pages: adding clinicians (with the same password rules as the CLI), disabling them (their session ends at
once), and never disabling yourself."""

from __future__ import annotations

import pytest

from tests.factories import CLINICIAN_EMAIL, audit_rows, make_admin, make_clinician, rows
from tests.journeys import QUEUE_PATH, first_sign_in, is_login_redirect, sign_in
from tests.pages import csrf_token, field_error, location, page_text

CLINICIANS_PATH = "/clinician/admin/clinicians"
NEW_EMAIL = "margaret.hamilton@clinic.example"


@pytest.fixture
def admin(db_path, auth):
    admin_id = make_admin(db_path)
    return admin_id, auth.admin()


def clinician_rows(db_path) -> list[dict]:
    return rows(db_path, "SELECT * FROM clinician ORDER BY id")


def add_through_page(browser, **fields):
    page = browser.get(CLINICIANS_PATH)
    assert page.status_code == 200
    data = {
        "email": NEW_EMAIL,
        "name": "Margaret Hamilton",
        "role": "clinician",
        "password": "orbit 1969 apollo guidance",
    }
    return browser.post(CLINICIANS_PATH, data={**data, **fields, "csrf_token": csrf_token(page)})


def disable(browser, clinician_id: int):
    token = csrf_token(browser.get(CLINICIANS_PATH))
    return browser.post(f"{CLINICIANS_PATH}/{clinician_id}/disable", data={"csrf_token": token})


def test_admin_adds_clinician_who_can_then_sign_in(app, db_path, admin):
    admin_id, browser = admin

    response = add_through_page(browser)

    assert response.status_code == 303
    assert location(response) == CLINICIANS_PATH
    added = clinician_rows(db_path)[-1]
    assert (added["email"], added["name"], added["role"]) == (NEW_EMAIL, "Margaret Hamilton", "clinician")
    assert added["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert NEW_EMAIL in page_text(browser.get(CLINICIANS_PATH))
    created = audit_rows(db_path, "clinician_created")[-1]
    assert (created["actor_id"], created["object_id"]) == (admin_id, str(added["id"]))
    assert "orbit" not in created["detail"]
    newcomer = first_sign_in(app, NEW_EMAIL, "orbit 1969 apollo guidance", "velvet compass 27 meadow")
    assert newcomer.get(QUEUE_PATH).status_code == 200


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("eleven char", "at least 12 characters"),
        ("password1234", "commonly used"),
        ("margaret.hamilton", "email address or name"),
    ],
    ids=["short", "common", "email-name"],
)
def test_admin_add_refuses_weak_password_with_field_error(db_path, admin, password, words):
    _, browser = admin
    before = clinician_rows(db_path)

    response = add_through_page(browser, password=password)

    assert response.status_code == 200
    assert words in field_error(response, "password")
    assert clinician_rows(db_path) == before


def test_admin_add_refuses_duplicate_email_ignoring_case(db_path, admin):
    _, browser = admin
    make_clinician(db_path)
    before = clinician_rows(db_path)

    response = add_through_page(browser, email=CLINICIAN_EMAIL.upper())

    assert response.status_code == 200
    assert "exists already" in field_error(response, "email")
    assert clinician_rows(db_path) == before


def test_admin_disable_ends_clinicians_live_session_at_once(app, db_path, admin, auth):
    _, browser = admin
    clinician_id = make_clinician(db_path)
    victim = auth.clinician()
    assert victim.get(QUEUE_PATH).status_code == 200

    response = disable(browser, clinician_id)

    assert response.status_code == 303
    assert is_login_redirect(victim.get(QUEUE_PATH))
    assert clinician_rows(db_path)[-1]["disabled_at"] is not None
    assert "1 active session(s) ended" in page_text(browser.get(CLINICIANS_PATH))
    assert [row["object_id"] for row in audit_rows(db_path, "clinician_disabled")] == [str(clinician_id)]
    assert [row["object_id"] for row in audit_rows(db_path, "session_revoked")] == [str(clinician_id)]
    again = sign_in(app.test_client())
    assert again.status_code == 200
    assert "The email address or password is not right" in page_text(again)


def test_admin_cannot_disable_themselves(db_path, admin):
    admin_id, browser = admin

    response = disable(browser, admin_id)

    assert response.status_code == 303
    assert "cannot disable your own account" in page_text(browser.get(CLINICIANS_PATH))
    assert clinician_rows(db_path)[0]["disabled_at"] is None
    assert audit_rows(db_path, "clinician_disabled") == []
    assert browser.get(QUEUE_PATH).status_code == 200


def test_admin_disable_unknown_clinician_is_404(db_path, admin):
    _, browser = admin

    assert disable(browser, 999).status_code == 404


def test_admin_disable_without_csrf_token_changes_nothing(db_path, admin):
    _, browser = admin
    clinician_id = make_clinician(db_path)

    response = browser.post(f"{CLINICIANS_PATH}/{clinician_id}/disable")

    assert response.status_code == 400
    assert clinician_rows(db_path)[-1]["disabled_at"] is None
