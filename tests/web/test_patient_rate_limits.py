"""Patients' POSTs that write are limited per address (security check 37): a flood gets 429, and stores nothing."""

from __future__ import annotations

from tests.factories import count_rows
from tests.journeys import CHECK_PATH
from tests.pages import csrf_token


def test_starting_screenings_is_limited_per_address(client, db_path):
    # Starting clears the session, so each start takes the token the start page gives at that moment.
    statuses = [client.post("/start", data={"csrf_token": csrf_token(client.get("/"))}).status_code for _ in range(31)]

    assert statuses[:30] == [303] * 30
    assert statuses[30] == 429
    assert count_rows(db_path, "draft") == 30


def test_sending_answers_is_limited_per_address_and_a_refused_post_stores_nothing(client, db_path):
    client.post("/start", data={"csrf_token": csrf_token(client.get("/"))})
    token = csrf_token(client.get("/"))  # the started session's token: these POSTs reach the view, and count
    statuses = [client.post(CHECK_PATH, data={"csrf_token": token}).status_code for _ in range(11)]

    assert 429 not in statuses[:10]
    assert statuses[10] == 429
    assert count_rows(db_path, "submission") == 0
