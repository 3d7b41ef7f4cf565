"""Retention: how long each class of data is kept, and the purge that deletes what is past its time.

The defaults and their reasons are in docs/retention.md. The purge runs from `screening purge` and, once a day, from a
thread in the server (started by init_app, like the mail sender). Each class is deleted in its own transactions, and
every batch deleted is audited with its counts, never with content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlite_utils import Database

from screening import clock, store
from screening.db import connect

log = logging.getLogger(__name__)
BATCH = 200  # screenings per transaction: keeps the write lock short while patients submit


@dataclass(frozen=True)
class Policy:
    drafts: timedelta = timedelta(hours=24)
    unbooked: timedelta = timedelta(days=365)
    consulted: timedelta = timedelta(days=round(8 * 365.25))
    sent_mail: timedelta = timedelta(days=365)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Policy:
        return cls(
            drafts=config["DRAFT_LIFETIME"],
            unbooked=timedelta(days=int(config["RETENTION_UNBOOKED_DAYS"])),
            consulted=timedelta(days=round(float(config["RETENTION_CONSULTED_YEARS"]) * 365.25)),
            sent_mail=timedelta(days=int(config["RETENTION_SENT_MAIL_DAYS"])),
        )


@dataclass
class ClassCount:
    key: str
    label: str
    count: int = 0  # screenings, drafts, messages or links past their time
    versions: int = 0  # for screenings: the rows (versions) they hold


@dataclass
class PurgeReport:
    dry_run: bool
    classes: list[ClassCount] = field(default_factory=list)
    audit_rows: int = 0

    def lines(self) -> list[str]:
        verb = "would delete" if self.dry_run else "deleted"
        out = []
        for item in self.classes:
            extra = f" ({item.versions} version(s))" if item.key.startswith("screenings") else ""
            out.append(f"{item.label}: {verb} {item.count}{extra}")
        out.append(f"audit trail: kept, {self.audit_rows} event(s) (never purged)")
        return out


def _expired_families(db: Database, policy: Policy, now: datetime) -> tuple[list, list]:
    unbooked, consulted = [], []
    for family in store.all_families(db, now):
        if family.upcoming_appointment is not None:
            continue  # an appointment still to come: the screening is in use
        if family.consulted:  # an appointment that took place, or a consultation record: the clinical record
            if family.kept_from < store.iso(now - policy.consulted):
                consulted.append(family)
        elif family.last_activity < store.iso(now - policy.unbooked):
            unbooked.append(family)
    return unbooked, consulted


def purge(db: Database, policy: Policy, *, dry_run: bool = False, actor: dict[str, Any] | None = None) -> PurgeReport:
    """Delete (or, with dry_run, count) everything past its retention time; returns the counts per class."""
    now = clock.utc_now()
    report = PurgeReport(dry_run)
    event = {"actor_role": "system", **(actor or {})}

    def audited(key: str, **counts: int) -> None:
        store.append_audit(db, store.AuditEvent(action="retention_purge", detail={"class": key, **counts}, **event))

    # Unfinished drafts: never submitted, so no clinical record is lost.
    drafts = ClassCount("drafts", f"unfinished drafts older than {_span(policy.drafts)}")
    cutoff = store.iso(now - policy.drafts)
    if dry_run:
        drafts.count = store.stale_drafts(db, cutoff, delete=False)
    else:
        with store.write_transaction(db):
            drafts.count = store.stale_drafts(db, cutoff, delete=True)
            if drafts.count:
                audited("drafts", deleted=drafts.count)
    report.classes.append(drafts)

    unbooked, consulted = _expired_families(db, policy, now)
    for key, label, families in (
        ("screenings_unbooked", f"screenings never booked, quiet for {_span(policy.unbooked)}", unbooked),
        (
            "screenings_consulted",
            f"screenings that led to an appointment, {_span(policy.consulted)} after it",
            consulted,
        ),
    ):
        item = ClassCount(key, label, len(families), sum(len(f.ids) for f in families))
        if not dry_run:
            for start in range(0, len(families), BATCH):
                batch = families[start : start + BATCH]
                with store.write_transaction(db):
                    versions = store.delete_submissions(db, [i for f in batch for i in f.ids])
                    audited(key, screenings=len(batch), versions=versions)
        report.classes.append(item)

    # Sent email: the body carries the patient's private link, so it goes once delivered; the row (address,
    # subject, when) stays as a record that we wrote, until it too is past its time.
    bodies = ClassCount("sent_mail_bodies", "bodies of sent email")
    records_old = ClassCount("sent_mail", f"records of email sent more than {_span(policy.sent_mail)} ago")
    mail_cutoff = store.iso(now - policy.sent_mail)
    if dry_run:
        bodies.count = store.sent_mail_bodies(db, clear=False)
        records_old.count = store.sent_mail_before(db, mail_cutoff, delete=False)
    else:
        with store.write_transaction(db):
            bodies.count = store.sent_mail_bodies(db, clear=True)
            records_old.count = store.sent_mail_before(db, mail_cutoff, delete=True)
            if bodies.count or records_old.count:
                audited("sent_mail", bodies_cleared=bodies.count, deleted=records_old.count)
    report.classes += [bodies, records_old]

    # One-time "start again" links, used or expired: they open nothing any more.
    links = ClassCount("return_links", "used or expired one-time links")
    if dry_run:
        links.count = store.spent_return_links(db, store.iso(now), delete=False)
    else:
        with store.write_transaction(db):
            links.count = store.spent_return_links(db, store.iso(now), delete=True)
            if links.count:
                audited("return_links", deleted=links.count)
    report.classes.append(links)

    report.audit_rows = store.count_rows(db, "audit_event")
    return report


def _span(delta: timedelta) -> str:
    if delta < timedelta(days=2):
        return f"{round(delta.total_seconds() / 3600)} hours"
    if delta >= timedelta(days=365):
        years = delta.days / 365.25
        return f"{round(years)} year(s)" if abs(years - round(years)) < 0.01 else f"{delta.days} days"
    return f"{delta.days} days"


# --------------------------------------------------------------------------------------------------------------------
# The daily purge in the server


def purge_round(app: Flask):
    """The daily purge's round for screening.jobs: purge what is past its time, and log the counts."""
    database, policy = app.config["DATABASE"], Policy.from_config(app.config)

    def round_of_work() -> None:
        db = connect(database)
        try:
            report = purge(db, policy)
        finally:
            db.close()
        log.info("retention purge: %s", "; ".join(report.lines()))  # counts only, never content

    return round_of_work
