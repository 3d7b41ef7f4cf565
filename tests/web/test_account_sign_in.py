"""Signing in and out: fresh session cookies, one answer for every failure, rate limits per IP and per account, sign-out
and timeouts enforced on the server, and the cookie's flags."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from http.cookies import SimpleCookie

from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CLINICIAN_EMAIL,
    PASSWORD,
    audit_rows,
    make_admin,
    make_clinician,
)
from tests.journeys import (
    LOGIN_PATH,
    QUEUE_PATH,
    SESSION_COOKIE,
    browser_with_cookie,
    is_login_redirect,
    login_page,
    session_cookie,
    sign_in,
    token_of,
)
from tests.pages import location

WRONG = "not the password at all"
_TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')


def set_cookies(response) -> dict[str, SimpleCookie]:
    """Each cookie a response sets, by name, parsed."""
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name in parsed:
            found[name] = parsed
    return found


# --------------------------------------------------------------------------------------------------------------------
# A new session on sign-in


def test_sign_in_issues_new_session_cookie_and_old_one_stays_anonymous(app, client, db_path):
    make_clinician(db_path)
    login_page(client)
    before = session_cookie(client)
    assert before is not None

    response = sign_in(client)

    assert response.status_code == 303
    assert location(response) == QUEUE_PATH
    after = session_cookie(client)
    assert after is not None and after != before
    assert client.get(QUEUE_PATH).status_code == 200
    assert is_login_redirect(browser_with_cookie(app, before).get(QUEUE_PATH))


def test_sign_in_cookie_is_host_prefixed_secure_httponly_lax(client, db_path):
    make_clinician(db_path)

    response = sign_in(client)

    cookies = set_cookies(response)
    assert SESSION_COOKIE in cookies
    morsel = cookies[SESSION_COOKIE][SESSION_COOKIE]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert morsel["domain"] == ""
    remembered = [name for name in cookies if "remember" in name.lower() and cookies[name][name].value]
    assert remembered == []


# --------------------------------------------------------------------------------------------------------------------
# One answer for every failure


def test_sign_in_wrong_password_and_unknown_email_answer_alike(app, db_path):
    make_clinician(db_path)
    unknown = "nobody@clinic.example"

    wrong_password = sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    unknown_email = sign_in(app.test_client(), unknown, WRONG, environ_base={"REMOTE_ADDR": "10.0.0.2"})

    assert wrong_password.status_code == unknown_email.status_code == 200

    def normalised(response, email):
        body = _TOKEN.sub('name="csrf_token" value="TOKEN"', response.get_data(as_text=True))
        return body.replace(email, "EMAIL")

    assert normalised(wrong_password, CLINICIAN_EMAIL) == normalised(unknown_email, unknown)
    assert "The email address or password is not right" in wrong_password.get_data(as_text=True)
    assert sorted(wrong_password.headers.keys()) == sorted(unknown_email.headers.keys())
    failures = audit_rows(db_path, "login_failure")
    assert [row["outcome"] for row in failures] == ["failure", "failure"]


# --------------------------------------------------------------------------------------------------------------------
# Rate limits


def test_sign_in_limited_per_ip_from_sixth_failure(app, client, db_path):
    clinician_id = make_clinician(db_path)

    statuses, retry_after = [], []
    for _ in range(12):
        response = sign_in(client, CLINICIAN_EMAIL, WRONG)
        statuses.append(response.status_code)
        retry_after.append(response.headers.get("Retry-After"))

    assert statuses == [200] * 5 + [429] * 7
    assert all(value is not None and int(value) > 0 for value in retry_after[5:])
    correct = sign_in(client, CLINICIAN_EMAIL, PASSWORD)
    assert correct.status_code == 429
    assert is_login_redirect(client.get(QUEUE_PATH))
    assert audit_rows(db_path, "login_success") == []
    failures = audit_rows(db_path, "login_failure")
    assert len(failures) == 5
    assert all(row["actor_id"] == clinician_id and row["object_id"] == str(clinician_id) for row in failures)
    limited = audit_rows(db_path, "rate_limited")
    assert len(limited) == 8  # every refused attempt (7 wrong, 1 right) leaves a row too
    assert all(row["object_id"] == LOGIN_PATH and row["outcome"] == "denied" for row in limited)
    assert client.get("/healthz").status_code == 200


def test_sign_in_account_limit_holds_across_client_ips(app, db_path):
    make_clinician(db_path)
    make_admin(db_path)

    for n in range(1, 11):
        response = sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 200, f"attempt {n} gave {response.status_code}"

    fresh_ip = {"environ_base": {"REMOTE_ADDR": "10.0.0.11"}}
    assert sign_in(app.test_client(), CLINICIAN_EMAIL, PASSWORD, **fresh_ip).status_code == 429
    shouting = sign_in(app.test_client(), CLINICIAN_EMAIL.upper(), PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.12"})
    assert shouting.status_code == 429
    assert audit_rows(db_path, "login_success") == []
    # Another account is not held up by this one's limit.
    other = sign_in(app.test_client(), ADMIN_EMAIL, ADMIN_PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.13"})
    assert other.status_code == 303


def test_sign_in_forwarded_for_does_not_change_ip_bucket(app, db_path):
    statuses = []
    for n in range(1, 7):
        response = sign_in(
            app.test_client(),
            f"nobody{n}@clinic.example",
            WRONG,
            environ_base={"REMOTE_ADDR": "10.1.1.1"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        statuses.append(response.status_code)

    assert statuses == [200] * 5 + [429]
    failures = audit_rows(db_path, "login_failure")
    assert {row["remote_addr"] for row in failures} == {"10.1.1.1"}


def test_sign_in_email_with_line_break_cannot_forge_a_log_line(app, caplog):
    caplog.set_level(logging.DEBUG)
    forged = "mallory@clinic.example\r\nFAKE LOG LINE"

    statuses = [
        sign_in(app.test_client(), forged, WRONG, environ_base={"REMOTE_ADDR": f"10.2.0.{n}"}).status_code
        for n in range(1, 12)
    ]

    assert statuses == [200] * 10 + [429]  # the account limit was reached, and its breach logged
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message, f"{record.name} logged a forged line: {message!r}"


# --------------------------------------------------------------------------------------------------------------------
# Signing out and timeouts end the session on the server


def test_sign_out_revokes_session_so_saved_cookie_fails(app, db_path, auth):
    clinician_id = make_clinician(db_path)
    browser = auth.clinician()
    saved = session_cookie(browser)
    assert browser_with_cookie(app, saved).get(QUEUE_PATH).status_code == 200  # a copy works while signed in

    response = browser.post("/clinician/logout", data={"csrf_token": token_of(browser)})

    assert response.status_code == 303
    assert location(response) == LOGIN_PATH
    assert is_login_redirect(browser.get(QUEUE_PATH))
    assert is_login_redirect(browser_with_cookie(app, saved).get(QUEUE_PATH))
    logouts = audit_rows(db_path, "logout")
    assert len(logouts) == 1
    assert logouts[0]["actor_id"] == clinician_id


def test_session_idle_for_15_minutes_and_a_second_ends(db_path, clock, auth):
    make_clinician(db_path)
    start = clock.freeze()
    browser = auth.clinician()

    clock.set(start + timedelta(minutes=14))
    assert browser.get(QUEUE_PATH).status_code == 200  # activity moves the idle deadline on
    clock.set(start + timedelta(minutes=14) + timedelta(minutes=15, seconds=1))
    assert is_login_redirect(browser.get(QUEUE_PATH))


def test_session_idle_just_under_15_minutes_lives(db_path, clock, auth):
    make_clinician(db_path)
    start = clock.freeze()
    browser = auth.clinician()

    clock.set(start + timedelta(minutes=14, seconds=59))
    assert browser.get(QUEUE_PATH).status_code == 200


def test_session_ends_8_hours_after_sign_in_despite_activity(db_path, clock, auth):
    make_clinician(db_path)
    start = clock.freeze()
    browser = auth.clinician()

    moment = timedelta(0)
    while moment < timedelta(hours=8) - timedelta(minutes=14):
        moment += timedelta(minutes=14)
        clock.set(start + moment)
        assert browser.get(QUEUE_PATH).status_code == 200, f"signed out early at {moment}"
    clock.set(start + timedelta(hours=8) - timedelta(seconds=1))
    assert browser.get(QUEUE_PATH).status_code == 200
    clock.set(start + timedelta(hours=8, seconds=1))
    assert is_login_redirect(browser.get(QUEUE_PATH))
