"""What a clinic must be able to trust: every screening's seal, checked against the audit trail's record of it, and
the audit trail's own chain and head.

The seal (store.submission_seal) is an HMAC-SHA256 with a key derived from AUDIT_KEY (audit_key.ChainKey.seal_key),
which lives in instance/config.py, never in the database: someone who can write the database can change a screening
and recompute its checksum, but not a seal this instance accepts. Each screening is also held against the
`submission_created` audit event written in the transaction that stored it (its outcome, its outcome per treatment
where recorded, the number of rules that fired), so a screening and its seal changed together by someone holding the
key still disagree with the keyed audit trail.

Seals written before they were keyed are plain SHA-256. At the first start with a key, `upgrade` re-seals, once, the
plain-sealed screenings of a database that holds no keyed seal yet, each only where its plain seal still verifies and
its record in the audit trail agrees, and writes a `submission_seals_keyed` audit event naming how many it re-sealed
and which it refused. That event closes the door: while it is in the trail, a plain seal is never accepted or upgraded
again. A screening sent with a keyed seal says so in its `submission_created` event (`"seal": "keyed"`), so a plain
seal is never accepted on it either, even on a database that was never upgraded.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from flask import Flask
from sqlite_utils import Database

from screening import store
from screening.db import connect
from screening.store import audit_key

log = logging.getLogger(__name__)
SEALS_KEYED = "submission_seals_keyed"
HEAD_STARTED = "audit_head_started"


@dataclass(frozen=True)
class SealProblem:
    submission_id: int
    reason: str

    def line(self) -> str:
        return f"screening {self.submission_id}: {self.reason}"


@dataclass(frozen=True)
class Report:
    chain: store.ChainReport
    seals: tuple[SealProblem, ...]
    screenings: int
    awaiting_key: int  # plain seals not yet re-sealed with the key (a copy made before seals were keyed)
    head_restarts: tuple[int, ...] = ()  # audit_head_started events after the first: the head was removed

    @property
    def whole(self) -> bool:
        return self.chain.first_broken is None and not self.seals and not self.head_restarts

    def problem_lines(self) -> list[str]:
        lines = [problem.line() for problem in self.seals]
        lines += [f"the audit head was removed and started again at event {event}" for event in self.head_restarts]
        return lines


def _keyed_once(db: Database) -> bool:
    return store.last_audit_event(db, SEALS_KEYED) is not None


def _disagreement(recorded: dict | None, stored: store.SealedRow) -> str:
    """How the screening as stored differs from what the audit trail recorded when it was sent, or ""."""
    if recorded is None:
        return "the audit trail has no record of it being sent"
    if recorded.get("outcome") != stored.outcome:
        return (
            f"its outcome is '{stored.outcome}' but the audit trail recorded '{recorded.get('outcome')}'"
            " when it was sent"
        )
    if "treatments" in recorded and recorded["treatments"] != stored.treatments:
        return "its outcome per treatment differs from what the audit trail recorded when it was sent"
    if "rules" in recorded and recorded["rules"] != stored.rules:
        return f"it holds {stored.rules} fired rules but the audit trail recorded {recorded['rules']}"
    return ""


def _plain_acceptable(row: store.SealedRow, recorded: dict | None) -> bool:
    """A plain seal that verifies, on a screening the audit trail does not record as sent with a keyed seal."""
    if row.seal.startswith(store.KEYED_SEAL) or (recorded or {}).get("seal") == "keyed":
        return False
    return hmac.compare_digest(row.seal, store.seal_of(row.content, None))


def _before_keying(db: Database) -> bool:
    """Whether this database is as it was before seals were keyed: no keyed seal yet, and never upgraded."""
    return not store.has_keyed_seal(db) and not _keyed_once(db)


def seal_problems(db: Database, chain_key: audit_key.ChainKey | None) -> tuple[list[SealProblem], int]:
    """Every screening whose seal does not verify or which disagrees with the audit trail; and how many still carry
    an acceptable plain seal awaiting the key."""
    recorded = store.recorded_submissions(db)
    plain_allowed = chain_key is not None and _before_keying(db)
    seal_key = chain_key.seal_key if chain_key is not None else None
    problems: list[SealProblem] = []
    awaiting = 0
    for row in store.sealed_rows(db):
        if hmac.compare_digest(row.seal, store.seal_of(row.content, seal_key)):
            pass
        elif plain_allowed and _plain_acceptable(row, recorded.get(row.id)):
            awaiting += 1
        else:
            problems.append(SealProblem(row.id, "its seal does not match its content (changed outside the app)"))
            continue
        if reason := _disagreement(recorded.get(row.id), row):
            problems.append(SealProblem(row.id, reason))
    return problems, awaiting


def check(db: Database, chain_key: audit_key.ChainKey | None = None) -> Report:
    """The audit chain (with its head) and every seal, each seal cross-checked against the audit trail."""
    chain_key = chain_key or audit_key.key_for(db)
    chain = store.verify_audit_chain(db, chain_key)
    problems, awaiting = seal_problems(db, chain_key)
    restarts = tuple(store.audit_event_ids(db, HEAD_STARTED)[1:])
    return Report(chain, tuple(problems), store.count_rows(db, "submission"), awaiting, restarts)


# --------------------------------------------------------------------------------------------------------------------
# Upgrading an instance to keyed seals and a keyed head, once


def upgrade(db: Database, chain_key: audit_key.ChainKey | None = None) -> int:
    """Start the audit head of a trail written before it existed (an `audit_head_started` event), and, with a key,
    re-seal the plain seals that may be trusted, once. Returns how many screenings were re-sealed."""
    chain_key = chain_key or audit_key.key_for(db)
    head_to_start = store.audit_head(db) is None and store.count_rows(db, "audit_event") > 0
    to_key = chain_key is not None and store.count_rows(db, "submission") > 0 and _before_keying(db)
    if not head_to_start and not to_key:
        return 0  # the usual start: nothing to walk
    if store.verify_audit_chain(db, chain_key, with_head=not head_to_start).first_broken is not None:
        return 0  # a broken trail is not built upon: `screening audit verify` says what is wrong
    resealed = 0
    with store.write_transaction(db):
        if head_to_start:
            store.append_audit(db, store.AuditEvent(action=HEAD_STARTED, actor_role="system"))
        if not to_key:
            return 0
        recorded = store.recorded_submissions(db)
        keyed, refused = {}, []
        for row in store.sealed_rows(db):  # all read first, then the seals rewritten
            if _plain_acceptable(row, recorded.get(row.id)) and not _disagreement(recorded.get(row.id), row):
                keyed[row.id] = store.seal_of(row.content, chain_key.seal_key)
            else:
                refused.append(row.id)
        for submission_id, seal in keyed.items():
            store.set_seal(db, submission_id, seal)
        resealed = len(keyed)
        store.append_audit(
            db,
            store.AuditEvent(
                action=SEALS_KEYED,
                actor_role="system",
                outcome="success" if not refused else "failure",
                detail={"resealed": resealed, "refused": refused},
            ),
        )
    if refused:
        log.warning("%d screening(s) failed their seal and were not re-sealed: %s", len(refused), refused)
    return resealed


def init_app(app: Flask) -> None:
    """At start: start the audit head of a trail written before it, and key the plain seals once (see upgrade)."""
    chain_key = audit_key.key_from_config(app.config)
    db = connect(app.config["DATABASE"])
    try:
        upgrade(db, chain_key)
    finally:
        db.close()
