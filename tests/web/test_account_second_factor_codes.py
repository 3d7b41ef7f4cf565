"""Second-factor codes work once, a working code cannot be swapped from a live session."""

from __future__ import annotations

import pyotp

from screening import store
from tests.factories import CLINICIAN_EMAIL, db_connection, make_clinician, rows
from tests.journeys import QUEUE_PATH, is_login_redirect, sign_in, token_of
from tests.pages import csrf_token, location, page_text

CODE_PATH = "/clinician/login/code"
SET_UP_PATH = "/clinician/login/set-up-code"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


def clinician_with_code(db_path) -> int:
    clinician_id = make_clinician(db_path)
    with db_connection(db_path) as db:
        store.set_totp_secret(db, clinician_id, SECRET, store.AuditEvent(action="totp_enrolled", actor_role="system"))
    return clinician_id


def send_code(client, code: str):
    page = client.get(CODE_PATH)
    assert page.status_code == 200
    return client.post(CODE_PATH, data={"code": code, "csrf_token": csrf_token(page)})


def test_sign_in_code_works_once_then_is_refused(app, db_path, clock):
    clinician_with_code(db_path)
    code = pyotp.TOTP(SECRET).at(clock.timestamp())

    first = app.test_client()
    assert location(sign_in(first)) == CODE_PATH
    assert location(send_code(first, code)) == QUEUE_PATH

    replay = app.test_client()
    assert location(sign_in(replay)) == CODE_PATH
    refused = send_code(replay, code)

    assert refused.status_code == 200
    assert "That code is not right" in page_text(refused)
    assert is_login_redirect(replay.get(QUEUE_PATH))


def test_a_later_code_still_works_after_one_was_used(app, db_path, clock):
    clinician_with_code(db_path)
    first = app.test_client()
    sign_in(first)
    send_code(first, pyotp.TOTP(SECRET).at(clock.timestamp()))

    later = app.test_client()
    sign_in(later)
    accepted = send_code(later, pyotp.TOTP(SECRET).at(clock.timestamp() + 30))

    assert location(accepted) == QUEUE_PATH


def test_set_up_page_cannot_replace_a_working_code_from_a_live_session(app, db_path, clock):
    clinician_with_code(db_path)
    browser = app.test_client()
    sign_in(browser)
    send_code(browser, pyotp.TOTP(SECRET).at(clock.timestamp()))

    for response in (
        browser.get(SET_UP_PATH + "?new=1"),
        browser.post(SET_UP_PATH, data={"code": "123456", "csrf_token": token_of(browser)}),
    ):
        assert response.status_code == 303
        assert location(response) == QUEUE_PATH
    stored = rows(db_path, "SELECT totp_secret, totp_pending FROM clinician WHERE email = ?", [CLINICIAN_EMAIL])[0]
    assert stored == {"totp_secret": SECRET, "totp_pending": None}
