"""The outbox: email written in the transaction of what it reports, claimed and marked by the sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.core import iso


@dataclass(frozen=True)
class Mail:
    kind: str
    to: str
    subject: str
    body: str
    submission_id: int | None = None  # the screening a patient's email is about; None for the clinic's and staff mail
    calendar: str = ""  # an .ics attachment (the booking confirmation's appointment): time and place, nothing clinical
    consent_id: int | None = None  # a signed consent whose PDF is attached, read from the consent when sent
    due: datetime | None = None  # not sent before this moment (the two-week check-in); None: at once


def queue_mail(db: Database, mails) -> None:
    """Add messages to the outbox, each due at once or at its `due` moment (the outbox's next_attempt_at, which the
    sender already waits for); joins the caller's transaction."""
    now = iso(clock.utc_now())
    for mail in mails:
        due = iso(mail.due) if mail.due is not None else now
        db.execute(
            "INSERT INTO outbox (kind, to_addr, subject, body, created_at, next_attempt_at, submission_id, calendar,"
            " consent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [mail.kind, mail.to, mail.subject, mail.body, now, due, mail.submission_id, mail.calendar, mail.consent_id],
        )


def claim_due_mail(db: Database, *, limit: int, hold: timedelta) -> list[dict[str, Any]]:
    """Messages due for sending, each claimed for `hold` so that a second sender leaves it alone; a message that
    attaches a signed consent comes with the consent's PDF (`consent_pdf`)."""
    now = clock.utc_now()
    claimed = []
    for row in list(
        db.query(
            "SELECT outbox.*, consent.pdf AS consent_pdf FROM outbox"
            " LEFT JOIN consent ON consent.id = outbox.consent_id"
            " WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY outbox.id LIMIT ?",
            [iso(now), iso(now), limit],
        )
    ):
        if db.execute(
            "UPDATE outbox SET claimed_until = ? WHERE id = ? AND sent_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until < ?)",
            [iso(now + hold), row["id"], iso(now)],
        ).rowcount:
            claimed.append(row)
    return claimed


def mail_sent(db: Database, mail_id: int) -> None:
    # The body (and any attachment) is blanked once sent: the outbox keeps who, what kind and when, not what was said.
    db.execute(
        "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, claimed_until = NULL, body = '', calendar = ''"
        " WHERE id = ?",
        [iso(clock.utc_now()), mail_id],
    )


def mail_failed(db: Database, mail_id: int, attempts: int, retry_in: timedelta, error: str) -> None:
    db.execute(
        "UPDATE outbox SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
        [attempts, iso(clock.utc_now() + retry_in), error, mail_id],
    )


def mail_unsendable(db: Database, mail_id: int, reason: str) -> None:
    """A message that cannot be built: marked failed with the reason and never claimed again (its body is kept, for
    whoever looks into it)."""
    db.execute(
        "UPDATE outbox SET failed_at = ?, attempts = attempts + 1, claimed_until = NULL, last_error = ? WHERE id = ?",
        [iso(clock.utc_now()), reason, mail_id],
    )


def withdraw_check_in(db: Database, treatment_given_id: int) -> int:
    """Withdraw the two-week check-in queued with this treatment given, while it is unsent: the outbox has no
    withdrawn or cancelled state (a message waits, is sent, or failed as unbuildable), so the unsent row is deleted.
    A check-in already sent, or given up as unbuildable, is left as it is. Joins the caller's transaction; returns
    how many were withdrawn (0 or 1).

    The check-in names its screening, not the treatment: it is the one queued in the treatment's own transaction,
    so the screening's check-in written at or after the treatment was given and before the screening's next treatment
    given (treatments recorded at the very same moment pair with their check-ins in the order written)."""
    given = next(
        db.query("SELECT submission_id, given_at FROM treatment_given WHERE id = ?", [treatment_given_id]), None
    )
    if given is None:
        return 0
    others = list(
        db.query("SELECT id, given_at FROM treatment_given WHERE submission_id = ?", [given["submission_id"]])
    )
    ahead = sum(1 for o in others if o["given_at"] == given["given_at"] and o["id"] < treatment_given_id)
    until = min((o["given_at"] for o in others if o["given_at"] > given["given_at"]), default=None)
    check_ins = [
        row
        for row in db.query(
            "SELECT id, created_at, sent_at, failed_at FROM outbox WHERE kind = 'check_in' AND submission_id = ?"
            " AND created_at >= ? ORDER BY id",
            [given["submission_id"], given["given_at"]],
        )
        if until is None or row["created_at"] < until
    ]
    if len(check_ins) <= ahead or check_ins[ahead]["sent_at"] or check_ins[ahead]["failed_at"]:
        return 0
    return db.execute("DELETE FROM outbox WHERE id = ? AND sent_at IS NULL", [check_ins[ahead]["id"]]).rowcount
