"""A password an admin chose is changed at first sign-in: an account made by `screening clinician
add` or on the admin's Clinicians page must choose its own password before it reaches any other page; then it goes
on as before. Accounts made by tests/factories.py (as the store makes one) need no change unless a test asks."""

from __future__ import annotations

import pytest

from tests.cli_helpers import invoke
from tests.factories import audit_rows, make_admin, rows
from tests.journeys import CHOOSE_PASSWORD_PATH, QUEUE_PATH, choose_own_password, sign_in, signed_in
from tests.pages import csrf_token, field_error, location, page_text

GIVEN = "plum tractor 41 lantern"  # what the admin chose and handed over
OWN = "velvet compass 27 meadow"
EMAIL = "kim@clinic.example"


def added_by_cli(runner, role: str = "clinician") -> None:
    done = invoke(runner, "clinician", "add", EMAIL, "--name", "Kim", "--role", role, input=GIVEN + "\n")
    assert done.returncode == 0, done.stderr


def test_an_account_from_the_cli_must_choose_its_own_password_before_any_other_page(app, runner, db_path):
    added_by_cli(runner, role="admin")
    browser = app.test_client()

    signed = sign_in(browser, EMAIL, GIVEN)

    assert signed.status_code == 303 and location(signed) == CHOOSE_PASSWORD_PATH
    for path in (
        QUEUE_PATH,
        "/clinician/account",
        "/clinician/admin/clinicians",
        "/clinician/admin/records",
        "/clinician/diary",
        "/clinician/submissions/1",
    ):
        held = browser.get(path)
        assert held.status_code == 303 and location(held) == CHOOSE_PASSWORD_PATH, path
    page = browser.get(CHOOSE_PASSWORD_PATH)
    assert page.status_code == 200 and "choose your own password" in page_text(page).lower()

    chosen = choose_own_password(browser, OWN)

    assert chosen.status_code == 303 and location(chosen) == QUEUE_PATH
    assert browser.get(QUEUE_PATH).status_code == 200
    assert browser.get("/clinician/admin/clinicians").status_code == 200  # goes on as before, an admin
    assert rows(db_path, "SELECT must_change_password FROM clinician WHERE email = ?", [EMAIL]) == [
        {"must_change_password": 0}
    ]
    (event,) = audit_rows(db_path, "password_chosen")
    assert event["object_id"] == str(rows(db_path, "SELECT id FROM clinician WHERE email = ?", [EMAIL])[0]["id"])
    assert GIVEN not in event["detail"] + str(event) and OWN not in str(event)
    assert sign_in(app.test_client(), EMAIL, GIVEN).status_code == 200  # the handed-over password is spent
    signed_in(app, EMAIL, OWN)  # and the next sign-in goes straight to the queue


def test_an_account_from_the_admin_page_must_choose_its_own_password(app, db_path, auth):
    admin = auth.admin()
    page = admin.get("/clinician/admin/clinicians")
    added = admin.post(
        "/clinician/admin/clinicians",
        data={"email": EMAIL, "name": "Kim", "role": "clinician", "password": GIVEN, "csrf_token": csrf_token(page)},
    )
    assert added.status_code == 303
    browser = app.test_client()
    signed = sign_in(browser, EMAIL, GIVEN)
    assert location(signed) == CHOOSE_PASSWORD_PATH
    assert location(browser.get(QUEUE_PATH)) == CHOOSE_PASSWORD_PATH
    assert location(choose_own_password(browser, OWN)) == QUEUE_PATH


@pytest.mark.parametrize(
    ("new", "again", "field", "words"),
    [
        (GIVEN, GIVEN, "new", "not the one you were given"),
        ("short", "short", "new", "at least 12 characters"),
        (OWN, OWN + "x", "again", "not the same"),
        ("", "", "new", "Enter a new password"),
    ],
)
def test_a_password_that_will_not_do_is_refused_and_the_account_stays_held(
    app, runner, db_path, new, again, field, words
):
    added_by_cli(runner)
    browser = app.test_client()
    sign_in(browser, EMAIL, GIVEN)

    refused = choose_own_password(browser, new, again=again)

    assert refused.status_code == 400
    assert words in field_error(refused, field)
    assert location(browser.get(QUEUE_PATH)) == CHOOSE_PASSWORD_PATH
    assert rows(db_path, "SELECT must_change_password FROM clinician WHERE email = ?", [EMAIL]) == [
        {"must_change_password": 1}
    ]


def test_signing_out_is_still_possible_while_held(app, runner):
    added_by_cli(runner)
    browser = app.test_client()
    sign_in(browser, EMAIL, GIVEN)
    out = browser.post("/clinician/logout", data={"csrf_token": csrf_token(browser.get(CHOOSE_PASSWORD_PATH))})
    assert out.status_code == 303 and location(out) == "/clinician/login"


def test_an_account_made_as_the_factories_make_one_needs_no_change(app, db_path, auth):
    make_admin(db_path)
    browser = auth.admin()  # signed_in asserts the sign-in went to the queue
    assert browser.get(CHOOSE_PASSWORD_PATH).status_code in (200, 303)
    assert browser.get("/clinician/admin/records").status_code == 200


def test_a_password_set_from_an_emailed_reset_link_is_the_clinicians_own(app, runner, db_path, auth):
    added_by_cli(runner)
    clinician_id = rows(db_path, "SELECT id FROM clinician WHERE email = ?", [EMAIL])[0]["id"]
    admin = auth.admin()
    token_page = admin.get("/clinician/admin/clinicians")
    assert (
        admin.post(
            f"/clinician/admin/clinicians/{clinician_id}/reset", data={"csrf_token": csrf_token(token_page)}
        ).status_code
        == 303
    )
    from tests.factories import outbox

    (message,) = outbox(db_path, "password_reset")
    link = next(word for word in message["body"].split() if "/clinician/reset/" in word)
    path = "/clinician/reset/" + link.split("/clinician/reset/")[1].strip(".,<>")
    reset = app.test_client()
    page = reset.get(path)
    done = reset.post(path, data={"new": OWN, "again": OWN, "csrf_token": csrf_token(page)})
    assert done.status_code == 303
    signed_in(app, EMAIL, OWN)  # straight to the queue: they chose it themselves
