"""The keyed audit chain and the daily digest of its last hash.

Each audit row's hash is an HMAC-SHA256 with AUDIT_KEY, which lives in instance/config.py, never in the database.
Someone holding only the database can still drop the triggers and edit rows, but cannot recompute a chain that
`screening audit verify` accepts. Rows cut from the end leave a whole (shorter) chain, which the keyed audit head
(store.audit, `audit_head`) finds. The daily digest emails the last hash to the clinic address: an outside copy, which
shows what nothing inside the instance can, a chain, head and seals rewritten by someone who holds AUDIT_KEY too.

Migration of existing chains: rows written before the key was set keep their unkeyed hashes; `screening init`, when
it adds AUDIT_KEY to an existing config.py, also writes AUDIT_LEGACY_ROWS (how many rows there were). `audit verify`
checks rows up to that number with the old recipe and every later row with the key; the first keyed row chains onto
the last unkeyed hash, so a change to the old rows still breaks every keyed row after them. The boundary is in the
config file, not the database, so a chain rewritten as all-unkeyed is refused too.

Without AUDIT_KEY (an instance that has not run `screening init` since this release, or a test), rows are written
and checked with the old unkeyed recipe and the server logs a warning at start; `make run` runs `screening init`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlite_utils import Database

from screening import clock, mail, store
from screening.db import thread_db
from screening.store.audit_key import key_from_config, register

log = logging.getLogger(__name__)
DIGEST_EVERY = timedelta(hours=24)
CHECK_EVERY = timedelta(hours=1)


def init_app(app: Flask) -> None:
    """Register the database's audit-chain key (the daily digest is a job: screening/jobs.py)."""
    chain_key = key_from_config(app.config)
    if chain_key is None and not app.testing:
        log.warning("no AUDIT_KEY configured: the audit chain is not keyed; run `screening init` to add one")
    register(app.config["DATABASE"], chain_key)


# --------------------------------------------------------------------------------------------------------------------
# The daily digest: the chain's length and last hash, emailed to the clinic, kept outside the database


def digest_due(db: Database, now=None) -> bool:
    """Whether a day has passed since the last digest of the audit chain was sent."""
    now = now or clock.utc_now()
    last = store.last_audit_event(db, "audit_digest")
    return last is None or last["ts"] <= store.iso(now - DIGEST_EVERY)


def send_digest(db: Database, config: dict[str, Any]) -> str:
    """Queue the digest email (the last hash before the digest's own audit row) and record that it went."""
    with store.write_transaction(db):
        report = store.verify_audit_chain(db)
        store.queue_mail(db, (mail.audit_digest(config, report, store.iso(clock.utc_now())),))
        store.append_audit(
            db,
            store.AuditEvent(
                action="audit_digest", actor_role="system", detail={"events": report.rows, "hash": report.last_hash}
            ),
        )
    return report.last_hash


def digest_round(app: Flask):
    """The digest's round for screening.jobs (run hourly): queue the digest once a day has passed since the last."""
    config = dict(app.config)

    def round_of_work() -> None:
        db = thread_db(config["DATABASE"])
        if digest_due(db):
            send_digest(db, config)
            mail.nudge(config)

    return round_of_work
