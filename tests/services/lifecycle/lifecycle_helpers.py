"""Helpers for the data-life-cycle tests: screenings with bookings and versions, made fast through the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from screening import store
from tests.factories import db_connection, record

SYSTEM = store.AuditEvent(action="test_setup", actor_role="system")


def screening(db, *, full_name: str = "Jane Example", **overrides) -> int:
    return record(db, "toxin", full_name=full_name, **overrides)


def amend(db, first: int, **overrides) -> int:
    """A second version of `first`, linked as the intake links an amendment."""
    second = record(db, "toxin", **overrides)
    db.execute("UPDATE submission SET kind = 'amendment', previous_id = ? WHERE id = ?", [first, second])
    db.execute("UPDATE submission SET superseded_by = ?, review_state = 'superseded' WHERE id = ?", [second, first])
    return second


def book_at(db, submission_id: int, starts: datetime) -> int:
    """Publish a slot at `starts` and book it for this screening; returns the booking id."""
    start = store.iso(starts)[:19] + "Z"
    end = store.iso(starts + timedelta(minutes=30))[:19] + "Z"
    store.add_slots(db, [(start, end)], f"Dr {submission_id}", SYSTEM)
    slot_id = next(db.query("SELECT id FROM slot WHERE starts_at = ? ORDER BY id DESC", [start]))["id"]
    return store.book_slot(db, submission_id=submission_id, slot_id=slot_id, treatments=["toxin"], audit=SYSTEM)


def ids(path: Path, table: str, column: str = "id") -> list:
    with db_connection(path) as db:
        return [row[column] for row in db.query(f"SELECT {column} FROM {table} ORDER BY {column}")]  # noqa: S608
