"""The only module that reads and writes tables. Every function takes the database first and returns plain data."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.domain import Answers, Evaluation
from screening.domain.decisions import QUEUE_RANK, initial_review_state
from screening.domain.replay import StoredScreening
from screening.errors import Conflict
from screening.store import audit_key

iso = clock.iso


def token_hash(token: str) -> str:
    """Tokens are stored only as hashes, so a copy of the database does not open anyone's screening."""
    return hashlib.sha256(token.encode()).hexdigest()


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One unit of work that takes the write lock at once (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY when another writer got in
    between; an immediate one waits for the lock (busy_timeout) and then sees the latest data, which the audit hash
    chain and the decision race rely on. Nested use is a savepoint inside the outer transaction (as sqlite-utils'
    atomic() does): a failure rolls back the inner part only, and the outer unit decides whether anything commits.
    """
    if db.conn.in_transaction:
        name = f"unit_{secrets.token_hex(4)}"
        db.conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            db.conn.execute(f"ROLLBACK TO {name}")
            db.conn.execute(f"RELEASE {name}")
            raise
        else:
            db.conn.execute(f"RELEASE {name}")
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


# --------------------------------------------------------------------------------------------------------------------
# Drafts: a questionnaire being filled in, kept on the server so no health data sits in a cookie


@dataclass(frozen=True)
class Draft:
    id: str
    answers: dict[str, Any]
    contact: dict[str, str]
    submission_key: str
    kind: str = "new"  # "amendment": answering a clinician's question; "rescreen": a returning patient
    amends: int | None = None
    rescreen_of: int | None = None


def create_draft(
    db: Database,
    draft_token: str,
    submission_key: str,
    *,
    answers: dict[str, Any] | None = None,
    contact: dict[str, str] | None = None,
    amends: int | None = None,
    rescreen_of: int | None = None,
) -> Draft:
    now = iso(clock.utc_now())
    kind = "amendment" if amends is not None else "rescreen" if rescreen_of is not None else "new"
    db.execute(
        "INSERT INTO draft (id, submission_key, answers, contact, kind, amends, rescreen_of, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            token_hash(draft_token),
            submission_key,
            json.dumps(answers or {}),
            json.dumps(contact or {}),
            kind,
            amends,
            rescreen_of,
            now,
            now,
        ],
    )
    return Draft(token_hash(draft_token), answers or {}, contact or {}, submission_key, kind, amends, rescreen_of)


def get_draft(db: Database, draft_token: str, max_age: timedelta) -> Draft | None:
    cutoff = iso(clock.utc_now() - max_age)
    row = next(
        db.query(
            "SELECT id, answers, contact, submission_key, kind, amends, rescreen_of FROM draft"
            " WHERE id = ? AND updated_at >= ?",
            [token_hash(draft_token), cutoff],
        ),
        None,
    )
    if row is None:
        return None
    return Draft(
        row["id"],
        json.loads(row["answers"]),
        json.loads(row["contact"]),
        row["submission_key"],
        row["kind"],
        row["amends"],
        row["rescreen_of"],
    )


@contextlib.contextmanager
def draft_durability(db: Database) -> Iterator[None]:
    """Commit a draft save without waiting for the disk (synchronous=NORMAL), then go back to FULL.

    In WAL mode a NORMAL commit keeps the database consistent, but a power cut (not a crash of the process) may undo
    the last few such commits. A lost draft step costs the patient one page; a submission, decision, booking, outbox
    message or audit row is always committed with FULL, and its fsync also makes every earlier draft frame durable.
    """
    if db.conn.in_transaction:  # part of a larger unit: that unit's durability applies
        yield
        return
    db.conn.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        db.conn.execute("PRAGMA synchronous=FULL")


def save_draft_answers(db: Database, draft: Draft, answers: dict[str, Any]) -> None:
    with draft_durability(db):
        db.execute(
            "UPDATE draft SET answers = ?, updated_at = ? WHERE id = ?",
            [json.dumps(answers), iso(clock.utc_now()), draft.id],
        )


def save_draft_contact(db: Database, draft: Draft, contact: dict[str, str]) -> None:
    with draft_durability(db):
        db.execute(
            "UPDATE draft SET contact = ?, updated_at = ? WHERE id = ?",
            [json.dumps(contact), iso(clock.utc_now()), draft.id],
        )


def delete_draft(db: Database, draft_id: str) -> None:
    db.execute("DELETE FROM draft WHERE id = ?", [draft_id])


def purge_stale_drafts(db: Database, max_age: timedelta) -> int:
    """Forget questionnaires abandoned part-way; they were never submitted, so no clinic record is lost."""
    cursor = db.execute("DELETE FROM draft WHERE updated_at < ?", [iso(clock.utc_now() - max_age)])
    return cursor.rowcount


# --------------------------------------------------------------------------------------------------------------------
# Submissions


class DuplicateSubmission(Conflict):
    """The one-time submission key was used already: the submission it stored stands."""

    def __init__(self, submission_id: int):
        super().__init__(f"submission key already used by submission {submission_id}")
        self.submission_id = submission_id


def checksum(answers: dict[str, Any], outcome: str, rule_ids: list[str], ruleset_version: str) -> str:
    canonical = json.dumps(
        {"answers": answers, "outcome": outcome, "rules": rule_ids, "ruleset": ruleset_version},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class NewSubmission:
    """Everything a submission stores, as plain values (the service builds it from the draft and the evaluation)."""

    submission_key: str
    access_token: str
    answers: Answers
    evaluation: Evaluation
    contact: dict[str, str]
    attested_name: str
    ruleset_version: str
    amends: int | None = None  # answering a clinician's question about this screening
    rescreen_of: int | None = None  # a returning patient's new screening after this one
    reply: str = ""
    overrides: tuple[dict[str, str], ...] = ()  # the clinic's overrides that judged it

    @property
    def kind(self) -> str:
        return "amendment" if self.amends is not None else "rescreen" if self.rescreen_of is not None else "new"


def record_submission(db: Database, new: NewSubmission, *, draft_id: str | None = None) -> int:
    """Store a submission with its fired rules, and forget its draft, as one unit (a savepoint inside the caller's
    transaction, or its own transaction).

    Raises DuplicateSubmission when the key was used already (a double click or a retried POST), leaving the first
    submission as it was.
    """
    values, evaluation = new.answers.values, new.evaluation
    row = {
        "submission_key": new.submission_key,
        "access_token_hash": token_hash(new.access_token),
        "created_at": iso(clock.utc_now()),
        "screening_date": new.answers.screening_date.isoformat(),
        "ruleset_version": new.ruleset_version,
        "answers": json.dumps(values),
        "full_name": new.contact["full_name"],
        "email": new.contact["email"],
        "phone": new.contact.get("phone", ""),
        "attested_name": new.attested_name,
        "outcome": evaluation.outcome,
        "treatments": json.dumps(evaluation.treatments),
        "messages": json.dumps(list(evaluation.messages)),
        "engine_errors": json.dumps(list(evaluation.engine_errors)),
        "checksum": checksum(values, evaluation.outcome, evaluation.rule_ids, new.ruleset_version),
        "review_state": initial_review_state(evaluation.outcome, amended=new.kind == "amendment"),
        "kind": new.kind,
        "previous_id": new.amends if new.amends is not None else new.rescreen_of,
        "reply": new.reply,
        "queue_rank": QUEUE_RANK[evaluation.outcome],
        "requested": values.get("treatment_requested", ""),
        "overrides": json.dumps(list(new.overrides)),  # the clinic's overrides that judged it
    }
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    try:
        with write_transaction(db):
            submission_id = db.execute(f"INSERT INTO submission ({columns}) VALUES ({placeholders})", row).lastrowid  # noqa: S608 - column names are ours
            for position, fired in enumerate(evaluation.fired, start=1):
                rule = fired.rule
                db.execute(
                    "INSERT INTO submission_rule (submission_id, position, rule_id, level, applies, patient_message,"
                    " rationale, sources, trigger_questions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        submission_id,
                        position,
                        rule.id,
                        rule.level,
                        rule.applies,
                        fired.message,
                        rule.rationale,
                        json.dumps([{"key": s.key, "title": s.title, "urls": list(s.urls)} for s in rule.sources]),
                        json.dumps(list(rule.trigger_questions)),
                    ],
                )
            if draft_id is not None:
                db.execute("DELETE FROM draft WHERE id = ?", [draft_id])
            reseal_submission(db, submission_id)
    except sqlite3.IntegrityError:
        existing = submission_id_for_key(db, new.submission_key)
        if existing is None:
            raise
        raise DuplicateSubmission(existing) from None
    return submission_id


def supersede(db: Database, previous_id: int, submission_id: int) -> None:
    """Mark the screening a patient amended as superseded by the new version; only while it awaits their answer."""
    changed = db.execute(
        "UPDATE submission SET superseded_by = ?, review_state = 'superseded'"
        " WHERE id = ? AND review_state = 'information_requested' AND superseded_by IS NULL",
        [submission_id, previous_id],
    ).rowcount
    if changed != 1:  # answered already, or a clinician decided meanwhile: nothing is overwritten
        raise NotAmendable(screening=previous_id)
    reseal_submission(db, previous_id)


class NotAmendable(Conflict):
    """The screening is no longer waiting for the patient's answer (answered already, or decided)."""

    message = "The clinic has already dealt with that question, so your changes were not sent."
    back_to = "intake.result"


def submission_id_for_key(db: Database, submission_key: str) -> int | None:
    row = next(db.query("SELECT id FROM submission WHERE submission_key = ?", [submission_key]), None)
    return None if row is None else row["id"]


def submission_for_token(db: Database, access_token: str) -> dict[str, Any] | None:
    """The screening a private link opens: its latest version (a link keeps working after the patient amends)."""
    row = next(
        db.query("SELECT id, superseded_by FROM submission WHERE access_token_hash = ?", [token_hash(access_token)]),
        None,
    )
    for _ in range(100):  # follow the versions forward; bounded
        if row is None or row["superseded_by"] is None:
            break
        row = next(db.query("SELECT id, superseded_by FROM submission WHERE id = ?", [row["superseded_by"]]), None)
    return None if row is None else get_submission(db, row["id"])


def get_submission(db: Database, submission_id: int) -> dict[str, Any] | None:
    row = next(db.query("SELECT * FROM submission WHERE id = ?", [submission_id]), None)
    if row is None:
        return None
    row["sealed"] = seal_intact(db, submission_id)  # read before the JSON fields are decoded
    for field in ("answers", "treatments", "messages", "engine_errors", "overrides"):
        row[field] = json.loads(row[field])
    row["rules"] = [
        {**rule, "sources": json.loads(rule["sources"]), "trigger_questions": json.loads(rule["trigger_questions"])}
        for rule in db.query(
            "SELECT rule_id, level, applies, patient_message, rationale, sources, trigger_questions"
            " FROM submission_rule WHERE submission_id = ? ORDER BY position",
            [submission_id],
        )
    ]
    return row


def count_rows(db: Database, table: str) -> int:
    if table not in ("draft", "submission", "submission_rule", "clinician", "decision", "audit_event", "outbox"):
        raise ValueError(table)
    return next(db.query(f"SELECT count(*) AS n FROM {table}"))["n"]  # noqa: S608 - table checked above


# --------------------------------------------------------------------------------------------------------------------
# Audit trail: append-only (triggers refuse UPDATE and DELETE), each row's hash chained to the previous row's


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


# --------------------------------------------------------------------------------------------------------------------
# Clinicians and their sign-ins


class DuplicateClinician(Conflict):
    """A clinician with that email exists already."""


def add_clinician(db: Database, *, email: str, name: str, role: str, password_hash: str, audit: AuditEvent) -> int:
    try:
        with write_transaction(db):
            clinician_id = db.execute(
                "INSERT INTO clinician (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                [email.strip().lower(), name.strip(), role, password_hash, iso(clock.utc_now())],
            ).lastrowid
            append_audit(db, _with_object(audit, "clinician", clinician_id))
    except sqlite3.IntegrityError as error:
        if "UNIQUE" in str(error):
            raise DuplicateClinician(email=email) from None
        raise
    return clinician_id


def _with_object(event: AuditEvent, object_type: str, object_id: Any) -> AuditEvent:
    return AuditEvent(**{**event.__dict__, "object_type": object_type, "object_id": str(object_id)})


def clinician_by_email(db: Database, email: str) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM clinician WHERE email = ?", [email.strip().lower()]), None)


def clinician_by_id(db: Database, clinician_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM clinician WHERE id = ?", [clinician_id]), None)


def list_clinicians(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT id, email, name, role, totp_required, totp_secret IS NOT NULL AS has_totp, created_at,"
            " disabled_at, register, register_number FROM clinician ORDER BY disabled_at IS NOT NULL, name"
        )
    )


def update_password_hash(db: Database, clinician_id: int, password_hash: str) -> None:
    db.execute("UPDATE clinician SET password_hash = ? WHERE id = ?", [password_hash, clinician_id])


def set_totp_pending(db: Database, clinician_id: int, secret: str) -> None:
    """A second-factor secret being set up: kept here, never in a cookie, until a code confirms it."""
    db.execute("UPDATE clinician SET totp_pending = ? WHERE id = ?", [secret, clinician_id])


def set_totp_secret(db: Database, clinician_id: int, secret: str, audit: AuditEvent) -> None:
    with write_transaction(db):
        db.execute("UPDATE clinician SET totp_secret = ?, totp_pending = NULL WHERE id = ?", [secret, clinician_id])
        append_audit(db, _with_object(audit, "clinician", clinician_id))


def claim_totp_step(db: Database, clinician_id: int, step: int) -> bool:
    """Accept a code's time step only if it is later than the last one used: a code works once."""
    return (
        db.execute(
            "UPDATE clinician SET totp_last_step = ? WHERE id = ? AND coalesce(totp_last_step, -1) < ?",
            [step, clinician_id, step],
        ).rowcount
        == 1
    )


def set_totp_required(db: Database, clinician_id: int, required: bool, audit: AuditEvent) -> None:
    with write_transaction(db):
        db.execute("UPDATE clinician SET totp_required = ? WHERE id = ?", [int(required), clinician_id])
        append_audit(db, _with_object(audit, "clinician", clinician_id))


def disable_clinician(db: Database, clinician_id: int, audit: AuditEvent) -> int:
    """Disable an account and end every one of its sessions at once; returns how many sessions were ended."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute("UPDATE clinician SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?", [now, clinician_id])
        ended = db.execute(
            "UPDATE clinician_session SET revoked_at = ? WHERE clinician_id = ? AND revoked_at IS NULL",
            [now, clinician_id],
        ).rowcount
        append_audit(db, _with_object(audit, "clinician", clinician_id))
    return ended


def start_session(db: Database, clinician_id: int, session_token: str, audit: AuditEvent) -> None:
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute(
            "INSERT INTO clinician_session (id, clinician_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
            [token_hash(session_token), clinician_id, now, now],
        )
        append_audit(db, audit)


def live_session(db: Database, session_token: str, *, idle: timedelta, absolute: timedelta) -> dict[str, Any] | None:
    """The sign-in behind a session token, with its clinician, if it is neither revoked, idle nor too old."""
    row = next(
        db.query(
            "SELECT clinician_session.id AS session_id, clinician_session.created_at AS session_created_at,"
            " clinician_session.last_seen_at, clinician.* FROM clinician_session"
            " JOIN clinician ON clinician.id = clinician_session.clinician_id"
            " WHERE clinician_session.id = ? AND clinician_session.revoked_at IS NULL"
            " AND clinician.disabled_at IS NULL",
            [token_hash(session_token)],
        ),
        None,
    )
    if row is None:
        return None
    now = clock.utc_now()
    if row["last_seen_at"] < iso(now - idle) or row["session_created_at"] < iso(now - absolute):
        return None
    return row


def touch_session(db: Database, session_id: str, every: timedelta = timedelta(seconds=30)) -> None:
    """Record activity (for the idle timeout), at most once per `every` to keep writes off every page view."""
    now = clock.utc_now()
    db.execute(
        "UPDATE clinician_session SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
        [iso(now), session_id, iso(now - every)],
    )


def end_session(db: Database, session_token: str, audit: AuditEvent) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE clinician_session SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [iso(clock.utc_now()), token_hash(session_token)],
        )
        append_audit(db, audit)


# --------------------------------------------------------------------------------------------------------------------
# The review queue and decisions


QUEUE_PAGE_SIZE = 25


def encode_cursor(row: dict[str, Any]) -> str:
    return f"{row['queue_rank']}~{row['created_at']}~{row['id']}"


_CURSOR = re.compile(r"([0-4])~(\d{4}-\d{2}-\d{2}T[0-9:.]{8,15}Z)~(\d{1,18})")


def decode_cursor(cursor: str) -> tuple[int, str, int] | None:
    """A cursor from a Next link, or None for anything else (it is only a position, so ignoring it is safe)."""
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        return None
    return int(match.group(1)), match.group(2), int(match.group(3))


def queue(
    db: Database,
    *,
    outcomes: tuple[str, ...] = ("review",),
    states: tuple[str, ...] = ("pending",),
    treatment: str = "",
    since: str = "",
    until: str = "",
    after: str = "",
    limit: int = QUEUE_PAGE_SIZE,
) -> tuple[list[dict[str, Any]], str | None]:
    """Submissions for clinicians, most severe then longest waiting first, one keyset page at a time.

    Returns the rows and the cursor of the next page (None on the last page). The order (queue_rank, created_at, id)
    matches an index, so a deep page costs the same as the first, however many submissions there are.
    """
    where = [f"outcome IN ({', '.join('?' * len(outcomes))})", "restricted_at IS NULL"]  # restricted: kept, unlisted
    params: list[Any] = list(outcomes)
    if states:
        where.append(f"review_state IN ({', '.join('?' * len(states))})")
        params.extend(states)
    if treatment in ("toxin", "filler"):
        where.append("requested IN (?, 'both')")
        params.append(treatment)
    elif treatment == "both":
        where.append("requested = 'both'")
    if since:
        where.append("created_at >= ?")
        params.append(since)
    if until:
        where.append("created_at < ?")
        params.append(until)
    position = decode_cursor(after) if after else None
    if position is not None:
        where.append("(queue_rank, created_at, id) > (?, ?, ?)")
        params.extend(position)
    rows = list(
        db.query(
            "SELECT id, created_at, outcome, treatments, requested, review_state, queue_rank, ruleset_version,"  # noqa: S608 - our column names, values bound
            " (SELECT group_concat(rule_id, ' ') FROM (SELECT rule_id FROM submission_rule"
            " WHERE submission_id = submission.id ORDER BY position)) AS rule_ids"
            " FROM submission WHERE " + " AND ".join(where) + " ORDER BY queue_rank, created_at, id LIMIT ?",
            [*params, limit + 1],
        )
    )
    for row in rows:
        row["treatments"] = json.loads(row["treatments"])
        row["rule_ids"] = (row["rule_ids"] or "").split()
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def state_counts(db: Database, outcomes: tuple[str, ...] = ("review",)) -> dict[str, int]:
    """Submissions per review state for these outcomes, from the counts the triggers of migration 0003 keep."""
    counts: dict[str, int] = {}
    for row in db.query(
        f"SELECT review_state, n FROM queue_count WHERE outcome IN ({', '.join('?' * len(outcomes))})",  # noqa: S608 - placeholders only
        list(outcomes),
    ):
        counts[row["review_state"]] = counts.get(row["review_state"], 0) + row["n"]
    return counts


class DecisionConflict(Conflict):
    """Someone decided first: their decision stands and nothing was overwritten."""

    template = "review/conflict.html"

    def __init__(self, decided: dict[str, Any] | None):
        super().__init__("the submission is no longer waiting for a decision", decided=decided)
        self.decided = decided


def record_decision(
    db: Database,
    submission_id: int,
    *,
    clinician_id: int,
    action: str,
    state: str,
    treatments: tuple[str, ...],
    defer_until: str | None,
    note: str,
    audit: AuditEvent,
    mails: tuple[Mail, ...] = (),
) -> int:
    """Record a decision if, and only if, the submission is still pending; the state change, the decision row and
    its audit row commit together. Raises DecisionConflict naming who decided first."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE submission SET review_state = ? WHERE id = ? AND review_state = 'pending'",
            [state, submission_id],
        ).rowcount
        if changed == 0:
            raise DecisionConflict(latest_decision(db, submission_id))
        decision_id = db.execute(
            "INSERT INTO decision (submission_id, clinician_id, action, treatments, defer_until, note, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                clinician_id,
                action,
                json.dumps(list(treatments)),
                defer_until,
                note,
                iso(clock.utc_now()),
            ],
        ).lastrowid
        reseal_submission(db, submission_id)
        append_audit(db, _with_object(audit, "submission", submission_id))
        queue_mail(db, mails)
    return decision_id


def decisions_for(db: Database, submission_id: int) -> list[dict[str, Any]]:
    rows = list(
        db.query(
            "SELECT decision.*, clinician.name AS clinician_name FROM decision"
            " JOIN clinician ON clinician.id = decision.clinician_id WHERE submission_id = ? ORDER BY decision.id",
            [submission_id],
        )
    )
    for row in rows:
        row["treatments"] = json.loads(row["treatments"])
    return rows


def clinician_question(db: Database, submission_id: int) -> str:
    """The clinician's latest request for information on a screening (what the patient is asked to answer)."""
    asked = [d for d in decisions_for(db, submission_id) if d["action"] == "request_information"]
    return asked[-1]["note"] if asked else ""


def latest_decision(db: Database, submission_id: int) -> dict[str, Any] | None:
    decisions = decisions_for(db, submission_id)
    return decisions[-1] if decisions else None


# --------------------------------------------------------------------------------------------------------------------
# Consultation slots and bookings


def add_slots(db: Database, slots: list[tuple[str, str]], practitioner: str, audit: AuditEvent) -> int:
    """Publish slots (UTC start and end); a slot that exists already for that practitioner is skipped."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        added = 0
        for starts_at, ends_at in slots:
            added += db.execute(
                "INSERT INTO slot (starts_at, ends_at, practitioner, created_at) SELECT ?, ?, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM slot WHERE starts_at = ? AND practitioner = ?"
                " AND cancelled_at IS NULL)",
                [starts_at, ends_at, practitioner, now, starts_at, practitioner],
            ).rowcount
        append_audit(db, AuditEvent(**{**audit.__dict__, "object_type": "slot", "detail": {"added": added}}))
    return added


def slots_between(db: Database, start: str, end: str, *, free_only: bool = False) -> list[dict[str, Any]]:
    """Slots starting in [start, end), not cancelled, with the booking (if any) that holds each."""
    return list(
        db.query(
            "SELECT slot.*, booking.id AS booking_id, booking.submission_id FROM slot"  # noqa: S608 - fixed text
            " LEFT JOIN booking ON booking.slot_id = slot.id AND booking.cancelled_at IS NULL"
            " WHERE slot.cancelled_at IS NULL AND slot.starts_at >= ? AND slot.starts_at < ?"
            + (" AND booking.id IS NULL" if free_only else "")
            + " ORDER BY slot.starts_at, slot.practitioner",
            [start, end],
        )
    )


def get_slot(db: Database, slot_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM slot WHERE id = ?", [slot_id]), None)


def cancel_slot(db: Database, slot_id: int, audit: AuditEvent) -> dict[str, Any] | None:
    """Withdraw a slot; a booking it held is cancelled by the clinic (returns that booking: id, submission_id)."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute("UPDATE slot SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL", [now, slot_id])
        held = next(
            db.query("SELECT id, submission_id FROM booking WHERE slot_id = ? AND cancelled_at IS NULL", [slot_id]),
            None,
        )
        if held:
            db.execute("UPDATE booking SET cancelled_at = ?, cancelled_by = 'clinic' WHERE id = ?", [now, held["id"]])
        append_audit(db, _with_object(audit, "slot", slot_id))
    return held


class SlotTaken(Conflict):
    """Someone else booked that slot first (or it was withdrawn)."""

    message = "Sorry, someone booked that time a moment ago. Please choose another."
    back_to = "intake.result"


class AlreadyBooked(Conflict):
    """This screening holds an appointment already; cancel it to choose another."""

    message = "You have an appointment already. Cancel it first to choose another time."
    back_to = "intake.result"


def book_slot(
    db: Database,
    *,
    submission_id: int,
    slot_id: int,
    treatments: list[str],
    audit: AuditEvent,
    mails: tuple[Mail, ...] = (),
) -> int:
    """Book a free slot. The partial unique indexes decide races: exactly one of two simultaneous attempts wins."""
    try:
        with write_transaction(db):
            slot = next(db.query("SELECT id FROM slot WHERE id = ? AND cancelled_at IS NULL", [slot_id]), None)
            if slot is None:
                raise SlotTaken(slot=slot_id)
            booking_id = db.execute(
                "INSERT INTO booking (slot_id, submission_id, treatments, created_at) VALUES (?, ?, ?, ?)",
                [slot_id, submission_id, json.dumps(treatments), iso(clock.utc_now())],
            ).lastrowid
            append_audit(db, _with_object(audit, "booking", booking_id))
            queue_mail(db, mails)
    except sqlite3.IntegrityError as error:
        if "booking.submission_id" in str(error):
            raise AlreadyBooked(screening=submission_id) from None
        if "booking.slot_id" in str(error):
            raise SlotTaken(slot=slot_id) from None
        raise
    return booking_id


def active_booking(db: Database, submission_id: int) -> dict[str, Any] | None:
    row = next(
        db.query(
            "SELECT booking.*, slot.starts_at, slot.ends_at, slot.practitioner FROM booking"
            " JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id = ? AND booking.cancelled_at IS NULL",
            [submission_id],
        ),
        None,
    )
    if row:
        row["treatments"] = json.loads(row["treatments"])
    return row


def last_cancelled_by_clinic(db: Database, submission_id: int) -> dict[str, Any] | None:
    return next(
        db.query(
            "SELECT booking.*, slot.starts_at FROM booking JOIN slot ON slot.id = booking.slot_id"
            " WHERE booking.submission_id = ? AND booking.cancelled_by = 'clinic' ORDER BY booking.id DESC LIMIT 1",
            [submission_id],
        ),
        None,
    )


def cancel_booking(db: Database, submission_id: int, audit: AuditEvent, mails: tuple[Mail, ...] = ()) -> bool:
    with write_transaction(db):
        held = next(
            db.query("SELECT id FROM booking WHERE submission_id = ? AND cancelled_at IS NULL", [submission_id]),
            None,
        )
        if held is None:
            return False
        db.execute(
            "UPDATE booking SET cancelled_at = ?, cancelled_by = 'patient' WHERE id = ?",
            [iso(clock.utc_now()), held["id"]],
        )
        append_audit(db, _with_object(audit, "booking", held["id"]))
        queue_mail(db, mails)
    return True


# --------------------------------------------------------------------------------------------------------------------
# The outbox: email written in the transaction of what it reports


@dataclass(frozen=True)
class Mail:
    kind: str
    to: str
    subject: str
    body: str


def queue_mail(db: Database, mails) -> None:
    """Add messages to the outbox; joins the caller's transaction."""
    now = iso(clock.utc_now())
    for mail in mails:
        db.execute(
            "INSERT INTO outbox (kind, to_addr, subject, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
            [mail.kind, mail.to, mail.subject, mail.body, now, now],
        )


def claim_due_mail(db: Database, *, limit: int, hold: timedelta) -> list[dict[str, Any]]:
    """Messages due for sending, each claimed for `hold` so that a second sender leaves it alone."""
    now = clock.utc_now()
    claimed = []
    for row in list(
        db.query(
            "SELECT * FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?",
            [iso(now), iso(now), limit],
        )
    ):
        if db.execute(
            "UPDATE outbox SET claimed_until = ? WHERE id = ? AND sent_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until < ?)",
            [iso(now + hold), row["id"], iso(now)],
        ).rowcount:
            claimed.append(row)
    return claimed


def mail_sent(db: Database, mail_id: int) -> None:
    # The body is blanked once sent: the outbox keeps who, what kind and when, not what was said.
    db.execute(
        "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, claimed_until = NULL, body = '' WHERE id = ?",
        [iso(clock.utc_now()), mail_id],
    )


def mail_failed(db: Database, mail_id: int, attempts: int, retry_in: timedelta, error: str) -> None:
    db.execute(
        "UPDATE outbox SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
        [attempts, iso(clock.utc_now() + retry_in), error, mail_id],
    )


# --------------------------------------------------------------------------------------------------------------------
# Returning patients


def latest_submission_for(db: Database, email: str, date_of_birth: str) -> int | None:
    """The newest current screening with this email and date of birth, or None."""
    row = next(
        db.query(
            "SELECT id FROM submission WHERE lower(email) = ? AND json_extract(answers, '$.date_of_birth') = ?"
            " AND superseded_by IS NULL ORDER BY id DESC LIMIT 1",
            [email.strip().lower(), date_of_birth],
        ),
        None,
    )
    return None if row is None else row["id"]


def create_return_link(
    db: Database, token: str, submission_id: int, lifetime: timedelta, mails: tuple[Mail, ...]
) -> None:
    now = clock.utc_now()
    with write_transaction(db):
        db.execute(
            "INSERT INTO return_link (id, submission_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [token_hash(token), submission_id, iso(now), iso(now + lifetime)],
        )
        queue_mail(db, mails)


def use_return_link(db: Database, token: str) -> int | None:
    """Spend a one-time link; the screening it points to, or None if unknown, used or expired."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        row = next(
            db.query(
                "SELECT submission_id FROM return_link WHERE id = ? AND used_at IS NULL AND expires_at > ?",
                [token_hash(token), now],
            ),
            None,
        )
        if row is None:
            return None
        db.execute("UPDATE return_link SET used_at = ? WHERE id = ?", [now, token_hash(token)])
    return row["submission_id"]


# --------------------------------------------------------------------------------------------------------------------
# Replay: stored screenings read back to be judged again with another rule set; nothing is written.


def screenings_for_replay(
    db: Database, since: str | None = None, ids: tuple[int, int] | None = None
) -> Iterator[StoredScreening]:
    """Each stored submission's answers, screening date and outcomes, oldest first (optionally from a screening date,
    and within an inclusive range of ids, for replay in parallel)."""
    sql = "SELECT id, answers, screening_date, outcome, treatments FROM submission WHERE 1 = 1"
    params: list[Any] = []
    if since is not None:
        sql += " AND screening_date >= ?"
        params.append(since)
    if ids is not None:
        sql += " AND id BETWEEN ? AND ?"
        params += list(ids)
    loads, from_iso = json.loads, date.fromisoformat
    treatments_seen: dict[str, dict[str, str]] = {}  # a handful of distinct values: parse each once
    for ref, answers, screening_date, outcome, treatments in db.conn.execute(sql + " ORDER BY id", params):
        per_treatment = treatments_seen.get(treatments)
        if per_treatment is None:
            per_treatment = treatments_seen[treatments] = loads(treatments)
        yield StoredScreening(ref, loads(answers), from_iso(screening_date), outcome, per_treatment)


# --------------------------------------------------------------------------------------------------------------------
# Rule-set archive: the files behind each version a server ran, so old and current rules can be compared.


def archive_ruleset(db: Database, version: str, files: dict[str, str], overrides_text: str) -> bool:
    """Keep the rules files and overrides text of a version (once); return True when it was new."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT OR IGNORE INTO ruleset_archive (version, files, overrides, first_seen_at) VALUES (?, ?, ?, ?)",
            [version, json.dumps(files), overrides_text, iso(clock.utc_now())],
        )
    return cursor.rowcount == 1


def archived_ruleset(db: Database, version: str) -> dict[str, Any] | None:
    row = next(db.query("SELECT * FROM ruleset_archive WHERE version = ?", [version]), None)
    if row is not None:
        row["files"] = json.loads(row["files"])
    return row


def replay_id_range(db: Database, since: str | None = None) -> tuple[int, int, int]:
    """(smallest id, largest id, count) of the submissions a replay would read."""
    low, high, count = db.conn.execute(
        "SELECT min(id), max(id), count(*) FROM submission WHERE screening_date >= ?", [since or ""]
    ).fetchone()
    return low or 0, high or 0, count


# --------------------------------------------------------------------------------------------------------------------
# The clinic's day: who a screening is for, finding patients, the diary, the consultation record, clinic
# settings, accounts. New functions only; the tables come from migration 0011.


def people_for(db: Database, submission_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Name, email, date of birth and areas asked for, by submission id (for lists that show who)."""
    if not submission_ids:
        return {}
    marks = ", ".join("?" * len(submission_ids))
    return {
        row["id"]: row
        for row in db.query(
            "SELECT id, full_name, email, json_extract(answers, '$.date_of_birth') AS date_of_birth,"  # noqa: S608 - placeholders only
            " json_extract(answers, '$.toxin_areas') AS toxin_areas,"
            " json_extract(answers, '$.filler_areas') AS filler_areas"
            f" FROM submission WHERE id IN ({marks})",
            list(submission_ids),
        )
    }


SEARCH_LIMIT = 50


def search_submissions(
    db: Database, *, name: str = "", email: str = "", date_of_birth: str = "", reference: int | None = None
) -> list[dict[str, Any]]:
    """Current screenings (latest versions) matching every criterion given, newest first. Name matches any part."""
    where, params = ["superseded_by IS NULL"], []
    if reference is not None:
        where.append("id = ?")
        params.append(reference)
    if name:
        for word in name.split():
            where.append("full_name LIKE ? ESCAPE '\\'")
            params.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if email:
        where.append("email = ? COLLATE NOCASE")
        params.append(email.strip())
    if date_of_birth:
        where.append("json_extract(answers, '$.date_of_birth') = ?")
        params.append(date_of_birth)
    return list(
        db.query(
            "SELECT id, created_at, full_name, email, outcome, treatments, review_state,"  # noqa: S608 - fixed text
            " json_extract(answers, '$.date_of_birth') AS date_of_birth FROM submission WHERE "
            + " AND ".join(where)
            + " ORDER BY id DESC LIMIT ?",
            [*params, SEARCH_LIMIT],
        )
    )


def submissions_of_person(db: Database, email: str, date_of_birth: str) -> list[dict[str, Any]]:
    """Every screening and version of one person (same email and date of birth), newest first."""
    return list(
        db.query(
            "SELECT id, created_at, full_name, email, outcome, treatments, review_state, kind, previous_id,"
            " superseded_by, json_extract(answers, '$.date_of_birth') AS date_of_birth FROM submission"
            " WHERE email = ? COLLATE NOCASE AND json_extract(answers, '$.date_of_birth') = ? ORDER BY id DESC",
            [email.strip(), date_of_birth],
        )
    )


def bookings_of(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    """Every booking (kept and cancelled) of these screenings, newest first, with its slot."""
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    return list(
        db.query(
            "SELECT booking.*, slot.starts_at, slot.ends_at, slot.practitioner FROM booking"  # noqa: S608 - placeholders only
            f" JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id IN ({marks})"
            " ORDER BY slot.starts_at DESC",
            list(submission_ids),
        )
    )


def diary(db: Database, start: str, end: str, practitioner: str = "") -> list[dict[str, Any]]:
    """Active bookings whose slot starts in [start, end), with the screening they are for and its last record."""
    rows = list(
        db.query(
            "SELECT booking.id AS booking_id, booking.treatments AS booked, slot.starts_at, slot.ends_at,"  # noqa: S608 - fixed text
            " slot.practitioner, submission.id AS submission_id, submission.full_name, submission.outcome,"
            " submission.treatments, submission.review_state,"
            " json_extract(submission.answers, '$.date_of_birth') AS date_of_birth,"
            " json_extract(submission.answers, '$.toxin_areas') AS toxin_areas,"
            " json_extract(submission.answers, '$.filler_areas') AS filler_areas,"
            " (SELECT group_concat(rule_id, ' ') FROM (SELECT rule_id FROM submission_rule"
            "   WHERE submission_id = submission.id AND level = 'caution' ORDER BY position)) AS cautions,"
            " (SELECT attendance FROM consultation WHERE consultation.booking_id = booking.id"
            "   ORDER BY consultation.id DESC LIMIT 1) AS attendance,"
            " (SELECT consulted FROM consultation WHERE consultation.booking_id = booking.id"
            "   ORDER BY consultation.id DESC LIMIT 1) AS consulted"
            " FROM booking JOIN slot ON slot.id = booking.slot_id"
            " JOIN submission ON submission.id = booking.submission_id"
            " WHERE booking.cancelled_at IS NULL AND slot.starts_at >= ? AND slot.starts_at < ?"
            + (" AND slot.practitioner = ?" if practitioner else "")
            + " ORDER BY slot.starts_at, slot.practitioner",
            [start, end, *([practitioner] if practitioner else [])],
        )
    )
    for row in rows:
        row["booked"] = json.loads(row["booked"])
        row["treatments"] = json.loads(row["treatments"])
        row["cautions"] = (row["cautions"] or "").split()
    return rows


# Clinic settings kept in the database (the admin's page); the instance settings are the fallback.


def clinic_settings(db: Database) -> dict[str, str]:
    return {row["key"]: row["value"] for row in db.query("SELECT key, value FROM clinic_setting")}


def save_clinic_settings(db: Database, values: dict[str, str], clinician_id: int | None, audit: AuditEvent) -> None:
    now = iso(clock.utc_now())
    with write_transaction(db):
        for key, value in values.items():
            db.execute(
                "INSERT INTO clinic_setting (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,"
                " updated_by = excluded.updated_by",
                [key, value, now, clinician_id],
            )
        append_audit(db, _with_object(audit, "clinic_setting", ",".join(sorted(values))))


# Accounts


def update_profile(db: Database, clinician_id: int, name: str, register: str, number: str, audit: AuditEvent) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE clinician SET name = ?, register = ?, register_number = ? WHERE id = ?",
            [name, register, number, clinician_id],
        )
        append_audit(db, _with_object(audit, "clinician", clinician_id))


def change_password(
    db: Database, clinician_id: int, password_hash: str, audit: AuditEvent, *, keep_session: str | None = None
) -> int:
    """Set a new password and end every session of the account but `keep_session` (a session token); returns how
    many sessions ended."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute("UPDATE clinician SET password_hash = ? WHERE id = ?", [password_hash, clinician_id])
        ended = db.execute(
            "UPDATE clinician_session SET revoked_at = ? WHERE clinician_id = ? AND revoked_at IS NULL AND id != ?",
            [now, clinician_id, token_hash(keep_session) if keep_session else ""],
        ).rowcount
        append_audit(
            db,
            AuditEvent(
                **{**audit.__dict__, "object_type": "clinician", "object_id": str(clinician_id)},
            ),
        )
    return ended


def enable_clinician(db: Database, clinician_id: int, audit: AuditEvent) -> None:
    with write_transaction(db):
        db.execute("UPDATE clinician SET disabled_at = NULL WHERE id = ?", [clinician_id])
        append_audit(db, _with_object(audit, "clinician", clinician_id))


def create_password_reset(
    db: Database, token: str, clinician_id: int, lifetime: timedelta, audit: AuditEvent, mails: tuple[Mail, ...]
) -> None:
    now = clock.utc_now()
    with write_transaction(db):
        db.execute(
            "INSERT INTO password_reset (id, clinician_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [token_hash(token), clinician_id, iso(now), iso(now + lifetime)],
        )
        append_audit(db, _with_object(audit, "clinician", clinician_id))
        queue_mail(db, mails)


def password_reset_clinician(db: Database, token: str) -> int | None:
    """The clinician a reset link is for, while it is unused and unexpired (does not spend it)."""
    row = next(
        db.query(
            "SELECT clinician_id FROM password_reset WHERE id = ? AND used_at IS NULL AND expires_at > ?",
            [token_hash(token), iso(clock.utc_now())],
        ),
        None,
    )
    return None if row is None else row["clinician_id"]


def use_password_reset(db: Database, token: str, password_hash: str, audit: AuditEvent) -> int | None:
    """Spend a reset link and set the password, ending every session of the account; None if the link is unknown,
    used or expired (then nothing changes)."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        clinician_id = password_reset_clinician(db, token)
        if clinician_id is None:
            return None
        db.execute("UPDATE password_reset SET used_at = ? WHERE id = ?", [now, token_hash(token)])
        db.execute("UPDATE clinician SET password_hash = ? WHERE id = ?", [password_hash, clinician_id])
        db.execute(
            "UPDATE clinician_session SET revoked_at = ? WHERE clinician_id = ? AND revoked_at IS NULL",
            [now, clinician_id],
        )
        append_audit(db, _with_object(audit, "clinician", clinician_id))
    return clinician_id


# Slots: overlaps, and withdrawing a booked slot with a reason


def overlapping_slots(db: Database, slots: list[tuple[str, str]], practitioner: str) -> list[dict[str, Any]]:
    """Published slots of this practitioner that overlap any of these (UTC start, end) but do not start with it."""
    found: dict[int, dict[str, Any]] = {}
    for starts_at, ends_at in slots:
        for row in db.query(
            "SELECT * FROM slot WHERE practitioner = ? AND cancelled_at IS NULL AND starts_at < ? AND ends_at > ?"
            " AND NOT (starts_at = ? AND ends_at = ?)",
            [practitioner, ends_at, starts_at, starts_at, ends_at],
        ):
            found[row["id"]] = row
    return sorted(found.values(), key=lambda row: row["starts_at"])


def record_withdraw_reason(db: Database, booking_id: int, reason: str) -> None:
    db.execute("UPDATE booking SET cancel_reason = ? WHERE id = ?", [reason, booking_id])


# The consultation record


def record_consultation(db: Database, values: dict[str, Any], audit: AuditEvent) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with write_transaction(db):
        consultation_id = db.execute(
            f"INSERT INTO consultation ({columns}, created_at) VALUES ({marks}, :created_at)",  # noqa: S608 - our columns
            {**values, "created_at": iso(clock.utc_now())},
        ).lastrowid
        append_audit(db, _with_object(audit, "submission", values["submission_id"]))
    return consultation_id


def consultations_for(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    return list(
        db.query(
            f"SELECT * FROM consultation WHERE submission_id IN ({marks}) ORDER BY id DESC",  # noqa: S608 - placeholders
            list(submission_ids),
        )
    )


def latest_rescreen_of(db: Database, submission_id: int) -> int | None:
    row = next(
        db.query(
            "SELECT id FROM submission WHERE previous_id = ? AND kind = 'rescreen' ORDER BY id DESC LIMIT 1",
            [submission_id],
        ),
        None,
    )
    return None if row is None else row["id"]


def slot_with_booking(db: Database, slot_id: int) -> dict[str, Any] | None:
    """A published slot and the active booking that holds it, if any (booking_id, submission_id)."""
    return next(
        db.query(
            "SELECT slot.*, booking.id AS booking_id, booking.submission_id FROM slot"
            " LEFT JOIN booking ON booking.slot_id = slot.id AND booking.cancelled_at IS NULL"
            " WHERE slot.id = ? AND slot.cancelled_at IS NULL",
            [slot_id],
        ),
        None,
    )


# --------------------------------------------------------------------------------------------------------------------
# Forms sent with problems (post/redirect/get): kept on the server, never in the cookie


def save_form_state(db: Database, reference: str, page: str, sent: list[tuple[str, str]], max_age: timedelta) -> None:
    """Keep what was sent to `page` for the GET that shows the problems; forget old ones on the way."""
    now = clock.utc_now()
    with draft_durability(db):
        db.execute("DELETE FROM form_state WHERE created_at < ?", [iso(now - max_age)])
        db.execute(
            "INSERT OR REPLACE INTO form_state (id, page, sent, created_at) VALUES (?, ?, ?, ?)",
            [token_hash(reference), page, json.dumps(sent), iso(now)],
        )


def form_state(db: Database, reference: str, page: str, max_age: timedelta) -> list[tuple[str, str]] | None:
    row = next(
        db.query(
            "SELECT sent FROM form_state WHERE id = ? AND page = ? AND created_at >= ?",
            [token_hash(reference), page, iso(clock.utc_now() - max_age)],
        ),
        None,
    )
    return None if row is None else [tuple(pair) for pair in json.loads(row["sent"])]


def forget_form_state(db: Database, reference: str) -> None:
    with draft_durability(db):
        db.execute("DELETE FROM form_state WHERE id = ?", [token_hash(reference)])


# --------------------------------------------------------------------------------------------------------------------
# The submission seal: one digest over everything that decides what a patient may book or what
# a clinician sees, kept in step inside the transactions that legitimately change it (record_submission,
# record_decision, supersede; erasure or any later writer calls reseal_submission in its own transaction). The
# original `checksum` stays as it was (answers, outcome, rules, rule set) so existing rows verify unchanged.

SEALED_COLUMNS = (
    "id",
    "access_token_hash",
    "screening_date",
    "ruleset_version",
    "answers",
    "full_name",
    "email",
    "phone",
    "attested_name",
    "outcome",
    "treatments",
    "messages",
    "engine_errors",
    "checksum",
    "review_state",
    "kind",
    "previous_id",
    "superseded_by",
    "reply",
    "queue_rank",
    "requested",
)


def submission_seal(db: Database, submission_id: int) -> str | None:
    """The digest of a submission as stored now: its sealed columns (raw text), its fired rules and its decisions."""
    columns = ", ".join(SEALED_COLUMNS)
    row = next(db.query(f"SELECT {columns} FROM submission WHERE id = ?", [submission_id]), None)  # noqa: S608 - ours
    if row is None:
        return None
    rules = [
        list(rule.values())
        for rule in db.query(
            "SELECT position, rule_id, level, applies, patient_message FROM submission_rule"
            " WHERE submission_id = ? ORDER BY position",
            [submission_id],
        )
    ]
    decisions = [
        list(decision.values())
        for decision in db.query(
            "SELECT id, clinician_id, action, treatments, defer_until, note, created_at FROM decision"
            " WHERE submission_id = ? ORDER BY id",
            [submission_id],
        )
    ]
    canonical = json.dumps([row, rules, decisions], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(b"submission-seal-v1:" + canonical.encode()).hexdigest()


def reseal_submission(db: Database, submission_id: int) -> None:
    """Bring the seal in step after a legitimate change; call it inside the transaction that made the change."""
    db.execute("UPDATE submission SET seal = ? WHERE id = ?", [submission_seal(db, submission_id), submission_id])


def seal_intact(db: Database, submission_id: int) -> bool:
    stored = next(db.query("SELECT seal FROM submission WHERE id = ?", [submission_id]), None)
    return stored is not None and hmac.compare_digest(stored["seal"] or "", submission_seal(db, submission_id) or "")
