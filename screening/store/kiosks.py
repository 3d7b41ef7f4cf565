"""Reception tablets: devices turned into kiosks locked to the patient form, who turned each on, and how it ended."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, token_hash, write_transaction


def add_kiosk(db: Database, name: str, secret: str, clinician_id: int, audit: AuditEvent) -> int:
    """Register a kiosk (only the secret's hash is kept); returns its id."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO kiosk (name, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?)",
            [name, token_hash(secret), iso(clock.utc_now()), clinician_id],
        )
        kiosk_id = cursor.lastrowid
        append_audit(db, _with_object(audit, "kiosk", kiosk_id))
    return kiosk_id


def live_kiosk(db: Database, kiosk_id: int, secret: str) -> dict[str, Any] | None:
    """The kiosk this id and secret name, unless it has ended."""
    return next(
        db.query(
            "SELECT id, name, created_at, created_by FROM kiosk WHERE id = ? AND secret_hash = ? AND ended_at IS NULL",
            [kiosk_id, token_hash(secret)],
        ),
        None,
    )


def get_kiosk(db: Database, kiosk_id: int) -> dict[str, Any] | None:
    """One kiosk, ended or not, or None."""
    return next(db.query("SELECT id, name, created_at, created_by, ended_at FROM kiosk WHERE id = ?", [kiosk_id]), None)


def kiosks(db: Database) -> list[dict[str, Any]]:
    """Every kiosk, the newest first, with the names of who turned it on and who ended it."""
    return list(
        db.query(
            "SELECT kiosk.id, kiosk.name, kiosk.created_at, kiosk.ended_at, kiosk.ended_how,"
            " opener.name AS created_by_name, closer.name AS ended_by_name FROM kiosk"
            " JOIN clinician AS opener ON opener.id = kiosk.created_by"
            " LEFT JOIN clinician AS closer ON closer.id = kiosk.ended_by"
            " ORDER BY kiosk.ended_at IS NOT NULL, kiosk.id DESC"
        )
    )


def end_kiosk(db: Database, kiosk_id: int, clinician_id: int, how: str, audit: AuditEvent) -> bool:
    """End a kiosk (revoked by an admin, or turned off on the device); False when it had ended already."""
    with write_transaction(db):
        ended = db.execute(
            "UPDATE kiosk SET ended_at = ?, ended_by = ?, ended_how = ? WHERE id = ? AND ended_at IS NULL",
            [iso(clock.utc_now()), clinician_id, how, kiosk_id],
        ).rowcount
        if ended:
            append_audit(db, _with_object(audit, "kiosk", kiosk_id))
    return bool(ended)
