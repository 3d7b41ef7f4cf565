"""A wrong-password storm from many addresses must not keep real clinicians out: one account's storm cannot take
another account's place in the queue for a hashing slot, a device that signed in before has its own lane through its
account's storm, and the clinic's admins are told (at most once an hour) when an account is being slowed."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from screening.services import credentials
from screening.web import protection
from tests.factories import ADMIN_EMAIL, CLINICIAN_EMAIL, PASSWORD, audit_rows, make_admin, make_clinician, outbox
from tests.journeys import LOGIN_PATH, sign_in, token_of

pytestmark = [pytest.mark.mail_server, pytest.mark.audit_key]

WRONG = "not the password at all"
BLOCK = "a password that blocks the hash"
STORMED = "storm@clinic.example"
STORM = 7  # more attempts than there are places to wait for a hashing slot


@pytest.fixture
def held_hash(app, monkeypatch):
    """The real hasher, except that BLOCK's check waits until the test lets it go: a storm in slow motion."""
    started, finish = threading.Event(), threading.Event()
    real = credentials.hasher

    class SlowHasher:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, password):
            if password == BLOCK:
                started.set()
                finish.wait(10)
            return real.verify(stored, password)

    monkeypatch.setattr(credentials, "hasher", SlowHasher())
    app.extensions["screening.web.protection"] = protection.SignInGuard(slots=1)  # as on a 2-core machine
    yield started, finish
    finish.set()


def in_thread(app, email, password, address, answers, client=None) -> threading.Thread:
    browser = client or app.test_client()
    thread = threading.Thread(
        target=lambda: answers.append(
            sign_in(browser, email, password, environ_base={"REMOTE_ADDR": address}).status_code
        )
    )
    thread.start()
    return thread


def storm_on(app, held_hash, email: str, *, spread: bool = False) -> list[threading.Thread]:
    """One attempt holding the only hashing slot, then STORM more, each from its own address: on the same account, or
    spread over made-up accounts (each then takes a place of its own)."""
    started, _ = held_hash
    storm_answers: list[int] = []
    threads = [in_thread(app, email, BLOCK, "10.8.0.1", storm_answers)]
    assert started.wait(10)
    for n in range(STORM):
        target = f"nobody{n}@clinic.example" if spread else email
        threads.append(in_thread(app, target, BLOCK, f"10.8.1.{n}", storm_answers))
    time.sleep(0.5)  # let the storm take every place it can
    return threads


def signed_out(client) -> None:
    assert client.post("/clinician/logout", data={"csrf_token": token_of(client)}).status_code == 303


def test_while_one_account_is_stormed_another_accounts_right_password_gets_in(app, db_path, held_hash):
    make_clinician(db_path, STORMED)
    make_clinician(db_path)
    storm = storm_on(app, held_hash, STORMED)

    answers: list[int] = []
    real = in_thread(app, CLINICIAN_EMAIL, PASSWORD, "192.0.2.10", answers)
    time.sleep(0.2)  # waiting for the slot the storm holds
    held_hash[1].set()
    real.join(timeout=15)
    for thread in storm:
        thread.join(timeout=15)

    assert answers == [303]  # the storm on another account did not take its place


def test_a_known_device_gets_through_its_own_accounts_storm_with_the_right_password(app, db_path, held_hash, clock):
    make_clinician(db_path)
    make_clinician(db_path, STORMED)
    device = app.test_client()
    assert sign_in(device).status_code == 303
    signed_out(device)
    clock.freeze()
    for n in range(1, 11):  # the account is now slowed: one checked attempt per interval, from anywhere
        assert sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    stranger = sign_in(app.test_client(), CLINICIAN_EMAIL, PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.11"})
    assert stranger.status_code == 429  # the right password from a new browser waits like everyone else

    storm = storm_on(app, held_hash, "nobody@clinic.example", spread=True)  # every slot and ordinary place taken
    crowded = sign_in(app.test_client(), STORMED, PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.13"})
    assert crowded.status_code == 503  # an ordinary attempt finds no place to wait
    answers: list[int] = []
    real = in_thread(app, CLINICIAN_EMAIL, PASSWORD, "192.0.2.10", answers, client=device)
    time.sleep(0.2)
    held_hash[1].set()
    real.join(timeout=15)
    for thread in storm:
        thread.join(timeout=15)

    assert answers == [303]
    assert len(audit_rows(db_path, "login_success")) == 2


def test_a_device_cookie_is_for_its_own_account_only(app, db_path, clock):
    make_clinician(db_path)
    make_clinician(db_path, STORMED)
    device = app.test_client()
    assert sign_in(device).status_code == 303
    signed_out(device)
    clock.freeze()
    for n in range(1, 11):
        sign_in(app.test_client(), STORMED, WRONG, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})

    other = sign_in(device, STORMED, PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.12"})

    assert other.status_code == 429


def test_the_admins_are_told_once_an_hour_when_an_account_is_being_slowed(app, db_path, clock):
    clinician_id = make_clinician(db_path)
    make_admin(db_path)
    clock.freeze()
    for n in range(1, 11):
        sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    assert audit_rows(db_path, "account_slowed") == []  # ten failures: the limit is reached, not passed

    for n in range(5):  # slowed now: refused at once, then one checked attempt per interval
        sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": f"10.0.1.{n}"})
        clock.offset += protection.ACCOUNT_SLOW_INTERVAL
    (event,) = audit_rows(db_path, "account_slowed")
    assert event["object_id"] == str(clinician_id)
    (alert,) = outbox(db_path, "account_slowed")
    assert alert["to_addr"] == ADMIN_EMAIL
    assert CLINICIAN_EMAIL in alert["body"] and "/clinician/admin/audit" in alert["body"]

    clock.offset += timedelta(hours=1)
    for n in range(12):
        sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": f"10.0.2.{n}"})
    assert len(audit_rows(db_path, "account_slowed")) == 2  # still under attack an hour later: told again
    assert len(outbox(db_path, "account_slowed")) == 2


def test_the_login_page_sets_no_device_cookie_before_a_success(app, client):
    page = client.get(LOGIN_PATH)
    assert "device" not in page.headers.get("Set-Cookie", "")


def test_an_address_that_signed_in_lately_keeps_a_place_through_a_storm_over_many_accounts(app, db_path, held_hash):
    make_clinician(db_path)
    make_clinician(db_path, STORMED)
    clinic_network = {"REMOTE_ADDR": "192.0.2.20"}
    assert sign_in(app.test_client(), STORMED, PASSWORD, environ_base=clinic_network).status_code == 303

    storm = storm_on(app, held_hash, "nobody@clinic.example", spread=True)  # every slot and ordinary place taken
    elsewhere = sign_in(app.test_client(), CLINICIAN_EMAIL, PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.21"})
    assert elsewhere.status_code == 503
    answers: list[int] = []
    colleague = in_thread(app, CLINICIAN_EMAIL, PASSWORD, "192.0.2.20", answers)  # a new browser, the same network
    time.sleep(0.2)
    held_hash[1].set()
    colleague.join(timeout=15)
    for thread in storm:
        thread.join(timeout=15)

    assert answers == [303]
