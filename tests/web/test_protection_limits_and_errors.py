"""The smaller security findings, each with the test that reproduced it. (The .ics `Cache-Control:
no-store` is checked in test_protection_hosts.py.)"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing

import pytest

import screening.db
from tests.factories import audit_rows
from tests.pages import csrf_token, page_text

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes


def test_a_patient_rate_limit_breach_is_audited(client, db_path):
    for _ in range(31):
        client.post("/start", data={"csrf_token": csrf_token(client.get("/"))})
    limited = audit_rows(db_path, "rate_limited")
    assert [(row["object_id"], row["outcome"]) for row in limited] == [("/start", "denied")]


def test_a_busy_database_keeps_its_retry_after_on_a_rate_limited_route(client, db_path, monkeypatch):
    pragmas = tuple("busy_timeout=100" if p.startswith("busy_timeout") else p for p in screening.db.PRAGMAS)
    monkeypatch.setattr(screening.db, "PRAGMAS", pragmas)
    token = csrf_token(client.get("/"))
    with closing(sqlite3.connect(db_path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        busy = client.post("/start", data={"csrf_token": token})
        holder.execute("ROLLBACK")
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"  # not the limiter's 55 to 60 s


def test_the_500_log_names_where_it_failed_but_not_what_the_exception_said(app, caplog):
    def explode():
        raise ValueError("answer was: pregnant yes, date of birth 1990-07-22")

    app.add_url_rule("/test-only-explode", "test_only_explode", explode)
    caplog.set_level(logging.INFO)
    assert app.test_client().get("/test-only-explode").status_code == 500
    assert "incident" in caplog.text and "ValueError" in caplog.text and "explode" in caplog.text
    assert "pregnant" not in caplog.text and "1990" not in caplog.text


def test_urlencoded_forms_are_held_to_the_form_memory_and_parts_limits(client):
    token = csrf_token(client.get("/"))
    too_many = client.post("/start", data={"csrf_token": token, **{f"f{n}": "x" for n in range(200)}})
    assert too_many.status_code == 413
    too_big = client.post("/start", data={"csrf_token": token, "filler": "x" * (64 * 1024)})
    assert too_big.status_code == 413
    assert client.post("/start", data={"csrf_token": token, "filler": "x" * 1000}).status_code == 303


def test_a_clinicians_500_page_speaks_to_clinicians_and_a_patients_to_patients(app, auth):
    def explode():
        raise ValueError("something broke")

    app.add_url_rule("/clinician/test-only-explode", "clinician_test_only_explode", explode)
    app.add_url_rule("/test-only-explode", "test_only_explode", explode)
    clinician = auth.clinician()

    staff = clinician.get("/clinician/test-only-explode")
    patient = app.test_client().get("/test-only-explode")

    assert staff.status_code == patient.status_code == 500
    staff_text, patient_text = page_text(staff), page_text(patient)
    assert "If you had sent your answers" not in staff_text
    assert "Nothing you saved before this page is lost" in staff_text and "incident" in staff_text
    assert "If you had sent your answers and saw your result, they are safe." in patient_text


def test_a_clinicians_404_page_says_nothing_of_private_links(app, auth):
    staff = page_text(auth.clinician().get("/clinician/no-such-page"))
    patient = page_text(app.test_client().get("/no-such-page"))

    assert "private link" not in staff and "Go to the queue" in staff
    assert "If you used a private link, it may have been copied incompletely." in patient
