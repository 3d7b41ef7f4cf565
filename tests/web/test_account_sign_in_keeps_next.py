"""Signing in from a link keeps where the link led: a same-site `next` (a path of this site, from Flask-Login's
redirect to the sign-in page) is followed through the password, the code, setting a code up and choosing one's own
password; anything else (another site, a scheme, a backslash) is ignored and the clinician lands on the queue."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pyotp
import pytest

from screening import store
from tests.factories import CLINICIAN_EMAIL, PASSWORD, db_connection, make_clinician, rows
from tests.journeys import CHOOSE_PASSWORD_PATH, LOGIN_PATH, QUEUE_PATH
from tests.pages import csrf_token, location

DIARY = "/clinician/diary"  # where the clinic's booking emails lead (screening/mail/links.py)
SET_UP_PATH = "/clinician/login/set-up-code"
CODE_PATH = "/clinician/login/code"
OWN = "velvet compass 27 meadow"


def with_next(path: str, target: str) -> str:
    return f"{path}?next={quote(target, safe='')}"


def goes_to(response) -> tuple[str, str | None]:
    """Where a redirect points: its path, and the `next` it carries (None when none)."""
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query).get("next", [None])[0]


def post_page(client, path: str, data: dict):
    """Open a page (for its token) and send its form back to the same address, as the browser does."""
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} gave {page.status_code}"
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def sign_in_at(client, path: str, email: str = CLINICIAN_EMAIL, password: str = PASSWORD):
    return post_page(client, path, {"email": email, "password": password})


def secret_on(page) -> str:
    import re

    return re.search(r"<code>([A-Z2-7]{16,})</code>", page.get_data(as_text=True)).group(1)


def test_a_link_to_a_signed_in_page_lands_there_after_the_password(app, db_path):
    make_clinician(db_path)
    browser = app.test_client()

    held = browser.get(DIARY)
    assert held.status_code in (302, 303)
    assert goes_to(held) == (LOGIN_PATH, DIARY)

    signed = sign_in_at(browser, location(held))

    assert signed.status_code == 303
    assert location(signed) == DIARY
    assert browser.get(DIARY).status_code == 200


def test_next_with_a_query_string_is_kept_whole(app, db_path):
    make_clinician(db_path)
    target = "/clinician/queue?level=any&state=any"

    signed = sign_in_at(app.test_client(), with_next(LOGIN_PATH, target))

    assert location(signed) == target


def test_next_is_kept_through_setting_up_a_code_and_through_the_code_step(app, db_path, clock):
    clinician_id = make_clinician(db_path)
    with db_connection(db_path) as db:
        store.set_totp_required(db, clinician_id, True, store.AuditEvent(action="test", actor_role="system"))
    browser = app.test_client()

    password_step = sign_in_at(browser, with_next(LOGIN_PATH, DIARY))
    assert password_step.status_code == 303
    assert goes_to(password_step) == (SET_UP_PATH, DIARY)
    secret = secret_on(browser.get(location(password_step)))
    set_up = post_page(browser, location(password_step), {"code": pyotp.TOTP(secret).at(clock.timestamp())})
    assert set_up.status_code == 303
    assert location(set_up) == DIARY

    again = app.test_client()
    password_step = sign_in_at(again, with_next(LOGIN_PATH, DIARY))
    assert goes_to(password_step) == (CODE_PATH, DIARY)
    code_step = post_page(again, location(password_step), {"code": pyotp.TOTP(secret).at(clock.timestamp() + 30)})
    assert code_step.status_code == 303
    assert location(code_step) == DIARY


def test_next_is_kept_through_choosing_ones_own_password(app, db_path):
    make_clinician(db_path)
    with db_connection(db_path) as db:
        db.execute("UPDATE clinician SET must_change_password = 1")
    browser = app.test_client()

    signed = sign_in_at(browser, with_next(LOGIN_PATH, DIARY))
    assert goes_to(signed) == (CHOOSE_PASSWORD_PATH, DIARY)

    chosen = post_page(browser, location(signed), {"new": OWN, "again": OWN})

    assert chosen.status_code == 303
    assert location(chosen) == DIARY
    assert rows(db_path, "SELECT must_change_password FROM clinician")[0]["must_change_password"] == 0


def test_next_is_kept_through_a_code_and_then_choosing_ones_own_password(app, db_path, clock):
    clinician_id = make_clinician(db_path)
    with db_connection(db_path) as db:
        db.execute("UPDATE clinician SET must_change_password = 1")
        store.set_totp_required(db, clinician_id, True, store.AuditEvent(action="test", actor_role="system"))
    browser = app.test_client()
    password_step = sign_in_at(browser, with_next(LOGIN_PATH, DIARY))
    secret = secret_on(browser.get(location(password_step)))

    set_up = post_page(browser, location(password_step), {"code": pyotp.TOTP(secret).at(clock.timestamp())})
    assert goes_to(set_up) == (CHOOSE_PASSWORD_PATH, DIARY)
    chosen = post_page(browser, location(set_up), {"new": OWN, "again": OWN})

    assert location(chosen) == DIARY


def test_a_signed_in_clinician_opening_the_sign_in_page_goes_to_next(app, db_path):
    make_clinician(db_path)
    browser = app.test_client()
    assert location(sign_in_at(browser, LOGIN_PATH)) == QUEUE_PATH

    again = browser.get(with_next(LOGIN_PATH, DIARY))

    assert again.status_code == 303
    assert location(again) == DIARY


OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/clinician/queue",
    "https://evil.example",
    "https://evil.example/clinician/queue",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "clinician/queue",
    "/\t/evil.example",  # browsers drop tabs and line breaks from a URL: this is //evil.example
    "/\n/evil.example",
    "/clinician/queue\r\nSet-Cookie: x=1",
    "",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_a_next_that_is_not_a_path_of_this_site_is_ignored_at_every_step(app, db_path, clock, target):
    clinician_id = make_clinician(db_path)
    password_only = sign_in_at(app.test_client(), with_next(LOGIN_PATH, target))
    assert password_only.status_code == 303
    assert location(password_only) == QUEUE_PATH

    with db_connection(db_path) as db:
        db.execute("UPDATE clinician SET must_change_password = 1")
        store.set_totp_required(db, clinician_id, True, store.AuditEvent(action="test", actor_role="system"))
    browser = app.test_client()
    password_step = sign_in_at(browser, with_next(LOGIN_PATH, target))
    assert goes_to(password_step) == (SET_UP_PATH, None)
    # The step pages themselves are given the hostile next directly, as a crafted link would.
    secret = secret_on(browser.get(with_next(SET_UP_PATH, target)))
    set_up = post_page(browser, with_next(SET_UP_PATH, target), {"code": pyotp.TOTP(secret).at(clock.timestamp())})
    assert goes_to(set_up) == (CHOOSE_PASSWORD_PATH, None)
    chosen = post_page(browser, with_next(CHOOSE_PASSWORD_PATH, target), {"new": OWN, "again": OWN})
    assert location(chosen) == QUEUE_PATH

    again = app.test_client()
    password_step = sign_in_at(again, with_next(LOGIN_PATH, target), password=OWN)
    assert goes_to(password_step) == (CODE_PATH, None)
    code_step = post_page(again, with_next(CODE_PATH, target), {"code": pyotp.TOTP(secret).at(clock.timestamp() + 30)})
    assert location(code_step) == QUEUE_PATH
    assert again.get(with_next(LOGIN_PATH, target)).headers["Location"].endswith(QUEUE_PATH)
