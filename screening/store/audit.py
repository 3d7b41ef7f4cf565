"""The audit trail: append-only rows, each hash chained (and keyed) to the one before."""

from __future__ import annotations

import hashlib
import hmac
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
        _move_head(db, row["id"], row["hash"], chain_key)
    return row["id"]


# --------------------------------------------------------------------------------------------------------------------
# The head: the newest event's id and hash, keyed, moved in the transaction of every event. A chain cut at its end is
# still a whole chain; the head says how far it went. Without the key, a head cannot be moved back to match.


def _head_mac(last_id: int, last_hash: str, chain_key: audit_key.ChainKey | None) -> str:
    fields = ["audit-head", last_id, last_hash]
    if chain_key is None:
        return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()
    return audit_key.keyed_hash(chain_key.head_key, fields)


def _move_head(db: Database, last_id: int, last_hash: str, chain_key: audit_key.ChainKey | None) -> None:
    if "audit_head" not in db.table_names():  # a database not migrated this far (a test's own schema)
        return
    db.execute(
        "INSERT INTO audit_head (id, last_id, last_hash, mac) VALUES (1, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash,"
        " mac = excluded.mac",
        [last_id, last_hash, _head_mac(last_id, last_hash, chain_key)],
    )


def audit_head(db: Database) -> dict[str, Any] | None:
    """The head row, or None when there is none (or the database has no head table: made before it existed)."""
    if "audit_head" not in db.table_names():
        return None
    return next(db.query("SELECT last_id, last_hash, mac FROM audit_head WHERE id = 1"), None)


def has_head_table(db: Database) -> bool:
    return "audit_head" in db.table_names()


def head_problem(db: Database, rows: int, last_hash: str, chain_key: audit_key.ChainKey | None) -> tuple[int, str]:
    """(the first event the head finds missing, why), or (0, "") when the head and the chain agree."""
    head = audit_head(db)
    if head is None:
        if rows and has_head_table(db):
            return rows + 1, "the audit head is missing: events may have been cut from the end"
        return 0, ""
    keyed = chain_key if chain_key is not None and head["last_id"] > chain_key.legacy_rows else None  # as the rows
    if not hmac.compare_digest(head["mac"], _head_mac(head["last_id"], head["last_hash"], keyed)):
        return min(rows + 1, head["last_id"] or 1), "the audit head does not match its key"
    if head["last_id"] > rows:
        first = rows + 1
        span = f"event {first} is" if first == head["last_id"] else f"events {first} to {head['last_id']} are"
        return first, f"{span} missing from the end (the audit head records {head['last_id']} events)"
    if head["last_id"] < rows or head["last_hash"] != last_hash:
        return head["last_id"] + 1, f"the audit head records {head['last_id']} events, the chain holds {rows}"
    return 0, ""


def recorded_submissions(db: Database) -> dict[int, dict[str, Any]]:
    """What the audit trail recorded of each screening when it was sent (its `submission_created` detail), by id. The
    newest event of an id counts: SQLite may give the id of an erased screening to the next one sent."""
    found: dict[int, dict[str, Any]] = {}
    for row in db.query(
        "SELECT object_id, detail FROM audit_event WHERE action = 'submission_created' AND object_type = 'submission'"
        " ORDER BY id"
    ):
        if row["object_id"].isdigit():
            found[int(row["object_id"])] = json.loads(row["detail"])
    return found


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_broken: int | None  # the id of the first row whose link or content does not check out
    reason: str = ""
    last_hash: str = ""  # to record elsewhere: only an outside copy can show rows cut from the end


def verify_audit_chain(
    db: Database, chain_key: audit_key.ChainKey | None = None, *, with_head: bool = True
) -> ChainReport:
    """Walk the audit trail in order and report the first row that was edited, removed or inserted. Rows after the
    legacy ones must carry the keyed hash: a chain recomputed without the key is refused. With the head (the default),
    rows cut from the end are reported too."""
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
    first_missing, problem = (
        head_problem(db, count, previous_hash if count else "", chain_key) if with_head else (0, "")
    )
    if first_missing:
        return ChainReport(count, first_missing, problem, last_hash=previous_hash if count else "")
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


def audit_event_ids(db: Database, action: str) -> list[int]:
    """The ids of every audit row of this action, oldest first."""
    return [row["id"] for row in db.query("SELECT id FROM audit_event WHERE action = ? ORDER BY id", [action])]
