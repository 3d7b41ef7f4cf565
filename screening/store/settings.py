"""Clinic settings kept in the database (the admin's page); the instance settings are the fallback."""

from __future__ import annotations

from sqlite_utils import Database

from screening import clock
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction


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
