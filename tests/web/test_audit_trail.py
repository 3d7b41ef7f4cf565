"""The audit trail: append-only in the database, hash-chained so `screening audit verify` finds an edited or removed
row, complete for a whole working session (who, when, what, from where) and free of patient data, in the table and the
logs alike."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from screening.domain.audit_words import ACTION_WORDS
from tests.cli_helpers import invoke
from tests.factories import (
    CLINICIAN_EMAIL,
    DETAILS,
    PASSWORD,
    REVIEW_TOXIN,
    audit_rows,
    db_connection,
    make_app,
    make_clinician,
    quick_submission,
)
from tests.journeys import QUEUE_PATH, sign_in, submit_through_form, token_of
from tests.pages import csrf_token, tree

WRONG_PASSWORD = "not my password at all"
MORNING = datetime(2025, 6, 4, 8, 0, tzinfo=UTC)  # where the scenario sets the clock: 9:00am in London
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def instance(runner, tmp_path: Path) -> Path:
    folder = tmp_path  # the folder of the test's app, which the CLI runner runs on
    done = invoke(runner, "init", "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


def with_events(instance: Path) -> Path:
    """An instance database holding a few audit events (clinicians added, screenings sent)."""
    make_app(instance)  # migrates
    database = instance / "screening.sqlite3"
    make_clinician(database, "a@clinic.example")
    make_clinician(database, "b@clinic.example")
    quick_submission(database, **REVIEW_TOXIN)
    make_clinician(database, "c@clinic.example")
    quick_submission(database, **REVIEW_TOXIN)
    assert len(audit_rows(database)) == 5
    return database


def raw(database: Path):
    return closing(sqlite3.connect(database))


# --------------------------------------------------------------------------------------------------------------------
# Append-only, and the chain


def test_audit_event_refuses_update_and_delete(db_path):
    make_clinician(db_path)
    before = audit_rows(db_path)

    with db_connection(db_path) as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit_event SET outcome = 'failure' WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit_event")

    assert audit_rows(db_path) == before


def test_audit_verify_reports_whole_chain(runner, instance):
    database = with_events(instance)

    done = invoke(runner, "audit", "verify")

    assert done.returncode == 0, done.stderr
    assert "whole" in done.stdout
    assert str(len(audit_rows(database))) in done.stdout


@pytest.mark.parametrize("edited", [1, 3, 5])
def test_audit_verify_names_exactly_the_edited_row(runner, instance, edited):
    database = with_events(instance)
    with raw(database) as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET outcome = 'denied' WHERE id = ?", [edited])
        conn.commit()

    done = invoke(runner, "audit", "verify")

    assert done.returncode == 1
    assert re.findall(r"event (\d+)", done.stderr + done.stdout) == [str(edited)]


def test_audit_verify_detects_a_deleted_row(runner, instance):
    database = with_events(instance)
    with raw(database) as conn:
        conn.execute("DROP TRIGGER audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE id = 3")
        conn.commit()

    done = invoke(runner, "audit", "verify")

    assert done.returncode == 1
    assert "3" in re.findall(r"\d+", done.stderr)
    assert "whole" not in done.stdout


# --------------------------------------------------------------------------------------------------------------------
# A whole working session


@pytest.fixture
def scenario(app, db_path, caplog, clock):
    """A patient sends a screening with a canary in their name, email and free text; a clinician fails to sign in once,
    signs in, views the queue, opens the screening, decides and signs out, on a June morning in 2025 (the clock runs
    on from there). Everything is logged at DEBUG."""
    clock.at(MORNING)
    caplog.set_level(logging.DEBUG)
    canary = f"ZZPHI-{uuid.uuid4().hex}"
    details = {**DETAILS, "full_name": f"Jane {canary}", "email": f"{canary.lower()}@example.org"}
    clinician_id = make_clinician(db_path)
    first_event = len(audit_rows(db_path)) + 1

    _, submission_id = submit_through_form(
        app,
        details=details,
        **REVIEW_TOXIN,
        neuro_details=f"Diagnosed 2019 {canary}",
        current_medicines=f"Pill and {canary}",
    )
    browser = app.test_client()
    assert sign_in(browser, CLINICIAN_EMAIL, WRONG_PASSWORD).status_code == 200
    assert sign_in(browser).status_code == 303
    assert browser.get(QUEUE_PATH).status_code == 200
    opened = browser.get(f"/clinician/submissions/{submission_id}")
    assert opened.status_code == 200
    decision = {"action": "request_information", "question": "Which MS medicines?", "csrf_token": csrf_token(opened)}
    assert browser.post(f"/clinician/submissions/{submission_id}/decision", data=decision).status_code == 303
    assert browser.post("/clinician/logout", data={"csrf_token": token_of(browser)}).status_code == 303
    events = audit_rows(db_path)[first_event - 1 :]
    return {
        "canary": canary,
        "details": details,
        "clinician_id": clinician_id,
        "submission_id": submission_id,
        "events": events,
    }


def test_scenario_audits_each_event_once_in_order(scenario):
    assert [row["action"] for row in scenario["events"]] == [
        "submission_created",
        "login_failure",
        "login_success",
        "submission_viewed",
        "decision_recorded",
        "logout",
    ]


def test_scenario_audit_rows_say_who_when_what_and_from_where(scenario):
    clinician_id, submission_id = scenario["clinician_id"], str(scenario["submission_id"])
    for row in scenario["events"]:
        label = f"audit row {row['id']} ({row['action']})"
        assert TS.match(row["ts"]), label
        assert row["action"] and row["outcome"] and row["actor_role"], label
        assert row["remote_addr"] == "127.0.0.1", label
        assert re.fullmatch(r"[0-9a-f]{16}", row["request_id"]), label
        if row["action"] == "submission_created":
            assert (row["actor_role"], row["actor_id"]) == ("patient", None), label
        else:
            assert (row["actor_role"], row["actor_id"]) == ("clinician", clinician_id), label
    objects = {row["action"]: (row["object_type"], row["object_id"]) for row in scenario["events"]}
    assert objects["submission_created"] == ("submission", submission_id)
    assert objects["login_failure"] == ("clinician", str(clinician_id))
    assert objects["login_success"] == ("clinician", str(clinician_id))
    assert objects["submission_viewed"] == ("submission", submission_id)
    assert objects["decision_recorded"] == ("submission", submission_id)
    outcomes = {row["action"]: row["outcome"] for row in scenario["events"]}
    assert outcomes["login_failure"] == "failure"
    assert outcomes["decision_recorded"] == "success"
    assert len({row["request_id"] for row in scenario["events"]}) == len(scenario["events"])


def test_logout_audit_row_names_what_ended(scenario):
    [logout] = [row for row in scenario["events"] if row["action"] == "logout"]
    # Like login_success, the row must say whose sign-in ended.
    assert (logout["object_type"], logout["object_id"]) == ("clinician", str(scenario["clinician_id"]))


def test_audit_trail_holds_no_patient_data(db_path, scenario):
    dump = json.dumps(audit_rows(db_path)).lower()

    assert scenario["canary"].lower() not in dump
    assert scenario["details"]["email"].lower() not in dump
    assert "diagnosed 2019" not in dump
    assert "which ms medicines" not in dump  # nor the clinician's note
    assert "jane" not in dump
    assert WRONG_PASSWORD not in dump and PASSWORD not in dump  # nor any password tried


def test_app_log_never_holds_patient_data(scenario, caplog):
    assert scenario["events"]  # the scenario ran with logging at DEBUG
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert scenario["canary"].lower() not in logged.lower()
    assert WRONG_PASSWORD not in logged and PASSWORD not in logged


def test_admin_audit_page_shows_who_viewed_a_submission(db_path, scenario, auth):
    admin = auth.admin()
    submission_id = scenario["submission_id"]

    page = admin.get(
        "/clinician/admin/audit", query_string={"object_type": "submission", "object_id": str(submission_id)}
    )

    assert page.status_code == 200
    table = [[cell.text() for cell in row.find_all("td")] for row in tree(page).find_all("tr") if row.find_all("td")]
    assert table, "no audit rows shown"
    assert {cells[4] for cells in table} == {f"submission {submission_id}"}
    viewed = [cells for cells in table if cells[3] == ACTION_WORDS["submission_viewed"]]
    assert viewed and {cells[2] for cells in viewed} == {"Ada"}
    assert {cells[3] for cells in table} == {
        ACTION_WORDS[action] for action in ("submission_created", "submission_viewed", "decision_recorded")
    }
    assert scenario["canary"].lower() not in page.get_data(as_text=True).lower()
    audited = audit_rows(db_path, "audit_viewed")
    assert [row["actor_role"] for row in audited] == ["admin"]


def test_admin_audit_page_filters_by_action_and_clinician(app, scenario, clock, auth):
    admin = auth.admin()

    page = admin.get("/clinician/admin/audit", query_string={"action": "login_failure", "actor": CLINICIAN_EMAIL})

    rows_shown = [
        [cell.text() for cell in row.find_all("td")] for row in tree(page).find_all("tr") if row.find_all("td")
    ]
    assert len(rows_shown) == 1
    assert rows_shown[0][2:4] == ["Ada", ACTION_WORDS["login_failure"]]
    today = clock.today(app)
    since_today = admin.get("/clinician/admin/audit", query_string={"action": "logout", "since": today.isoformat()})
    assert ACTION_WORDS["logout"] in [cell.text() for cell in tree(since_today).find_all("td")]
    tomorrow = (today + timedelta(days=1)).isoformat()
    from_tomorrow = admin.get("/clinician/admin/audit", query_string={"since": tomorrow})
    assert tree(from_tomorrow).find_all("td") == []


@pytest.mark.parametrize(
    "before",
    ["99999999999999999999", "\u00b2", "-1", "abc"],
    ids=["beyond-64-bit", "superscript-two", "negative", "word"],
)
def test_admin_audit_page_odd_paging_values_do_not_crash(before, auth):
    admin = auth.admin()

    response = admin.get("/clinician/admin/audit", query_string={"before": before})

    assert response.status_code in (200, 400)


def test_audit_verify_prints_the_last_hash_to_keep_elsewhere(runner, tmp_path):
    instance = tmp_path  # the folder of the test's app, which the CLI runner runs on
    assert invoke(runner, "init", "--instance", str(instance)).returncode == 0
    invoke(runner, "clinician", "add", "kim@clinic.example", "--name", "Kim", input="plum tractor 41 lantern\n")

    report = invoke(runner, "audit", "verify")

    assert report.returncode == 0
    lines = report.stdout.splitlines()
    assert lines[0] == "the audit chain is whole: 1 events"
    with db_connection(instance / "screening.sqlite3") as db:
        last = next(db.query("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"))
    assert lines[1] == f"last event {last['id']}: {last['hash']}"


def test_a_refused_form_is_audited_with_its_request_id(app, db_path):
    # The CSRF check runs before the request is given its id; the audit row must still say which request it was.
    browser = app.test_client()

    response = browser.post("/clinician/login", data={"email": CLINICIAN_EMAIL, "password": PASSWORD})

    assert response.status_code == 400
    [refused] = audit_rows(db_path, "csrf_failure")
    assert re.fullmatch(r"[0-9a-f]{16}", refused["request_id"])
    assert refused["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.audit_key
@pytest.mark.parametrize("cut", [1, 2])
def test_audit_verify_finds_the_newest_events_cut_from_the_end(runner, db_path, cut):
    make_clinician(db_path, "a@clinic.example")
    quick_submission(db_path, **REVIEW_TOXIN)
    make_clinician(db_path, "b@clinic.example")
    total = len(audit_rows(db_path))
    assert invoke(runner, "audit", "verify").returncode == 0
    with raw(db_path) as conn:  # as an attacker would: the trigger dropped, the newest rows deleted
        conn.execute("DROP TRIGGER audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE id > ?", [total - cut])
        conn.commit()

    done = invoke(runner, "audit", "verify")

    assert done.returncode == 1
    assert "whole" not in done.stdout
    missing = f"event {total} is" if cut == 1 else f"events {total - cut + 1} to {total} are"
    assert f"{missing} missing from the end" in done.stderr
