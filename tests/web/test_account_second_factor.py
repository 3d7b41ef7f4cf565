"""A second factor (TOTP) an admin can require: set up at the next sign-in, asked for after the password from then on,
its secret kept on the server and never in the session cookie."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pyotp

from screening.services.lifecycle import backup
from tests.cli_helpers import invoke
from tests.factories import (
    CLINICIAN_EMAIL,
    PASSWORD,
    audit_rows,
    db_connection,
    make_app,
    make_clinician,
    rows,
)
from tests.journeys import QUEUE_PATH, is_login_redirect, session_cookie, sign_in, token_of
from tests.pages import csrf_token, field_error, location, page_text

SET_UP_PATH = "/clinician/login/set-up-code"
CODE_PATH = "/clinician/login/code"
_SECRET = re.compile(r"<code>([A-Z2-7]{16,})</code>")


def shown_secret(page) -> str:
    match = _SECRET.search(page.get_data(as_text=True))
    assert match, "no base32 secret on the set-up page"
    return match.group(1)


def wrong_code(secret: str, now: float) -> str:
    """A six-digit code that is none of the codes the app would take around `now` (the test's `clock.timestamp()`)."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(now + 30 * step) for step in (-2, -1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def cookie_contents(app, client) -> tuple[str, str]:
    """The raw session cookie and its decoded content (as JSON text)."""
    raw = session_cookie(client)
    assert raw is not None
    data = app.session_interface.get_signing_serializer(app).loads(raw)
    return raw, json.dumps(data, default=str)


def assert_secret_not_in_cookie(app, client, secret: str) -> None:
    raw, decoded = cookie_contents(app, client)
    assert secret not in raw
    assert secret not in decoded
    assert secret.lower() not in decoded.lower()


def clinician_row(db_path: Path, email: str = CLINICIAN_EMAIL) -> dict:
    return rows(db_path, "SELECT * FROM clinician WHERE email = ?", [email])[0]


def post_code(client, path: str, code: str):
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} gave {page.status_code}"
    return client.post(path, data={"code": code, "csrf_token": csrf_token(page)})


def test_required_code_is_set_up_then_asked_for_at_each_sign_in(app, db_path, clock, auth):
    clinician_id = make_clinician(db_path)
    admin = auth.admin()

    required = admin.post(
        f"/clinician/admin/clinicians/{clinician_id}/require-code", data={"csrf_token": token_of(admin)}
    )

    assert required.status_code == 303
    assert clinician_row(db_path)["totp_required"] == 1
    assert audit_rows(db_path, "totp_requirement_changed")[-1]["object_id"] == str(clinician_id)

    # The next sign-in sends the clinician to set up a code, and does not sign them in yet.
    browser = app.test_client()
    password_step = sign_in(browser)
    assert password_step.status_code == 303
    assert location(password_step) == SET_UP_PATH
    assert is_login_redirect(browser.get(QUEUE_PATH))
    set_up = browser.get(SET_UP_PATH)
    assert set_up.status_code == 200
    secret = shown_secret(set_up)
    assert_secret_not_in_cookie(app, browser, secret)

    refused = browser.post(
        SET_UP_PATH, data={"code": wrong_code(secret, clock.timestamp()), "csrf_token": csrf_token(set_up)}
    )
    assert refused.status_code == 200
    assert "That code is not right" in field_error(refused, "code")
    assert clinician_row(db_path)["totp_secret"] is None
    assert is_login_redirect(browser.get(QUEUE_PATH))

    accepted = post_code(browser, SET_UP_PATH, pyotp.TOTP(secret).at(clock.timestamp()))
    assert accepted.status_code == 303
    assert location(accepted) == QUEUE_PATH
    assert browser.get(QUEUE_PATH).status_code == 200
    stored = clinician_row(db_path)
    assert stored["totp_secret"] and secret not in stored["totp_secret"] and stored["totp_pending"] is None
    assert [row["object_id"] for row in audit_rows(db_path, "totp_enrolled")] == [str(clinician_id)]
    assert_secret_not_in_cookie(app, browser, secret)

    # From now on a code is asked for after the password.
    browser.post("/clinician/logout", data={"csrf_token": token_of(browser)})
    again = app.test_client()
    password_step = sign_in(again)
    assert password_step.status_code == 303
    assert location(password_step) == CODE_PATH
    assert is_login_redirect(again.get(QUEUE_PATH))
    assert_secret_not_in_cookie(app, again, secret)

    refused = post_code(again, CODE_PATH, wrong_code(secret, clock.timestamp()))
    assert refused.status_code == 200
    assert "That code is not right" in page_text(refused)
    assert audit_rows(db_path, "login_failure")[-1]["detail"] == '{"factor":"code"}'

    next_code = pyotp.TOTP(secret).at(clock.timestamp() + 30)  # not the code used to set up
    signed = post_code(again, CODE_PATH, next_code)
    assert signed.status_code == 303
    assert location(signed) == QUEUE_PATH
    assert again.get(QUEUE_PATH).status_code == 200
    assert_secret_not_in_cookie(app, again, secret)


def test_code_page_without_password_step_goes_to_sign_in(client):
    assert is_login_redirect(client.get(CODE_PATH))
    assert is_login_redirect(client.get(SET_UP_PATH))


def test_cli_require_code_sends_clinician_to_set_up_at_next_sign_in(runner, tmp_path):
    instance = tmp_path  # the folder of the test's app, which the CLI runner runs on
    assert invoke(runner, "init", "--instance", str(instance)).returncode == 0
    app = make_app(instance)
    database = instance / "screening.sqlite3"
    make_clinician(database)

    done = invoke(runner, "clinician", "require-code", CLINICIAN_EMAIL)

    assert done.returncode == 0, done.stderr
    assert "required" in done.stdout
    assert clinician_row(database)["totp_required"] == 1
    browser = app.test_client()
    response = sign_in(browser, CLINICIAN_EMAIL, PASSWORD)
    assert response.status_code == 303
    assert location(response) == SET_UP_PATH
    assert is_login_redirect(browser.get(QUEUE_PATH))


def enrol_through_the_pages(app, db_path, clock) -> str:
    """A clinician an admin requires a code of sets one up at sign-in; returns the secret the page showed."""
    make_clinician(db_path)
    with db_connection(db_path) as db:
        db.execute("UPDATE clinician SET totp_required = 1 WHERE email = ?", [CLINICIAN_EMAIL])
        db.conn.commit()
    browser = app.test_client()
    assert location(sign_in(browser)) == SET_UP_PATH
    secret = shown_secret(browser.get(SET_UP_PATH))
    assert location(post_code(browser, SET_UP_PATH, pyotp.TOTP(secret).at(clock.timestamp()))) == QUEUE_PATH
    return secret


def file_bytes(path: Path) -> bytes:
    """A database file with its -wal, as they lie on the disk."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_the_totp_seed_is_in_neither_the_database_nor_a_backup_and_still_signs_in(app, db_path, clock, tmp_path):
    secret = enrol_through_the_pages(app, db_path, clock)
    copy = tmp_path / "copy.sqlite3"
    backup.take_backup(db_path, copy)

    for written in (file_bytes(db_path), copy.read_bytes()):
        assert secret.encode() not in written
        assert secret.lower().encode() not in written

    browser = app.test_client()
    assert location(sign_in(browser)) == CODE_PATH
    signed = post_code(browser, CODE_PATH, pyotp.TOTP(secret).at(clock.timestamp() + 30))
    assert location(signed) == QUEUE_PATH


def test_cli_reset_code_replaces_a_lost_second_factor_and_ends_the_sessions(runner, tmp_path, clock):
    # A clinician's phone is lost: the admin resets their code; the old one no longer signs in, the sessions opened
    # with it end, and the next sign-in sets up a new code.
    instance = tmp_path
    assert invoke(runner, "init", "--instance", str(instance)).returncode == 0
    app = make_app(instance)
    database = instance / "screening.sqlite3"
    lost = enrol_through_the_pages(app, database, clock)
    signed_in = app.test_client()
    assert location(sign_in(signed_in)) == CODE_PATH
    clock.set(clock.now() + timedelta(seconds=60))  # the next code: the set-up spent this one
    assert location(post_code(signed_in, CODE_PATH, pyotp.TOTP(lost).at(clock.timestamp()))) == QUEUE_PATH

    done = invoke(runner, "clinician", "reset-code", CLINICIAN_EMAIL)

    assert done.returncode == 0, done.stderr
    assert "sign-in code reset" in done.stdout and "2 session(s) ended" in done.stdout  # enrolling's and this one
    assert is_login_redirect(signed_in.get(QUEUE_PATH))
    row = clinician_row(database)
    assert (row["totp_secret"], row["totp_pending"], row["totp_required"]) == (None, None, 1)
    [reset] = audit_rows(database, "totp_reset")
    assert reset["object_id"] == str(row["id"]) and lost not in json.dumps(reset)
    browser = app.test_client()
    assert location(sign_in(browser)) == SET_UP_PATH
    assert shown_secret(browser.get(SET_UP_PATH)) != lost


def test_cli_reset_code_names_an_unknown_account(runner, tmp_path):
    assert invoke(runner, "init", "--instance", str(tmp_path)).returncode == 0

    done = invoke(runner, "clinician", "reset-code", "nobody@clinic.example")

    assert done.returncode != 0
    assert "nobody@clinic.example" in done.stderr and "Traceback" not in done.stderr
