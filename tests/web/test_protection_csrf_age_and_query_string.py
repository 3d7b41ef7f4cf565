"""Checks of sections A and E that were probes only: a CSRF token past its time limit (check 3), and a value in
the query string of a POST (check 29)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.factories import answers_by_step, count_rows, db_connection
from tests.journeys import post_step, start
from tests.pages import csrf_token

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes


def test_a_csrf_token_older_than_an_hour_is_refused_and_nothing_is_stored(client, db_path, clock):
    token = csrf_token(client.get("/"))
    clock.age_signatures(timedelta(seconds=3601))

    refused = client.post("/start", data={"csrf_token": token})

    assert refused.status_code == 400
    assert count_rows(db_path, "draft") == 0


def test_the_query_string_of_a_post_is_never_read_as_an_answer(client, db_path):
    start(client)
    answers = answers_by_step("toxin")["about-you"]
    assert answers["treatment_requested"] == "toxin"

    saved = post_step(client, "about-you", answers, query="?treatment_requested=filler&pregnant=no")

    assert saved.status_code == 303
    with db_connection(db_path) as db:
        (row,) = list(db.query("SELECT answers FROM draft"))
    assert json.loads(row["answers"])["treatment_requested"] == "toxin"
