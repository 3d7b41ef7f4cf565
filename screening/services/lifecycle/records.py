"""Storage for the data's life cycle: screenings grouped into families, and a family deleted whole.

A "family" is a screening with every version linked to it: amendments (answers changed after a clinician's question)
and screenings started again from it (a returning patient). They are kept and deleted together, because each version
explains the next (what changed, what the clinician asked) and the foreign keys between them allow nothing else.

This is table-level code, like screening/store/, kept in a module of its own for now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from screening import store

CHUNK = 500  # ids per IN (...) list, well under SQLite's limit on bound parameters


@dataclass(frozen=True)
class Family:
    ids: tuple[int, ...]  # every version, oldest first
    last_activity: str  # newest of: a version sent, a decision, a booking made or cancelled (UTC, ISO 8601)
    last_appointment: str | None  # start of the latest appointment that has taken place (slot in the past)
    upcoming_appointment: str | None  # start of an appointment still to come
    restricted: bool

    @property
    def consulted(self) -> bool:
        """It led to an appointment: part of the clinical record (the consultation record itself is not kept here)."""
        return self.last_appointment is not None


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
                key = "past" if row["starts_at"] <= store.iso(now) else "future"
                fact[key] = max(fact.get(key) or "", row["starts_at"])
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
        for table in ("return_link", "booking", "decision", "submission_rule"):
            db.execute(f"DELETE FROM {table} WHERE submission_id IN ({marks})", chunk)  # noqa: S608 - our names
        db.execute(f"DELETE FROM draft WHERE amends IN ({marks}) OR rescreen_of IN ({marks})", chunk * 2)  # noqa: S608
    # Versions refer to each other (previous_id, superseded_by): unlink them first, so a family larger than one
    # chunk can go chunk by chunk without a foreign key ever pointing at a deleted row.
    for chunk in _chunks(ordered):
        db.execute(
            f"UPDATE submission SET previous_id = NULL, superseded_by = NULL WHERE id IN ({_marks(chunk)})",  # noqa: S608
            chunk,
        )
    deleted = 0
    for chunk in _chunks(ordered):
        deleted += db.execute(f"DELETE FROM submission WHERE id IN ({_marks(chunk)})", chunk).rowcount  # noqa: S608
    return deleted
