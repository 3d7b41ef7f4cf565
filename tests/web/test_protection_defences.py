"""Tests that turn red when a protection is removed: the dummy-hash timing defence, the integrity-check
block on decisions, and the framing and plug-in headers on every kind of response."""

from __future__ import annotations

import pytest

from screening.services import credentials
from screening.web import protection
from tests.factories import (
    CLINICIAN_EMAIL,
    REVIEW_TOXIN,
    db_connection,
    make_clinician,
    rows,
)
from tests.journeys import decide, sign_in, submit_through_form

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

WRONG = "not the password at all"


class CountingHasher:
    def __init__(self, real):
        self.real, self.verified = real, []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def verify(self, stored, password):
        self.verified.append(stored)
        return self.real.verify(stored, password)


def test_an_unknown_email_costs_the_same_hash_as_a_wrong_password(app, db_path, monkeypatch):
    """Without the dummy hash, an unknown email would answer without any argon2 work: measurably faster."""
    make_clinician(db_path)
    counting = CountingHasher(credentials.hasher)
    monkeypatch.setattr(credentials, "hasher", counting)

    known = sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": "10.3.0.1"})
    known_work = list(counting.verified)
    counting.verified.clear()
    unknown = sign_in(app.test_client(), "nobody@clinic.example", WRONG, environ_base={"REMOTE_ADDR": "10.3.0.2"})

    assert known.status_code == unknown.status_code == 200
    assert len(known_work) == len(counting.verified) == 1
    assert counting.verified[0] == credentials.dummy_hash()  # argon2id with the same parameters as a real hash
    assert counting.verified[0].split("$")[1:4] == known_work[0].split("$")[1:4]


def test_a_decision_on_a_screening_that_fails_its_integrity_check_is_refused(app, db_path, auth):
    """Without the block, a clinician could approve answers someone changed in the database."""
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    clinician = auth.admin()
    page = clinician.get(f"/clinician/submissions/{submission_id}")
    assert 'name="action"' in page.get_data(as_text=True)  # the decision form, before the change
    with db_connection(db_path) as db:
        db.execute(
            """UPDATE submission SET answers = json_set(answers, '$.neuro_conditions', json('["none"]'))"""
            " WHERE id = ?",
            [submission_id],
        )
        db.conn.commit()

    refused = decide(clinician, submission_id, action="approve")

    assert refused.status_code == 409  # IntegrityFailure, a Conflict
    assert rows(db_path, "SELECT * FROM decision WHERE submission_id = ?", [submission_id]) == []
    assert rows(db_path, "SELECT review_state FROM submission WHERE id = ?", [submission_id]) == [
        {"review_state": "pending"}
    ]
    page = clinician.get(f"/clinician/submissions/{submission_id}")
    assert 'name="action"' not in page.get_data(as_text=True)


def directives(policy: str) -> dict[str, str]:
    parsed = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        parsed[name] = value.strip()
    return parsed


@pytest.mark.parametrize(
    "path",
    ["/", "/clinician/login", "/healthz", "/no-such-page", "/static/favicon.svg", "/r/not-a-real-token"],
)
def test_every_response_forbids_framing_and_plugins(client, path):
    """Each assertion fails when its header or directive is taken out of screening/web/protection.py."""
    response = client.get(path)
    response.close()
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["default-src"] == "'self'" and "'unsafe-inline'" not in policy["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_header_tests_read_the_policy_the_app_sends():
    """A guard on the test above: the directive parser sees what protection.py declares."""
    assert directives(protection.CONTENT_SECURITY_POLICY)["frame-ancestors"] == "'none'"
