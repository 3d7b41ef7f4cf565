"""Submissions: a finished screening, its fired rules, its seal, amendments and return links."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.domain import Answers, Evaluation
from screening.domain.decisions import QUEUE_RANK, always_to_clinician, initial_review_state
from screening.errors import Conflict
from screening.store import audit_key
from screening.store.core import iso, read_snapshot, token_hash, write_transaction
from screening.store.outbox import Mail, queue_mail


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
    held_by: int | None = None  # the same person's screening whose clinician defer or decline still stands
    record_facts: dict[str, Any] | None = None  # what the clinic's own record supplied to the rules (never answers)
    language: str = "en"  # the patient's language (web/language.py): their emails, the clinician's "Answered in"

    @property
    def always_to_clinician(self) -> bool:
        return always_to_clinician(self.kind, self.held_by)

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
        "review_state": initial_review_state(evaluation.outcome, amended=new.always_to_clinician),
        "kind": new.kind,
        "previous_id": new.amends if new.amends is not None else new.rescreen_of,
        "reply": new.reply,
        "queue_rank": QUEUE_RANK[evaluation.outcome],
        "requested": values.get("treatment_requested", ""),
        "overrides": json.dumps(list(new.overrides)),  # the clinic's overrides that judged it
        "held_by": new.held_by,
    }
    if (
        new.record_facts
    ):  # only then: a database not yet migrated to 0024 still takes a screening (the column's default)
        row["record_facts"] = json.dumps(new.record_facts)
    if new.language != "en":  # likewise before 0027: an English screening is the column's default
        row["language"] = new.language
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
    back_to = "patient.result"


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
    with read_snapshot(db):  # the row, its rules and its seal from one moment, even while a decision commits
        return _submission_as_read(db, submission_id)


def _submission_as_read(db: Database, submission_id: int) -> dict[str, Any] | None:
    row = next(db.query("SELECT * FROM submission WHERE id = ?", [submission_id]), None)
    if row is None:
        return None
    row["sealed"] = seal_intact(db, submission_id)  # read before the JSON fields are decoded
    row["always_to_clinician"] = always_to_clinician(row["kind"], row["held_by"])
    for field in ("answers", "treatments", "messages", "engine_errors", "overrides"):
        row[field] = json.loads(row[field])
    row["record_facts"] = json.loads(row["record_facts"]) if row.get("record_facts") else {}  # {}: nothing supplied
    row["rules"] = [
        {**rule, "sources": json.loads(rule["sources"]), "trigger_questions": json.loads(rule["trigger_questions"])}
        for rule in db.query(
            "SELECT rule_id, level, applies, patient_message, rationale, sources, trigger_questions"
            " FROM submission_rule WHERE submission_id = ? ORDER BY position",
            [submission_id],
        )
    ]
    return row


# --------------------------------------------------------------------------------------------------------------------
# Returning patients


def latest_submission_for(db: Database, email: str, date_of_birth: str) -> int | None:
    """The newest current screening with this email and date of birth, restricted ones left out, or None."""
    row = next(
        db.query(
            "SELECT id FROM submission WHERE lower(email) = ? AND json_extract(answers, '$.date_of_birth') = ?"
            " AND superseded_by IS NULL AND restricted_at IS NULL ORDER BY id DESC LIMIT 1",
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


def standing_decisions(db: Database, today: str) -> list[dict[str, Any]]:
    """Screenings whose clinician decision still stands on the clinic's day `today`: every decline, and every
    deferral to a later day. Each with the contact details and date of birth a new screening is matched on."""
    return list(
        db.query(
            "SELECT submission.id, submission.email, submission.phone,"
            " json_extract(submission.answers, '$.date_of_birth') AS date_of_birth,"
            " submission.review_state, decision.defer_until FROM submission"
            " JOIN decision ON decision.id = (SELECT max(id) FROM decision WHERE submission_id = submission.id)"
            " WHERE submission.superseded_by IS NULL AND (submission.review_state = 'declined'"
            " OR (submission.review_state = 'deferred' AND decision.defer_until > ?)) ORDER BY submission.id",
            [today],
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
    "held_by",
    "record_facts",  # sealed only when it holds something (_sealed_row): older seals verify unchanged
)


KEYED_SEAL = "hmac-sha256:"  # a seal keyed with the instance's key starts so; a plain SHA-256 seal is bare hex


def _sealed_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row as its seal covers it: what the clinic's record supplied is sealed when it supplied something, and
    left out when it is empty, so a seal written before the column existed still verifies."""
    if not row.get("record_facts"):
        row = {key: value for key, value in row.items() if key != "record_facts"}
    return row


def _canonical(row: dict[str, Any], rules: list[list[Any]], decisions: list[list[Any]]) -> bytes:
    row = _sealed_row(row)
    return b"submission-seal-v1:" + json.dumps([row, rules, decisions], sort_keys=True, separators=(",", ":")).encode()


def _sealed_decision(values: list[Any]) -> list[Any]:
    """A decision as its submission's seal covers it: the private note (the last value) is sealed when there is
    one, and left out when it is empty, so a seal written before the private note had its column still verifies."""
    return values if values[-1] else values[:-1]


def _decision_columns(db: Database) -> str:
    """The decision columns a seal reads; a migration that seals before migration 0020 has no private note yet."""
    has_private = any(row[1] == "private_note" for row in db.execute("PRAGMA table_info(decision)"))
    return "id, clinician_id, action, treatments, defer_until, note, created_at, " + (
        "private_note" if has_private else "'' AS private_note"
    )


def _submission_columns(db: Database, sealed_columns: tuple[str, ...]) -> str:
    """The sealed columns as a select list; a migration that seals before the record's facts had their column reads
    them as empty (which the seal leaves out)."""
    if "record_facts" in sealed_columns and not any(
        row[1] == "record_facts" for row in db.execute("PRAGMA table_info(submission)")
    ):
        return ", ".join("'' AS record_facts" if c == "record_facts" else c for c in sealed_columns)
    return ", ".join(sealed_columns)


def _sealed_content(db: Database, submission_id: int, sealed_columns: tuple[str, ...] = SEALED_COLUMNS) -> bytes | None:
    columns = _submission_columns(db, sealed_columns)
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
        _sealed_decision(list(decision.values()))
        for decision in db.query(
            f"SELECT {_decision_columns(db)} FROM decision WHERE submission_id = ? ORDER BY id",  # noqa: S608 - ours
            [submission_id],
        )
    ]
    return _canonical(row, rules, decisions)


def seal_of(content: bytes, seal_key: bytes | None) -> str:
    """The seal of sealed content: keyed with the seal key, or the plain SHA-256 of before without one."""
    if seal_key is None:
        return hashlib.sha256(content).hexdigest()
    return KEYED_SEAL + hmac.new(seal_key, content, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SealedRow:
    id: int
    seal: str  # as stored
    content: bytes  # what the seal covers
    outcome: str
    treatments: dict[str, str]
    rules: int


def sealed_rows(db: Database) -> Iterator[SealedRow]:
    """Every submission with its stored seal and what the seal covers, in id order, read in three passes (a query per
    screening made a backup's check of 100,000 of them take minutes)."""
    columns = _submission_columns(db, SEALED_COLUMNS)
    rules = db.execute(
        "SELECT submission_id, position, rule_id, level, applies, patient_message FROM submission_rule"
        " ORDER BY submission_id, position"
    )
    decisions = db.execute(
        f"SELECT submission_id, {_decision_columns(db)} FROM decision ORDER BY submission_id, id"  # noqa: S608 - ours
    )
    next_rule, next_decision = rules.fetchone(), decisions.fetchone()
    for row in db.query(f"SELECT {columns}, seal AS stored_seal FROM submission ORDER BY id"):  # noqa: S608 - ours
        seal = row.pop("stored_seal") or ""
        its_rules, its_decisions = [], []
        while next_rule is not None and next_rule[0] <= row["id"]:
            if next_rule[0] == row["id"]:
                its_rules.append(list(next_rule[1:]))
            next_rule = rules.fetchone()
        while next_decision is not None and next_decision[0] <= row["id"]:
            if next_decision[0] == row["id"]:
                its_decisions.append(_sealed_decision(list(next_decision[1:])))
            next_decision = decisions.fetchone()
        yield SealedRow(
            row["id"],
            seal,
            _canonical(row, its_rules, its_decisions),
            row["outcome"],
            json.loads(row["treatments"]),
            len(its_rules),
        )


def plain_seal(db: Database, submission_id: int, sealed_columns: tuple[str, ...] = SEALED_COLUMNS) -> str | None:
    """The seal as it was written before seals were keyed: anyone who can read the code can recompute it."""
    content = _sealed_content(db, submission_id, sealed_columns)
    return None if content is None else seal_of(content, None)


def keyed_seal(
    db: Database, submission_id: int, seal_key: bytes, sealed_columns: tuple[str, ...] = SEALED_COLUMNS
) -> str | None:
    """The seal keyed with the instance's seal key (audit_key.ChainKey.seal_key), which is not in the database."""
    content = _sealed_content(db, submission_id, sealed_columns)
    return None if content is None else seal_of(content, seal_key)


def submission_seal(
    db: Database,
    submission_id: int,
    sealed_columns: tuple[str, ...] = SEALED_COLUMNS,
    *,
    chain_key: audit_key.ChainKey | None = None,
) -> str | None:
    """The digest of a submission as stored now: its sealed columns (raw text), its fired rules and its decisions;
    keyed with the database's key where it has one (registered by create_app), plain SHA-256 where it has none.
    (A migration that adds a sealed column checks the old seals with the columns they were made over.)"""
    chain_key = chain_key or audit_key.key_for(db)
    if chain_key is None:
        return plain_seal(db, submission_id, sealed_columns)
    return keyed_seal(db, submission_id, chain_key.seal_key, sealed_columns)


def reseal_submission(db: Database, submission_id: int, sealed_columns: tuple[str, ...] = SEALED_COLUMNS) -> None:
    """Bring the seal in step after a legitimate change; call it inside the transaction that made the change."""
    seal = submission_seal(db, submission_id, sealed_columns)
    db.execute("UPDATE submission SET seal = ? WHERE id = ?", [seal, submission_id])


def stored_seal(db: Database, submission_id: int) -> str | None:
    stored = next(db.query("SELECT seal FROM submission WHERE id = ?", [submission_id]), None)
    return None if stored is None else stored["seal"] or ""


def seal_intact(db: Database, submission_id: int, chain_key: audit_key.ChainKey | None = None) -> bool:
    """Whether the stored seal is the one this instance would write now: with a key, only the keyed seal counts (a
    plain one is what anyone could recompute)."""
    stored = stored_seal(db, submission_id)
    if chain_key is None:  # the database's own key, as every reader asks
        expected = submission_seal(db, submission_id) or ""
    else:
        expected = submission_seal(db, submission_id, chain_key=chain_key) or ""
    return stored is not None and hmac.compare_digest(stored, expected)


def seal_kind(db: Database, submission_id: int) -> str:
    """ "keyed" or "plain": how the screening's seal was written (recorded in the audit trail when it is sent)."""
    return "keyed" if (stored_seal(db, submission_id) or "").startswith(KEYED_SEAL) else "plain"


def has_keyed_seal(db: Database) -> bool:
    return (
        next(db.query("SELECT 1 AS found FROM submission WHERE substr(seal, 1, 12) = ? LIMIT 1", [KEYED_SEAL]), None)
        is not None
    )


def seal_ids(db: Database) -> dict[int, str]:
    """Every submission's id and stored seal, in order."""
    return {row["id"]: row["seal"] for row in db.query("SELECT id, seal FROM submission ORDER BY id")}


def set_seal(db: Database, submission_id: int, seal: str) -> None:
    db.execute("UPDATE submission SET seal = ? WHERE id = ?", [seal, submission_id])


def sealed_summary(db: Database, submission_id: int) -> dict[str, Any] | None:
    """What the audit trail records when a screening is sent, as stored now: its outcome, outcome per treatment and
    the number of rules that fired."""
    row = next(db.query("SELECT outcome, treatments FROM submission WHERE id = ?", [submission_id]), None)
    if row is None:
        return None
    rules = db.execute("SELECT count(*) FROM submission_rule WHERE submission_id = ?", [submission_id]).fetchone()[0]
    return {"outcome": row["outcome"], "treatments": json.loads(row["treatments"]), "rules": rules}


def rule_levels(db: Database, submission_ids: list[int]) -> dict[int, dict[str, str]]:
    """The level of each fired rule of these screenings, by screening."""
    if not submission_ids:
        return {}
    marks = ", ".join("?" * len(submission_ids))
    found: dict[int, dict[str, str]] = {}
    for row in db.query(
        f"SELECT submission_id, rule_id, level FROM submission_rule WHERE submission_id IN ({marks})",  # noqa: S608
        list(submission_ids),
    ):
        found.setdefault(row["submission_id"], {})[row["rule_id"]] = row["level"]
    return found
