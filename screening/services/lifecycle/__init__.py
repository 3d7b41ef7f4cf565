"""The life of the clinic's data after it is collected: backup and restore, retention, erasure, the patient's copy,
exports. Plain modules with no Flask views, each taking the database (or its path) and plain values."""

from __future__ import annotations

import atexit

from flask import Flask


def init_app(app: Flask) -> None:
    """Hold the live-server lock (a restore checks it) in a server; off in tests and in the `screening` command
    (which sets SCREENING_SERVER_LOCK to false). The daily purge is a job: screening/jobs.py."""
    from screening.services.lifecycle import backup

    if app.config["SERVER_LOCK"] if app.config["SERVER_LOCK"] is not None else not app.testing:
        lock = backup.ServerLock(app.config["DATABASE"])
        lock.acquire()
        atexit.register(lock.release)  # held for the life of the process, released cleanly when it ends
        app.extensions["screening.server_lock"] = lock
