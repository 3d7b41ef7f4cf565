"""Sign-in limits counted before the work without a global lock, argon2 work bounded, and an
account limit that slows guessing instead of refusing the right password from a new address."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from screening.services import credentials
from screening.web import protection
from tests.factories import CLINICIAN_EMAIL, PASSWORD, audit_rows, make_clinician
from tests.journeys import sign_in

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

WRONG = "not the password at all"
BLOCK = "a password that blocks the hash"


def test_a_slow_sign_in_does_not_hold_up_another_address_or_the_site(app, db_path, monkeypatch):
    make_clinician(db_path)
    started, finish = threading.Event(), threading.Event()
    real = credentials.hasher

    class SlowHasher:
        """The real hasher, except that one password's check waits until the test lets it go."""

        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, password):
            if password == BLOCK:
                started.set()
                finish.wait(10)
            return real.verify(stored, password)

    monkeypatch.setattr(credentials, "hasher", SlowHasher())
    app.extensions["screening.web.protection"] = protection.SignInGuard(slots=2)  # as on a 3-core machine
    slow = threading.Thread(
        target=sign_in,
        args=(app.test_client(), CLINICIAN_EMAIL, BLOCK),
        kwargs={"environ_base": {"REMOTE_ADDR": "10.9.0.1"}},
    )
    slow.start()
    try:
        assert started.wait(10)
        other: list[int] = []
        quick = threading.Thread(
            target=lambda: other.append(
                sign_in(
                    app.test_client(), CLINICIAN_EMAIL, PASSWORD, environ_base={"REMOTE_ADDR": "10.9.0.2"}
                ).status_code
            )
        )
        quick.start()
        quick.join(timeout=5)  # a global sign-in lock would keep it waiting for the blocked hash
        assert other == [303]
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        finish.set()
        slow.join(timeout=10)


def test_concurrent_attempts_are_counted_before_the_work():
    guard = protection.SignInGuard()
    limits = [(5, 60.0), (20, 3600.0)]
    results: list[object] = []
    barrier = threading.Barrier(12)

    def attempt() -> None:
        barrier.wait()
        results.append(guard.admit("ip:10.0.0.1", limits, "account:x", [(10, 3600.0)]))

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, protection.Admission) for r in results) == 5


def test_when_every_hashing_slot_is_busy_a_sign_in_gets_503_at_once(app, db_path):
    make_clinician(db_path)
    guard = protection.guard_for(app)
    taken = 0
    while guard.enter_work(f"account:holder{taken}", wait=False):
        taken += 1
    try:
        refused = sign_in(app.test_client(), CLINICIAN_EMAIL, PASSWORD)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    finally:
        for _ in range(taken):
            guard.leave_work()
    assert taken == protection.ARGON2_SLOTS
    assert sign_in(app.test_client(), CLINICIAN_EMAIL, PASSWORD).status_code == 303  # nothing was counted


def test_the_account_limit_slows_guessing_but_lets_the_right_password_in_from_a_new_address(app, db_path, clock):
    make_clinician(db_path)
    clock.freeze()
    for n in range(1, 11):
        response = sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 200
    at_once = sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert at_once.status_code == 429 and int(at_once.headers["Retry-After"]) <= 10

    clock.offset = protection.ACCOUNT_SLOW_INTERVAL + timedelta(seconds=1)
    right = sign_in(app.test_client(), CLINICIAN_EMAIL, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.1.2"})

    assert right.status_code == 303  # the owner gets in, from an address the attacker never used
    assert len(audit_rows(db_path, "login_success")) == 1
    # a guess checked now costs the attacker the next interval: the next one waits
    clock.offset += timedelta(seconds=11)
    assert (
        sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": "10.0.1.3"}).status_code == 200
    )
    assert (
        sign_in(app.test_client(), CLINICIAN_EMAIL, WRONG, environ_base={"REMOTE_ADDR": "10.0.1.4"}).status_code == 429
    )
