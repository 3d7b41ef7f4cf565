"""Who may reach the clinician pages: generated from the application's own url_map, so a new route is covered as soon
as it exists. Anonymous visitors and patients never get a 2xx; clinicians who are not admins get 403 on admin pages."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.factories import audit_rows, decision_rows, make_app, make_clinician, review_state, rows
from tests.journeys import LOGIN_PATH, is_login_redirect, login_page, submit_through_form, token_of
from tests.pages import csrf_token, location

SIGN_IN_PAGES = frozenset({"/clinician/login", "/clinician/login/code", "/clinician/login/set-up-code"})
REFUSALS = frozenset({401, 403, 404, 405})


def _clinician_rules() -> list[str]:
    """Every rule under /clinician except the sign-in pages, read from a throwaway app's url_map."""
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        found = sorted(
            {
                rule.rule
                for rule in app.url_map.iter_rules()
                if rule.rule.startswith("/clinician") and rule.rule not in SIGN_IN_PAGES
            }
        )
    return found


CLINICIAN_RULES = _clinician_rules()
ADMIN_RULES = [rule for rule in CLINICIAN_RULES if rule.startswith("/clinician/admin")]


def test_sweep_finds_the_clinician_pages():
    assert {"/clinician/queue", "/clinician/submissions/<int:submission_id>", "/clinician/admin/audit"} <= set(
        CLINICIAN_RULES
    )
    assert len(ADMIN_RULES) >= 3


def fill(rule: str, submission_id: int, clinician_id: int) -> str:
    """The rule's URL with each parameter replaced by an id that exists."""
    url = rule
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        name = url[start + 1 : end].split(":")[-1]
        value = clinician_id if "clinician" in name else submission_id
        url = url[:start] + str(value) + url[end + 1 :]
    return url


def assert_refused(response, what: str) -> None:
    assert not 200 <= response.status_code < 300, f"{what} gave {response.status_code}"
    assert is_login_redirect(response) or response.status_code in REFUSALS, (
        f"{what} gave {response.status_code} {response.headers.get('Location')}"
    )


@pytest.mark.parametrize("rule", CLINICIAN_RULES)
def test_clinician_route_refuses_anonymous_and_patient(app, db_path, rule):
    patient, submission_id = submit_through_form(app, neuro_conditions=["multiple_sclerosis"])
    clinician_id = make_clinician(db_path)
    url = fill(rule, submission_id, clinician_id)
    anonymous = app.test_client()
    for who, browser in (("anonymous", anonymous), ("patient", patient)):
        token = csrf_token(login_page(browser))  # a valid token: the refusal must come from access control
        assert_refused(browser.get(url), f"{who} GET {url}")
        assert_refused(browser.post(url, data={"csrf_token": token}), f"{who} POST {url}")
    # The patient still holds their own result: the refusals were not just a broken session.
    assert patient.get("/your-result").status_code == 200
    # And nothing a clinician page does happened.
    assert review_state(db_path, submission_id) == "pending"
    assert decision_rows(db_path, submission_id) == []
    clinician = rows(db_path, "SELECT disabled_at, totp_required FROM clinician WHERE id = ?", [clinician_id])[0]
    assert clinician == {"disabled_at": None, "totp_required": 0}


def test_anonymous_queue_redirects_to_sign_in(client):
    response = client.get("/clinician/queue")
    assert is_login_redirect(response)
    assert location(response).startswith(LOGIN_PATH)


@pytest.mark.parametrize("rule", ADMIN_RULES)
def test_admin_route_forbidden_to_clinician(app, db_path, rule, auth):
    submission_id = 1
    clinician_id = make_clinician(db_path)
    other_id = make_clinician(db_path, "other@clinic.example")
    browser = auth.clinician()
    token = token_of(browser)
    url = fill(rule, submission_id, other_id)
    before = len(audit_rows(db_path, "access_denied"))

    get, post = browser.get(url), browser.post(url, data={"csrf_token": token})

    allowed = {method for method in ("GET", "POST") if method in _methods(app, rule)}
    for method, response in (("GET", get), ("POST", post)):
        expected = 403 if method in allowed else 405
        assert response.status_code == expected, f"{method} {url} gave {response.status_code}"
    denied = audit_rows(db_path, "access_denied")[before:]
    assert len(denied) == len(allowed)
    assert all(row["actor_id"] == clinician_id and row["object_id"] == url for row in denied)
    assert all(row["outcome"] == "denied" for row in denied)
    # Nothing an admin page does happened: the other clinician is untouched.
    assert browser.get("/clinician/queue").status_code == 200
    other = rows(db_path, "SELECT disabled_at, totp_required FROM clinician WHERE id = ?", [other_id])[0]
    assert other == {"disabled_at": None, "totp_required": 0}


def _methods(app, rule: str) -> set[str]:
    return {method for found in app.url_map.iter_rules() if found.rule == rule for method in found.methods}


def _rules_with_an_id() -> list[tuple[str, str]]:
    """Every rule with an integer part, with the method it answers (GET where it can, else POST)."""
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        return sorted(
            {
                (rule.rule, "GET" if "GET" in rule.methods else "POST")
                for rule in app.url_map.iter_rules()
                if "<int:" in rule.rule
            }
        )


RULES_WITH_AN_ID = _rules_with_an_id()


def test_sweep_finds_the_routes_with_an_id():
    assert ("/clinician/submissions/<int:submission_id>", "GET") in RULES_WITH_AN_ID
    assert any(method == "POST" for _, method in RULES_WITH_AN_ID)


@pytest.mark.parametrize(("rule", "method"), RULES_WITH_AN_ID)
def test_an_id_too_large_for_the_database_is_a_404_not_a_500(auth, rule, method):
    # SQLite holds 64-bit integers; a larger number in the URL once reached the store and raised OverflowError.
    admin = auth.admin()
    url = rule
    while "<" in url:
        url = url[: url.index("<")] + "9" * 23 + url[url.index(">") + 1 :]
    response = admin.open(url, method=method, data={"csrf_token": csrf_token(admin.get("/clinician/queue"))})
    assert response.status_code == 404, f"{method} {url} gave {response.status_code}"
