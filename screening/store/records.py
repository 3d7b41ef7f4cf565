"""Records over their life: screenings grouped into families, a family deleted whole, and what retention,
erasure, restriction, exports and a patient's copy read or remove.

A "family" is a screening with every version linked to it: amendments (answers changed after a clinician's question)
and screenings started again from it (a returning patient). They are kept and deleted together, because each version
explains the next (what changed, what the clinician asked) and the foreign keys between them allow nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from screening.store.core import iso

CHUNK = 500  # ids per IN (...) list, well under SQLite's limit on bound parameters


@dataclass(frozen=True)
class Family:
    ids: tuple[int, ...]  # every version, oldest first
    last_activity: str  # newest of: a version sent, a decision, a booking made or cancelled (UTC, ISO 8601)
    last_appointment: str | None  # start of the latest appointment that has taken place (slot in the past)
    upcoming_appointment: str | None  # start of an appointment still to come
    restricted: bool
    last_consultation: str | None = None  # the latest consultation record, treatment given or problem reported after
    # it (or its follow-up) of any version: the clinical record's latest entry

    @property
    def consulted(self) -> bool:
        """It led to an appointment that has taken place, or a consultation was recorded for it: part of the
        clinical record, kept for the consulted class of docs/retention.md."""
        return self.last_appointment is not None or self.last_consultation is not None

    @property
    def kept_from(self) -> str | None:
        """The moment the clinical record's retention counts from: the later of the last appointment and the last
        consultation record (None when there is neither)."""
        return max((m for m in (self.last_appointment, self.last_consultation) if m), default=None)


@dataclass(frozen=True)
class Reference:
    """A foreign key that points at a submission, or at a row deleted with one, and what deleting a family does
    with the rows that hold it: "delete" them, or "unlink" (set NULL: the versions of one family, all deleted)."""

    table: str
    column: str
    points_at: str
    action: str = "delete"


# Every foreign key that reaches a submission, in the order delete_submissions clears them (a row that refers to a
# row deleted with the submission goes before it). tests/store/test_store_records_references.py reads every foreign
# key of a migrated database (PRAGMA foreign_key_list) and fails when one that reaches a submission is not here.
SUBMISSION_REFERENCES: tuple[Reference, ...] = (
    Reference("recall", "treatment_given_id", "treatment_given"),
    Reference("recall", "submission_id", "submission"),
    Reference("treatment_area", "treatment_given_id", "treatment_given"),
    Reference("complication", "treatment_given_id", "treatment_given"),
    Reference("complication", "submission_id", "submission"),
    Reference("treatment_given", "booking_id", "booking"),
    Reference("treatment_given", "consent_id", "consent"),
    Reference("treatment_given", "submission_id", "submission"),
    Reference("consent_option", "consent_id", "consent"),
    Reference("outbox", "consent_id", "consent"),  # the email that attached it goes with it
    Reference("consent", "consultation_id", "consultation"),
    Reference("consent", "submission_id", "submission"),
    Reference("suitability_assessment", "submission_id", "submission"),
    Reference("instrument_score", "submission_id", "submission"),
    Reference("consultation", "booking_id", "booking"),
    Reference("consultation", "submission_id", "submission"),
    Reference("consultation", "new_submission_id", "submission"),
    Reference("return_link", "submission_id", "submission"),
    Reference("booking", "submission_id", "submission"),
    Reference("decision", "submission_id", "submission"),
    Reference("submission_rule", "submission_id", "submission"),
    Reference("resume_link", "draft_id", "draft"),  # a link to finish a draft deleted with the screening it amends
    Reference("draft", "amends", "submission"),
    Reference("draft", "rescreen_of", "submission"),
    Reference("outbox", "submission_id", "submission"),  # deleted: the email about it goes with it
    Reference("submission", "previous_id", "submission", "unlink"),
    Reference("submission", "superseded_by", "submission", "unlink"),
)


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _links(db: Database, ids: list[int]) -> set[int]:
    """Submissions linked to any of these, either way (previous_id, superseded_by)."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        marks = _marks(chunk)
        for row in db.query(
            f"SELECT id, previous_id, superseded_by FROM submission WHERE id IN ({marks})"  # noqa: S608 - placeholders only
            f" OR previous_id IN ({marks}) OR superseded_by IN ({marks})",
            chunk * 3,
        ):
            found.update(value for value in (row["id"], row["previous_id"], row["superseded_by"]) if value)
    return found


def families_of(db: Database, seed_ids: Iterable[int], now: datetime) -> list[Family]:
    """The families these submissions belong to."""
    seen: set[int] = set()
    frontier = set(seed_ids)
    while frontier:
        seen |= frontier
        frontier = _links(db, sorted(frontier)) - seen
    return _group(db, seen, now)


def all_families(db: Database, now: datetime) -> list[Family]:
    """Every stored screening grouped with its other versions, with the dates retention counts from."""
    return _group(db, {row["id"] for row in db.query("SELECT id FROM submission")}, now)


def _group(db: Database, ids: set[int], now: datetime) -> list[Family]:
    parent: dict[int, int] = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    facts: dict[int, dict[str, Any]] = {}
    ordered = sorted(ids)
    for chunk in _chunks(ordered):
        marks = _marks(chunk)
        for row in db.query(
            f"SELECT id, previous_id, superseded_by, created_at, restricted_at FROM submission WHERE id IN ({marks})",  # noqa: S608
            chunk,
        ):
            facts[row["id"]] = {"activity": row["created_at"], "restricted": row["restricted_at"] is not None}
            for other in (row["previous_id"], row["superseded_by"]):
                if other in parent:
                    parent[root(row["id"])] = root(other)
        for row in db.query(
            f"SELECT submission_id, max(created_at) AS at FROM decision WHERE submission_id IN ({marks})"  # noqa: S608
            " GROUP BY submission_id",
            chunk,
        ):
            facts[row["submission_id"]]["activity"] = max(facts[row["submission_id"]]["activity"], row["at"])
        for row in db.query(
            "SELECT booking.submission_id, booking.created_at, booking.cancelled_at, slot.starts_at FROM booking"  # noqa: S608
            f" JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id IN ({marks})",
            chunk,
        ):
            fact = facts[row["submission_id"]]
            fact["activity"] = max(fact["activity"], row["created_at"], row["cancelled_at"] or "")
            if row["cancelled_at"] is None:
                key = "past" if row["starts_at"] <= iso(now) else "future"
                fact[key] = max(fact.get(key) or "", row["starts_at"])
        for row in db.query(
            "SELECT submission_id, new_submission_id, created_at FROM consultation"  # noqa: S608 - placeholders only
            f" WHERE submission_id IN ({marks}) OR new_submission_id IN ({marks})",
            chunk * 2,
        ):
            for held in (row["submission_id"], row["new_submission_id"]):
                if held in facts:
                    fact = facts[held]
                    fact["consulted"] = max(fact.get("consulted") or "", row["created_at"])
                    fact["activity"] = max(fact["activity"], row["created_at"])
        for row in db.query(
            "SELECT submission_id, max(given_at) AS at FROM treatment_given"  # noqa: S608 - placeholders only
            f" WHERE submission_id IN ({marks}) GROUP BY submission_id"
            " UNION ALL SELECT submission_id, max(coalesce(followed_up_at, reported_at), reported_at) AS at"
            f" FROM complication WHERE submission_id IN ({marks})",
            chunk * 2,
        ):
            # A treatment given, a problem reported after it and its follow-up are the clinical record too: its
            # retention counts from the latest of them, as from a consultation.
            if row["submission_id"] in facts and row["at"]:
                fact = facts[row["submission_id"]]
                fact["consulted"] = max(fact.get("consulted") or "", row["at"])
                fact["activity"] = max(fact["activity"], row["at"])
    groups: dict[int, list[int]] = {}
    for i in ordered:
        groups.setdefault(root(i), []).append(i)
    families = []
    for members in groups.values():
        rows = [facts[i] for i in members]
        families.append(
            Family(
                ids=tuple(members),
                last_activity=max(r["activity"] for r in rows),
                last_appointment=max((r["past"] for r in rows if r.get("past")), default=None),
                upcoming_appointment=max((r["future"] for r in rows if r.get("future")), default=None),
                restricted=any(r["restricted"] for r in rows),
                last_consultation=max((r["consulted"] for r in rows if r.get("consulted")), default=None),
            )
        )
    return sorted(families, key=lambda family: family.ids)


def delete_submissions(db: Database, ids: Iterable[int]) -> int:
    """Delete these submissions and every row that refers to them; joins the caller's transaction.

    The audit trail is never touched (its triggers refuse it): it keeps who did what to which id, never content.
    Slots stay (they hold no patient data); one held by a deleted booking becomes free again.
    """
    ordered = sorted(set(ids))
    for chunk in _chunks(ordered):
        marks = _marks(chunk)
        for ref in SUBMISSION_REFERENCES:
            if ref.action != "delete":
                continue
            if ref.points_at == "submission":
                held, params = f"({marks})", chunk
            else:  # a row deleted with the submission (a booking): its own references to the submission find it
                vias = [r for r in SUBMISSION_REFERENCES if r.table == ref.points_at and r.points_at == "submission"]
                where = " OR ".join(f"{via.column} IN ({marks})" for via in vias)
                held, params = f"(SELECT id FROM {ref.points_at} WHERE {where})", chunk * len(vias)  # noqa: S608
            db.execute(f"DELETE FROM {ref.table} WHERE {ref.column} IN {held}", params)  # noqa: S608 - our names
    # Versions refer to each other (previous_id, superseded_by): unlink them first, so a family larger than one
    # chunk can go chunk by chunk without a foreign key ever pointing at a deleted row.
    for chunk in _chunks(ordered):
        for ref in SUBMISSION_REFERENCES:
            if ref.action == "unlink":
                db.execute(
                    f"UPDATE {ref.table} SET {ref.column} = NULL WHERE {ref.column} IN ({_marks(chunk)})",  # noqa: S608
                    chunk,
                )
    deleted = 0
    for chunk in _chunks(ordered):
        deleted += db.execute(f"DELETE FROM submission WHERE id IN ({_marks(chunk)})", chunk).rowcount  # noqa: S608
    return deleted


# --------------------------------------------------------------------------------------------------------------------
# Finding a patient's records (erasure and restriction)


def submission_ids_with_email(db: Database, email: str, date_of_birth: str | None = None) -> list[int]:
    """Screenings sent with this email (lower case), and this date of birth when given."""
    sql, params = "SELECT id FROM submission WHERE lower(email) = ?", [email]
    if date_of_birth is not None:
        sql += " AND json_extract(answers, '$.date_of_birth') = ?"
        params.append(date_of_birth)
    return [row["id"] for row in db.query(sql, params)]


def draft_ids_with_email(db: Database, email: str, date_of_birth: str | None = None) -> list[str]:
    """Unfinished questionnaires with this email (and this date of birth, when given: both must match)."""
    sql, params = "SELECT id FROM draft WHERE lower(json_extract(contact, '$.email')) = ?", [email]
    if date_of_birth is not None:
        sql += " AND json_extract(answers, '$.date_of_birth') = ?"
        params.append(date_of_birth)
    return [row["id"] for row in db.query(sql, params)]


# The kinds of email sent to a patient. Rows queued before the outbox named their screening (migration 0015) are
# found by address and kind; staff mail to the same address (a reset link, the clinic's notices) is never theirs.
PATIENT_MAIL_KINDS = ("submitted", "decision", "booked", "cancelled", "return_link", "resume_link")


def _patient_mail(submission_ids: list[int], email: str) -> tuple[str, list[Any]]:
    kinds = _marks(list(PATIENT_MAIL_KINDS))
    about = f"submission_id IN ({_marks(submission_ids)})" if submission_ids else "0"
    where = f"{about} OR (submission_id IS NULL AND lower(to_addr) = ? AND kind IN ({kinds}))"
    return where, [*submission_ids, email, *PATIENT_MAIL_KINDS]


def patient_mail_count(db: Database, submission_ids: list[int], email: str) -> int:
    """Messages in the outbox, sent or not, about these screenings (and a patient's older mail to this address)."""
    where, params = _patient_mail(submission_ids, email)
    return next(db.query(f"SELECT count(*) AS n FROM outbox WHERE {where}", params))["n"]  # noqa: S608 - ours


def delete_patient_mail(db: Database, submission_ids: list[int], email: str) -> int:
    """Delete the outbox rows about these screenings (and a patient's older mail to this address); joins the
    caller's transaction. Call it before the screenings go: their rows' submission_id is cleared with them."""
    where, params = _patient_mail(submission_ids, email)
    return db.execute(f"DELETE FROM outbox WHERE {where}", params).rowcount  # noqa: S608 - ours


def restrict_submission(db: Database, submission_id: int, now: str) -> bool:
    """Mark one screening restricted (kept, shown in no list); False when it was already."""
    return bool(
        db.execute(
            "UPDATE submission SET restricted_at = ? WHERE id = ? AND restricted_at IS NULL", [now, submission_id]
        ).rowcount
    )


def checkpoint(db: Database) -> None:
    """Move every committed page into the database file and empty the -wal file (secure_delete has zeroed the
    freed content in the pages themselves)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --------------------------------------------------------------------------------------------------------------------
# Retention: what is past its time, counted or removed (each joins the caller's transaction)


def stale_drafts(db: Database, cutoff: str, *, delete: bool) -> int:
    """Drafts last touched before `cutoff`: counted, or deleted."""
    if delete:
        return db.execute("DELETE FROM draft WHERE updated_at < ?", [cutoff]).rowcount
    return next(db.query("SELECT count(*) AS n FROM draft WHERE updated_at < ?", [cutoff]))["n"]


def sent_mail_bodies(db: Database, *, clear: bool) -> int:
    """Sent messages that still have a body: counted, or their bodies emptied (the row stays as a record)."""
    if clear:
        return db.execute("UPDATE outbox SET body = '' WHERE sent_at IS NOT NULL AND body != ''").rowcount
    return next(db.query("SELECT count(*) AS n FROM outbox WHERE sent_at IS NOT NULL AND body != ''"))["n"]


def sent_mail_before(db: Database, cutoff: str, *, delete: bool) -> int:
    """Records of messages sent before `cutoff`: counted, or deleted."""
    if delete:
        return db.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", [cutoff]).rowcount
    return next(db.query("SELECT count(*) AS n FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", [cutoff]))["n"]


def spent_return_links(db: Database, now: str, *, delete: bool) -> int:
    """One-time links used or expired by `now`: counted, or deleted."""
    if delete:
        return db.execute("DELETE FROM return_link WHERE used_at IS NOT NULL OR expires_at < ?", [now]).rowcount
    return next(db.query("SELECT count(*) AS n FROM return_link WHERE used_at IS NOT NULL OR expires_at < ?", [now]))[
        "n"
    ]


# --------------------------------------------------------------------------------------------------------------------
# Reading records out: the clinic's export, a patient's copy


def screenings_for_export(db: Database, since: date, until: date) -> Iterator[dict[str, Any]]:
    """Screenings sent from `since` to `until` (inclusive, UTC dates), restricted ones left out, oldest first, each
    with its fired rule ids, latest decision and latest appointment ("starts|booked" or "starts|patient"...)."""
    yield from db.query(
        "SELECT submission.*,"
        " (SELECT group_concat(rule_id, ' ') FROM (SELECT rule_id FROM submission_rule"
        "  WHERE submission_id = submission.id ORDER BY position)) AS rule_ids,"
        " (SELECT action FROM decision WHERE submission_id = submission.id ORDER BY id DESC LIMIT 1) AS decision,"
        " (SELECT created_at FROM decision WHERE submission_id = submission.id ORDER BY id DESC LIMIT 1)"
        "  AS decided_at,"
        " (SELECT slot.starts_at || '|' || coalesce(booking.cancelled_by, 'booked') FROM booking"
        "  JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id = submission.id"
        "  AND booking.kind = 'consultation'"
        "  ORDER BY booking.cancelled_at IS NULL DESC, booking.id DESC LIMIT 1) AS appointment"
        " FROM submission WHERE created_at >= ? AND created_at < ? AND restricted_at IS NULL ORDER BY id",
        [since.isoformat(), (until + timedelta(days=1)).isoformat()],
    )


def bookings_with_slots(db: Database, submission_id: int) -> list[dict[str, Any]]:
    """Every booking of one screening, cancelled ones too, with its slot's times and practitioner."""
    rows = list(
        db.query(
            "SELECT booking.*, slot.starts_at, slot.ends_at, slot.practitioner FROM booking"
            " JOIN slot ON slot.id = booking.slot_id WHERE booking.submission_id = ? ORDER BY booking.id",
            [submission_id],
        )
    )
    for row in rows:
        row["treatments"] = json.loads(row["treatments"])
    return rows


def mail_about(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    """Outbox rows about any of these screenings (the patient's own emails), oldest first. Never by address: the
    address is whatever the patient typed, and the clinic's notices and clinicians' mail are about no screening."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(submission_ids))):
        found += db.query(
            f"SELECT * FROM outbox WHERE submission_id IN ({_marks(chunk)})",  # noqa: S608 - marks only
            chunk,
        )
    return sorted(found, key=lambda row: row["id"])
