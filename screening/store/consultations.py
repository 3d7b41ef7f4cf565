"""The face-to-face consultation record."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction


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


def consultation_time(db: Database, consultation_id: int) -> str | None:
    """When a consultation was recorded (UTC), the moment the cooling-off may count from."""
    row = next(db.query("SELECT created_at FROM consultation WHERE id = ?", [consultation_id]), None)
    return row["created_at"] if row else None
