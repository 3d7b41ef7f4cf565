"""The review queue and the decisions clinicians record."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.domain.decisions import same_person
from screening.errors import Conflict
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction
from screening.store.outbox import Mail, queue_mail
from screening.store.submissions import reseal_submission

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
    treatment_outcome: str = "",
) -> tuple[list[dict[str, Any]], str | None]:
    """Submissions for clinicians, most severe then longest waiting first, one keyset page at a time.

    Returns the rows and the cursor of the next page (None on the last page). The order (queue_rank, created_at, id)
    matches an index, so a deep page costs the same as the first, however many submissions there are.
    With `treatment_outcome`, only submissions in which some treatment came out at that level (a caution filler
    beside a toxin under review is listed by "caution", whatever the overall outcome).
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
    if treatment_outcome:
        where.append("EXISTS (SELECT 1 FROM json_each(submission.treatments) WHERE json_each.value = ?)")
        params.append(treatment_outcome)
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

    template = "clinician/conflict.html"

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
    private_note: str = "",
    hold: HoldOthers | None = None,
) -> int:
    """Record a decision if, and only if, the submission is still pending; the state change, the decision row and
    its audit row commit together (with `hold`, so do the holds on the same person's other screenings). Raises
    DecisionConflict naming who decided first."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE submission SET review_state = ? WHERE id = ? AND review_state = 'pending'",
            [state, submission_id],
        ).rowcount
        if changed == 0:
            raise DecisionConflict(latest_decision(db, submission_id))
        decision_id = db.execute(
            "INSERT INTO decision (submission_id, clinician_id, action, treatments, defer_until, note, private_note,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                clinician_id,
                action,
                json.dumps(list(treatments)),
                defer_until,
                note,
                private_note,
                iso(clock.utc_now()),
            ],
        ).lastrowid
        reseal_submission(db, submission_id)
        append_audit(db, _with_object(audit, "submission", submission_id))
        queue_mail(db, mails)
        if hold is not None:
            hold_same_person(db, submission_id, hold)
    return decision_id


@dataclass(frozen=True)
class HoldOthers:
    """What holding the same person's other screenings records: the audit event for each (its object and detail
    are filled in here) and the clinic's notice for each one that newly waits for a clinician."""

    audit: AuditEvent
    notice: Callable[[int], tuple[Mail, ...]]


# A held screening waits for a clinician again from these states. A pending one only gains the link; a declined one
# stays declined, and being held, its clear and caution treatments are no longer bookable either; a question's answer
# comes back as an amendment, which always goes to a clinician.
_HELD_BACK_TO_PENDING = ("none", "approved", "deferred")


def hold_same_person(db: Database, decided_id: int, hold: HoldOthers) -> list[int]:
    """Inside the decision's transaction: every other current, unrestricted screening by the same person as the
    decided one (as intake.standing_decision_for tells a person, or started from it) now waits for a clinician,
    linked to it. Returns the ids held."""
    decided = next(db.query(_PERSON_SQL + " WHERE id = ?", [decided_id]))
    held = []
    for other in db.query(
        _PERSON_SQL + " WHERE id != ? AND superseded_by IS NULL AND restricted_at IS NULL ORDER BY id", [decided_id]
    ):
        if other["previous_id"] != decided_id and not same_person(
            decided, email=other["email"], date_of_birth=other["date_of_birth"], phone=other["phone"]
        ):
            continue
        state = "pending" if other["review_state"] in _HELD_BACK_TO_PENDING else other["review_state"]
        db.execute("UPDATE submission SET held_by = ?, review_state = ? WHERE id = ?", [decided_id, state, other["id"]])
        reseal_submission(db, other["id"])
        detail = {**(hold.audit.detail or {}), "held_by": decided_id, "was": other["review_state"]}
        append_audit(db, replace(_with_object(hold.audit, "submission", other["id"]), detail=detail))
        if state != other["review_state"]:
            queue_mail(db, hold.notice(other["id"]))
        held.append(other["id"])
    return held


_PERSON_SQL = (
    "SELECT id, email, phone, json_extract(answers, '$.date_of_birth') AS date_of_birth, review_state, previous_id"
    " FROM submission"
)


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
        _two_texts(row)
    return rows


def _two_texts(row: dict[str, Any]) -> None:
    """A decision's `note` is what the patient is asked (request_information only) and `private_note` the clinic's
    own. A decision stored before the private note had its column kept one text in `note`: unless it asked the
    patient a question, that text was the clinic's reason, and it is read as the private note. (It is read so rather
    than moved, because the submission's seal covers the note as it was written.)"""
    if row["action"] != "request_information" and row["note"] and not row.get("private_note"):
        row["private_note"], row["note"] = row["note"], ""


def clinician_question(db: Database, submission_id: int) -> str:
    """The clinician's latest request for information on a screening (what the patient is asked to answer)."""
    asked = [d for d in decisions_for(db, submission_id) if d["action"] == "request_information"]
    return asked[-1]["note"] if asked else ""


def latest_decision(db: Database, submission_id: int) -> dict[str, Any] | None:
    decisions = decisions_for(db, submission_id)
    return decisions[-1] if decisions else None


def held_since(db: Database, held_by: int | None) -> int:
    """The id of the decision that holds a screening (the holding screening's last one, the defer or decline that
    stood), so that only approvals after it count; 0 when nothing holds it or that screening has since been erased."""
    if held_by is None:
        return 0
    row = next(db.query("SELECT max(id) AS id FROM decision WHERE submission_id = ?", [held_by]))
    return row["id"] or 0
