"""Clinicians: accounts, sign-ins and sessions, second factors, password resets."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.errors import Conflict
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, token_hash, write_transaction
from screening.store.outbox import Mail, queue_mail


class DuplicateClinician(Conflict):
    """A clinician with that email exists already."""


def add_clinician(
    db: Database,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    audit: AuditEvent,
    must_change_password: bool = False,
) -> int:
    """A new account; `must_change_password` when someone else chose the password (its owner changes it first)."""
    try:
        with write_transaction(db):
            clinician_id = db.execute(
                "INSERT INTO clinician (email, name, role, password_hash, created_at, must_change_password)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    email.strip().lower(),
                    name.strip(),
                    role,
                    password_hash,
                    iso(clock.utc_now()),
                    int(must_change_password),
                ],
            ).lastrowid
            append_audit(db, _with_object(audit, "clinician", clinician_id))
    except sqlite3.IntegrityError as error:
        if "UNIQUE" in str(error):
            raise DuplicateClinician(email=email) from None
        raise
    return clinician_id


def add_invited_clinician(
    db: Database,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    token: str,
    lifetime: timedelta,
    audit: AuditEvent,
    mails: tuple[Mail, ...],
) -> int:
    """A new account whose owner chooses their password from an emailed one-time link (`token`'s hash stored, as a
    reset link's): the account, its link, its audit row and the email in one transaction. `password_hash` is of a
    password nobody knows."""
    now = clock.utc_now()
    try:
        with write_transaction(db):
            clinician_id = db.execute(
                "INSERT INTO clinician (email, name, role, password_hash, created_at, must_change_password)"
                " VALUES (?, ?, ?, ?, ?, 0)",
                [email.strip().lower(), name.strip(), role, password_hash, iso(now)],
            ).lastrowid
            db.execute(
                "INSERT INTO password_reset (id, clinician_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                [token_hash(token), clinician_id, iso(now), iso(now + lifetime)],
            )
            append_audit(db, _with_object(audit, "clinician", clinician_id))
            queue_mail(db, mails)
    except sqlite3.IntegrityError as error:
        if "UNIQUE" in str(error):
            raise DuplicateClinician(email=email) from None
        raise
    return clinician_id


def clinician_by_email(db: Database, email: str) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM clinician WHERE email = ?", [email.strip().lower()]), None)


def clinician_by_id(db: Database, clinician_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM clinician WHERE id = ?", [clinician_id]), None)


def any_clinician(db: Database) -> bool:
    """Whether any clinician account exists (enabled or not): none before the first admin is created."""
    return next(db.query("SELECT EXISTS (SELECT 1 FROM clinician) AS found"))["found"] == 1


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


def clinician_seeds(db: Database) -> list[dict[str, Any]]:
    """Every clinician's stored TOTP seeds (confirmed and being set up), as stored."""
    return list(
        db.query(
            "SELECT id, totp_secret, totp_pending FROM clinician"
            " WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL ORDER BY id"
        )
    )


def replace_totp_seeds(db: Database, clinician_id: int, secret: str | None, pending: str | None) -> None:
    db.execute("UPDATE clinician SET totp_secret = ?, totp_pending = ? WHERE id = ?", [secret, pending, clinician_id])


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


def reset_totp(db: Database, clinician_id: int, audit: AuditEvent) -> int:
    """Forget a clinician's second factor (a lost or replaced phone) and end every one of their sessions, so the
    next sign-in sets up a new code; returns how many sessions were ended."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute(
            "UPDATE clinician SET totp_secret = NULL, totp_pending = NULL, totp_required = 1 WHERE id = ?",
            [clinician_id],
        )
        ended = db.execute(
            "UPDATE clinician_session SET revoked_at = ? WHERE clinician_id = ? AND revoked_at IS NULL",
            [now, clinician_id],
        ).rowcount
        append_audit(db, _with_object(audit, "clinician", clinician_id))
    return ended


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
    """Set a new password (the account's own: no change is owed any more) and end every session of the account but
    `keep_session` (a session token); returns how many sessions ended."""
    now = iso(clock.utc_now())
    with write_transaction(db):
        db.execute(
            "UPDATE clinician SET password_hash = ?, must_change_password = 0 WHERE id = ?",
            [password_hash, clinician_id],
        )
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
        db.execute(
            "UPDATE clinician SET password_hash = ?, must_change_password = 0 WHERE id = ?",
            [password_hash, clinician_id],
        )
        db.execute(
            "UPDATE clinician_session SET revoked_at = ? WHERE clinician_id = ? AND revoked_at IS NULL",
            [now, clinician_id],
        )
        append_audit(db, _with_object(audit, "clinician", clinician_id))
    return clinician_id


def record_account_slowed(db: Database, clinician_id: int | None, audit: AuditEvent, mails: tuple[Mail, ...]) -> None:
    """The alert that sign-ins to an account are being slowed: its audit event and the admins' emails, together."""
    with write_transaction(db):
        append_audit(db, _with_object(audit, "clinician", clinician_id if clinician_id is not None else ""))
        queue_mail(db, mails)
