"""The audit trail: append-only rows, each hash chained (and keyed) to the one before."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store import audit_key
from screening.store.core import iso, write_transaction

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """Who did what to which object, from where. Never answer text, never a patient's name."""

    action: str
    actor_role: str
    outcome: str = "success"
    actor_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    remote_addr: str = ""
    request_id: str = ""
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class Actor:
    """Who acts (a signed-in clinician, a patient, the system) and from where: plain values a service turns into
    audit events, so services need no request to know who asked."""

    role: str
    id: int | None = None
    remote_addr: str = ""
    request_id: str = ""
    via: str = ""  # "cli" for commands run on the server

    def event(
        self,
        action: str,
        *,
        outcome: str = "success",
        object_type: str = "",
        object_id: Any = "",
        detail: dict[str, Any] | None = None,
        role: str | None = None,
    ) -> AuditEvent:
        if self.via:
            detail = {"via": self.via, **(detail or {})}
        return AuditEvent(
            action=action,
            actor_role=role or self.role,
            outcome=outcome,
            actor_id=self.id,
            object_type=object_type,
            object_id=str(object_id),
            remote_addr=self.remote_addr,
            request_id=self.request_id,
            detail=detail,
        )


SYSTEM = Actor("system", via="cli")


def _audit_hash(row: dict[str, Any], key: bytes | None = None) -> str:
    """The row's hash: HMAC-SHA256 with the chain key (screening/audit_chain.py), or the unkeyed recipe of rows
    written before the chain was keyed."""
    fields = [
        row["id"],
        row["ts"],
        row["actor_id"],
        row["actor_role"],
        row["action"],
        row["object_type"],
        row["object_id"],
        row["outcome"],
        row["remote_addr"],
        row["request_id"],
        row["detail"],
        row["prev_hash"],
    ]
    if key is not None:
        return audit_key.keyed_hash(key, fields)
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def append_audit(db: Database, event: AuditEvent) -> int:
    """Append one audit row, chained to the last one. Joins the caller's transaction, so the event and what it
    records commit together."""
    with write_transaction(db):
        last = next(db.query("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"), None)
        row = {
            "id": (last["id"] + 1) if last else 1,
            "ts": iso(clock.utc_now()),
            "actor_id": event.actor_id,
            "actor_role": event.actor_role,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "outcome": event.outcome,
            "remote_addr": event.remote_addr,
            "request_id": event.request_id,
            "detail": json.dumps(event.detail or {}, sort_keys=True, separators=(",", ":")),
            "prev_hash": last["hash"] if last else GENESIS_HASH,
        }
        chain_key = audit_key.key_for(db)
        row["hash"] = _audit_hash(row, chain_key.key if chain_key else None)
        db.execute(
            "INSERT INTO audit_event (id, ts, actor_id, actor_role, action, object_type, object_id, outcome,"
            " remote_addr, request_id, detail, prev_hash, hash) VALUES (:id, :ts, :actor_id, :actor_role, :action,"
            " :object_type, :object_id, :outcome, :remote_addr, :request_id, :detail, :prev_hash, :hash)",
            row,
        )
    return row["id"]


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_broken: int | None  # the id of the first row whose link or content does not check out
    reason: str = ""
    last_hash: str = ""  # to record elsewhere: only an outside copy can show rows cut from the end


def verify_audit_chain(db: Database, chain_key: audit_key.ChainKey | None = None) -> ChainReport:
    """Walk the audit trail in order and report the first row that was edited, removed or inserted. Rows after the
    legacy ones must carry the keyed hash: a chain recomputed without the key is refused."""
    chain_key = chain_key or audit_key.key_for(db)
    previous_hash, expected_id, count = GENESIS_HASH, 1, 0
    for row in db.query("SELECT * FROM audit_event ORDER BY id"):
        count += 1
        if row["id"] != expected_id:
            return ChainReport(count, row["id"], f"row {expected_id} is missing")
        if row["prev_hash"] != previous_hash:
            return ChainReport(count, row["id"], "its link to the previous row is broken")
        keyed = chain_key is not None and row["id"] > chain_key.legacy_rows
        if _audit_hash(row, chain_key.key if keyed else None) != row["hash"]:
            return ChainReport(count, row["id"], "its content does not match its hash")
        previous_hash, expected_id = row["hash"], expected_id + 1
    return ChainReport(count, None, last_hash=previous_hash if count else "")


def audit_events(
    db: Database,
    *,
    action: str = "",
    actor_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Audit rows, newest first, filtered; page with before_id (keyset)."""
    where, params = [], []
    for column, value in (("action", action), ("object_type", object_type), ("object_id", object_id)):
        if value:
            where.append(f"audit_event.{column} = ?")
            params.append(value)
    if actor_id is not None:
        where.append("audit_event.actor_id = ?")
        params.append(actor_id)
    if since:
        where.append("audit_event.ts >= ?")
        params.append(since)
    if until:
        where.append("audit_event.ts < ?")
        params.append(until)
    if before_id is not None:
        where.append("audit_event.id < ?")
        params.append(before_id)
    sql = (
        "SELECT audit_event.*, clinician.name AS actor_name, clinician.email AS actor_email FROM audit_event"  # noqa: S608 - our column names, values bound
        " LEFT JOIN clinician ON clinician.id = audit_event.actor_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY audit_event.id DESC LIMIT ?"
    )
    rows = list(db.query(sql, [*params, limit]))
    for row in rows:
        row["detail"] = json.loads(row["detail"])
    return rows


def _with_object(event: AuditEvent, object_type: str, object_id: Any) -> AuditEvent:
    return AuditEvent(**{**event.__dict__, "object_type": object_type, "object_id": str(object_id)})


def last_audit_event(db: Database, action: str) -> dict[str, Any] | None:
    """The newest audit row of this action, if any."""
    return next(db.query("SELECT * FROM audit_event WHERE action = ? ORDER BY id DESC LIMIT 1", [action]), None)
