"""The background jobs of a server process, in one place: the mail sender, the audit digest, the retention purge and
the recalls (services/recall.py).

Each job is a round of work (a function in the package that owns the work) run by a daemon thread every so often,
and at once when woken: a service that queued mail wakes the sender after its commit (`mail.nudge`). A round that
fails (a locked database, a full disk) is logged without patient data and tried again at the next round. A server
runs all four; the tests run none unless a test asks for one (MAIL_SENDER, AUDIT_DIGEST, PURGE_DAILY, RECALLS).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

_running: dict[tuple[str, str], Job] = {}  # by (database, job name): what mail.nudge wakes


class Job:
    """One round of work, run in a daemon thread every `every` seconds and whenever woken, until stopped."""

    def __init__(self, name: str, every: float, round_of_work: Callable[[], Any]):
        self.name = name
        self.every = every
        self.round = round_of_work
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self) -> Job:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout=10)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.round()
            except Exception:  # a job must outlive a bad moment (a locked database, a full disk)
                log.exception("%s: round failed; will try again at the next round", self.name)
            self.wake.wait(self.every)
            self.wake.clear()


def _enabled(config: dict[str, Any], key: str, testing: bool) -> bool:
    value = config[key]
    return value if value is not None else not testing


def init_app(app: Flask, rounds: dict[str, tuple[str, float, Callable[[Flask], Callable[[], Any]]]]) -> None:
    """Start the jobs this process runs, each under app.extensions["screening.<job>"]. `rounds` names each job's
    switch setting, how many seconds apart its rounds are, and what makes its round from the app; the packages that
    own the work give their rounds (app.py lists them), so this module imports none of them."""
    for name, (switch, every, make_round) in rounds.items():
        if _enabled(app.config, switch, app.testing):
            _start(app, name, every, make_round(app))


def _start(app: Flask, name: str, every: float, round_of_work: Callable[[], Any]) -> None:
    job = Job(name.replace("_", "-"), every, round_of_work)
    app.extensions[f"screening.{name}"] = job
    _running[(app.config["DATABASE"], name)] = job
    job.start()


def wake(database: str, name: str) -> None:
    """Run this database's job now rather than at its next round (nothing happens where it does not run)."""
    job = _running.get((database, name))
    if job is not None:
        job.wake.set()
