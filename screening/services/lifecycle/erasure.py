"""Erasure of a patient's data (UK GDPR Art. 17), and restriction where the clinic must keep it (Art. 17(3), 18).

A patient is found by email and date of birth together. Their screenings are taken with every version linked to
them (see store.Family). A screening that led to an appointment, or that has a consultation record, is part of the
clinical record, kept for its retention period (docs/retention.md): it is not erased but can be restricted instead
(kept, shown in no list). What the Records page and `screening erase` say of each screening is `retained_reason`,
and erasure takes exactly the screenings it gives no reason for.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from screening import clock, store
from screening.errors import Conflict

log = logging.getLogger(__name__)

RETAINED_REASON = (
    "it led to an appointment on {when}, so it is part of the clinical record and is kept for {years} years after"
    " it (docs/retention.md); it can be restricted instead"
)
CONSULTED_REASON = (
    "a consultation was recorded for it on {when}: the screening and the consultation record are the clinical record"
    " of that consultation and are kept for {years} years after it (docs/retention.md); it can be restricted instead"
)


def retained_reason(family: store.Family, consulted_years: float) -> str:
    """Why the clinic must keep this family (the words the Records page and `screening erase` show), or "" when
    erasure may take it. Erasure takes exactly the families this gives no reason for."""
    if not family.consulted:
        return ""
    years = f"{consulted_years:g}"
    if family.last_consultation is not None and family.last_consultation == family.kept_from:
        return CONSULTED_REASON.format(when=family.last_consultation[:10], years=years)
    return RETAINED_REASON.format(when=family.kept_from[:10], years=years)


class ErasureInputError(ValueError):
    """The email or date of birth is malformed, or matches nobody; the message says which."""


class ErasureRefused(Conflict):
    """The database refused the erasure (a row still refers to a screening): nothing was erased."""

    message = (
        "Nothing was erased: a record still refers to one of these screenings, which erasure does not know how to"
        " remove. The incident is logged; tell whoever runs the service (docs/operations.md)."
    )


@dataclass(frozen=True)
class ScreeningFound:
    family: store.Family
    created_at: str  # first version sent
    outcome: str  # latest version's outcome
    restricted: bool
    retained_reason: str  # empty when it may be erased


@dataclass
class Plan:
    email: str
    date_of_birth: str
    screenings: list[ScreeningFound]
    drafts: int
    messages: int
    bookings: list[dict[str, Any]] = field(default_factory=list)  # of the screenings erasure takes, cancelled too

    @property
    def upcoming_bookings(self) -> list[dict[str, Any]]:
        """Appointments still to come that erasure would cancel (their times are freed)."""
        now = clock.now_iso()
        return [b for b in self.bookings if not b["cancelled_at"] and b["starts_at"] > now]

    @property
    def fingerprint(self) -> str:
        """What erasure would take, as the confirmation page showed it: a different one means the plan changed."""
        ids = ",".join(str(i) for screening in self.erasable for i in screening.family.ids)
        return f"{ids};drafts={self.drafts};messages={self.messages};bookings={len(self.bookings)}"

    @property
    def erasable(self) -> list[ScreeningFound]:
        return [s for s in self.screenings if not s.retained_reason]

    @property
    def retained(self) -> list[ScreeningFound]:
        return [s for s in self.screenings if s.retained_reason]


@dataclass
class Result:
    erased_submissions: list[int] = field(default_factory=list)
    drafts: int = 0
    messages: int = 0
    restricted_submissions: list[int] = field(default_factory=list)
    files: int = 0


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_input(email: str, date_of_birth: str) -> tuple[str, str]:
    """The email and date of birth of an erasure request, checked, or ErasureInputError."""
    email = (email or "").strip().lower()
    if not EMAIL.fullmatch(email):
        raise ErasureInputError(f"'{email}' is not an email address")
    try:
        born = date.fromisoformat((date_of_birth or "").strip())
    except ValueError:
        raise ErasureInputError(f"'{date_of_birth}' is not a date written YYYY-MM-DD") from None
    return email, born.isoformat()


def plan(db: Database, email: str, date_of_birth: str, *, consulted_years: float = 8) -> Plan:
    """What erasure would do for this patient. Raises ErasureInputError naming what does not match."""
    email, date_of_birth = check_input(email, date_of_birth)
    with_email = store.submission_ids_with_email(db, email)
    drafts = _draft_ids(db, email, date_of_birth)
    if not with_email and not _draft_ids(db, email):
        raise ErasureInputError(f"no screening or unfinished questionnaire has the email {email}")
    matching = store.submission_ids_with_email(db, email, date_of_birth)
    if (with_email and not matching) or (not with_email and not drafts):
        held = "screenings" if with_email else "unfinished questionnaires"
        raise ErasureInputError(
            f"{held} with the email {email} exist, but none with the date of birth {date_of_birth}; nothing changed"
        )
    now = clock.utc_now()
    found = []
    for family in store.families_of(db, matching, now):
        first = store.get_submission(db, family.ids[0])
        latest = store.get_submission(db, family.ids[-1])
        reason = retained_reason(family, consulted_years)
        found.append(ScreeningFound(family, first["created_at"], latest["outcome"], family.restricted, reason))
    erasable_ids = [i for screening in found if not screening.retained_reason for i in screening.family.ids]
    messages = store.patient_mail_count(db, erasable_ids, email)
    bookings = [booking for i in erasable_ids for booking in store.bookings_with_slots(db, i)]
    return Plan(email, date_of_birth, found, len(drafts), messages, bookings)


def _draft_ids(db: Database, email: str, date_of_birth: str | None = None) -> list[str]:
    """Unfinished questionnaires with this email (and this date of birth, when given: both must match)."""
    return store.draft_ids_with_email(db, email, date_of_birth)


def erase(db: Database, patient: Plan, audit: store.AuditEvent, *, outbox_dir: Path | None = None) -> Result:
    """Erase what the plan allows, in one transaction; each erased submission leaves "erased submission N" in the
    audit trail, with no content. Then checkpoint the WAL, so no old copy of a page survives in the -wal file."""
    result = Result()
    try:
        _erase_rows(db, patient, audit, result)
    except sqlite3.IntegrityError as refused:
        # store.SUBMISSION_REFERENCES misses a table (its test should have said so): the transaction is rolled back
        # whole. The log names the database's reason and the ids, never the patient.
        planned = [i for screening in patient.erasable for i in screening.family.ids]
        log.error("erasure refused by the database (%s) for submissions %s", refused, planned)
        raise ErasureRefused() from None
    if outbox_dir is not None:
        result.files = erase_outbox_files(outbox_dir, patient.email)
    checkpoint(db)
    return result


def _erase_rows(db: Database, patient: Plan, audit: store.AuditEvent, result: Result) -> None:
    with store.write_transaction(db):
        erasing = [i for screening in patient.erasable for i in screening.family.ids]
        result.messages = store.delete_patient_mail(db, erasing, patient.email)
        for screening in patient.erasable:
            store.delete_submissions(db, screening.family.ids)
            result.erased_submissions.extend(screening.family.ids)
        drafts = _draft_ids(db, patient.email, patient.date_of_birth)
        for draft_id in drafts:
            store.delete_draft(db, draft_id)
        result.drafts = len(drafts)
        for submission_id in result.erased_submissions:
            store.append_audit(db, _event(audit, "submission_erased", "submission", submission_id))
        store.append_audit(
            db,
            _event(
                audit,
                "patient_erased",
                "patient",
                "",
                detail={
                    "submissions": len(result.erased_submissions),
                    "drafts": result.drafts,
                    "messages": result.messages,
                    "retained": len(patient.retained),
                },
            ),
        )


def restrict(db: Database, patient: Plan, audit: store.AuditEvent) -> list[int]:
    """Mark the retained screenings restricted: kept for the record, shown in no list, used for nothing else."""
    now = clock.now_iso()
    marked: list[int] = []
    with store.write_transaction(db):
        for screening in patient.retained:
            for submission_id in screening.family.ids:
                if store.restrict_submission(db, submission_id, now):
                    marked.append(submission_id)
                    store.append_audit(db, _event(audit, "submission_restricted", "submission", submission_id))
    return marked


def checkpoint(db: Database) -> None:
    """Empty the -wal file into the database file, so no old copy of an erased page survives there."""
    store.checkpoint(db)


def erase_outbox_files(outbox_dir: Path, email: str) -> int:
    """Messages written to instance/outbox/ (no mail server configured) that were addressed to this patient."""
    removed = 0
    if not outbox_dir.is_dir():
        return 0
    for path in outbox_dir.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=default_policy)
        if str(message.get("To", "")).strip().lower() == email:
            path.unlink()
            removed += 1
    return removed


def _event(
    audit: store.AuditEvent, action: str, object_type: str, object_id: Any, detail: dict | None = None
) -> store.AuditEvent:
    return store.AuditEvent(
        **{
            **audit.__dict__,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "detail": {**(audit.detail or {}), **(detail or {})},
        }
    )
