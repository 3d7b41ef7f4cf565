"""A clinician changes their password (the current one required; their other sessions end), an
admin emails a one-time reset link (an hour, single use) and re-enables a disabled account, and a profile holds the
display name, professional register and number. All audited; bad input changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import (
    CLINICIAN_EMAIL,
    PASSWORD,
    actions,
    make_admin,
    make_clinician,
    outbox,
    rows,
)
from tests.journeys import is_login_redirect, sign_in, token_of
from tests.pages import csrf_token, page_text, post_form, tree

NEW_PASSWORD = "violet engine 92 paddle"
ACCOUNT = "/clinician/account"


@pytest.fixture
def people(app, db_path):
    clinician_id = make_clinician(db_path, name="Ada")
    make_admin(db_path)
    return clinician_id


def change(client, current: str, new: str = NEW_PASSWORD, again: str | None = None):
    return post_form(
        client,
        ACCOUNT,
        {
            "which": "password",
            "password-current": current,
            "password-new": new,
            "password-again": new if again is None else again,
        },
    )


def password_hash(db_path, clinician_id) -> str:
    return rows(db_path, "SELECT password_hash FROM clinician WHERE id = ?", [clinician_id])[0]["password_hash"]


def error(response, field: str) -> str:
    node = tree(response).by_id(f"{field}-error")
    return "" if node is None else node.text()


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, db_path, people, auth):
    here, elsewhere = auth.clinician(), auth.clinician()
    before = password_hash(db_path, people)

    wrong = change(here, "not my password at all")
    assert wrong.status_code == 400
    assert "Your current password is not right" in error(wrong, "password-current")
    assert password_hash(db_path, people) == before
    assert elsewhere.get("/clinician/queue").status_code == 200
    assert "password_change_failed" in actions(db_path)

    mismatch = change(here, PASSWORD, NEW_PASSWORD, "something else entirely 1")
    assert mismatch.status_code == 400 and "not the same" in error(mismatch, "password-again")
    weak = change(here, PASSWORD, "password1234")
    assert weak.status_code == 400 and error(weak, "password-new")
    assert password_hash(db_path, people) == before

    done = change(here, PASSWORD)
    assert done.status_code == 303
    assert "1 other session(s) signed out" in page_text(here.get(ACCOUNT))
    assert is_login_redirect(elsewhere.get("/clinician/queue"))
    assert "password_changed" in actions(db_path)
    assert sign_in(app.test_client(), CLINICIAN_EMAIL, NEW_PASSWORD).status_code == 303


def test_profile_holds_name_register_and_number(db_path, people, auth):
    client = auth.clinician()
    response = post_form(
        client,
        ACCOUNT,
        {
            "which": "profile",
            "profile-name": "Ada Lovelace",
            "profile-register": "GMC",
            "profile-register_number": "7654321",
        },
    )
    assert response.status_code == 303
    row = rows(db_path, "SELECT name, register, register_number FROM clinician WHERE id = ?", [people])[0]
    assert row == {"name": "Ada Lovelace", "register": "GMC", "register_number": "7654321"}
    assert "profile_updated" in actions(db_path)

    missing = post_form(
        client,
        ACCOUNT,
        {"which": "profile", "profile-name": "Ada", "profile-register": "NMC", "profile-register_number": ""},
    )
    assert missing.status_code == 400 and "Enter your registration number" in error(missing, "profile-register_number")
    bogus = post_form(
        client,
        ACCOUNT,
        {"which": "profile", "profile-name": "Ada", "profile-register": "HCPC", "profile-register_number": "1"},
    )
    assert bogus.status_code == 400
    assert rows(db_path, "SELECT register FROM clinician WHERE id = ?", [people])[0]["register"] == "GMC"


def admin_sends_reset(auth, db_path, clinician_id) -> str:
    admin = auth.admin()
    response = admin.post(f"/clinician/admin/clinicians/{clinician_id}/reset", data={"csrf_token": token_of(admin)})
    assert response.status_code == 303
    (mail,) = outbox(db_path, "password_reset")
    assert mail["to_addr"] == CLINICIAN_EMAIL
    return re.search(r"http://[^/]+(/clinician/reset/\S+)", mail["body"]).group(1)


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, db_path, people, auth):
    existing = auth.clinician()
    path = admin_sends_reset(auth, db_path, people)
    visitor = app.test_client()
    assert "Set a new password" in page_text(visitor.get(path))

    done = post_form(visitor, path, {"new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert done.status_code == 303
    assert is_login_redirect(existing.get("/clinician/queue"))
    assert sign_in(app.test_client(), CLINICIAN_EMAIL, NEW_PASSWORD).status_code == 303
    assert {"password_reset_sent", "password_reset_used"} <= set(actions(db_path))

    again = visitor.get(path)
    assert again.status_code == 404 and "expired or has been used" in page_text(again)


def test_an_expired_reset_link_is_refused_and_changes_nothing(app, db_path, people, clock, auth):
    sent_at = clock.freeze()
    path = admin_sends_reset(auth, db_path, people)
    before = password_hash(db_path, people)
    visitor = app.test_client()
    token = csrf_token(visitor.get("/clinician/login"))
    clock.set(sent_at + timedelta(hours=1, minutes=1))

    page = visitor.get(path)
    sent = visitor.post(path, data={"new": NEW_PASSWORD, "again": NEW_PASSWORD, "csrf_token": token})

    assert page.status_code == 404 and "This reset link has expired or has been used" in page_text(page)
    assert sent.status_code == 404
    assert password_hash(db_path, people) == before
    assert "password_reset_used" not in actions(db_path)


def test_an_admin_re_enables_a_disabled_account(app, db_path, people, auth):
    admin = auth.admin()
    admin.post(f"/clinician/admin/clinicians/{people}/disable", data={"csrf_token": token_of(admin)})
    assert sign_in(app.test_client()).status_code == 200  # refused while disabled
    response = admin.post(f"/clinician/admin/clinicians/{people}/enable", data={"csrf_token": token_of(admin)})
    assert response.status_code == 303
    assert sign_in(app.test_client()).status_code == 303
    assert "clinician_enabled" in actions(db_path)


def test_only_admins_send_reset_links_or_re_enable(db_path, people, auth):
    client = auth.clinician()
    for action in ("reset", "enable"):
        response = client.post(f"/clinician/admin/clinicians/{people}/{action}", data={"csrf_token": token_of(client)})
        assert response.status_code == 403
    assert outbox(db_path, "password_reset") == []
