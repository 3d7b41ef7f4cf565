"""The background jobs: one runner for the mail sender, the audit digest, the daily purge and the recalls. A round
that fails is logged and tried again; a woken job runs at once; a test app runs none unless it asks."""

from __future__ import annotations

import logging
import threading

from screening import jobs, mail
from tests.factories import make_app


def test_a_failing_round_is_logged_and_tried_again(caplog):
    rounds = []
    twice = threading.Event()

    def round_of_work():
        rounds.append(len(rounds))
        if len(rounds) >= 2:
            twice.set()
        raise OSError("disk full")

    job = jobs.Job("flaky", 0.01, round_of_work)
    with caplog.at_level(logging.ERROR, logger="screening.jobs"):
        job.start()
        try:
            assert twice.wait(5)
        finally:
            job.stop()
    assert len(rounds) >= 2
    assert "flaky: round failed; will try again at the next round" in caplog.text
    assert not job.thread.is_alive()


def test_a_woken_job_runs_at_once_rather_than_at_its_next_round():
    ran = threading.Event()
    job = jobs.Job("slow", 3600, ran.set)
    job.start()
    try:
        assert ran.wait(5)  # the first round runs when the job starts
        ran.clear()
        job.wake.set()
        assert ran.wait(5)  # and the next as soon as it is woken, not an hour later
    finally:
        job.stop()


def test_a_test_app_runs_no_job_and_a_server_runs_each_it_is_asked_for(tmp_path):
    quiet = make_app(tmp_path / "quiet")
    names = ("screening.mail", "screening.audit_digest", "screening.purge", "screening.recall")
    assert not [name for name in quiet.extensions if name in names]
    busy = make_app(
        tmp_path / "busy", MAIL_SENDER=True, AUDIT_DIGEST=True, PURGE_DAILY=True, RECALLS=True, MAIL_INTERVAL=3600
    )
    started = {name: busy.extensions[f"screening.{name}"] for name in ("mail", "audit_digest", "purge", "recall")}
    try:
        assert {job.thread.name for job in started.values()} == {"mail", "audit-digest", "purge", "recall"}
        assert all(job.thread.is_alive() for job in started.values())
        delivered = threading.Event()
        sender, deliver = started["mail"], started["mail"].round
        sender.round = lambda: (deliver(), delivered.set())
        mail.nudge(busy.config)  # a service's nudge after a commit wakes this database's sender, an hour early
        assert delivered.wait(5)
    finally:
        for job in started.values():
            job.stop()
    assert not any(job.thread.is_alive() for job in started.values())
