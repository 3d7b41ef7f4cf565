"""Recalls: one reminder per treatment given, when its refresh is due and the patient agreed to reminders at booking,
with a one-time link that starts a new screening pre-filled from their last one, so that every course begins with a
fresh screening (and the clinician sees what changed). Consent to reminders is given on the booking confirmation
page, withdrawn from the private page or by the signed one-click link in the reminder itself.

When a refresh is due: toxin from 12 weeks after the treatment given and never before the 90-day interval rule
allows it (so at max(12 weeks, 90 days + 1 day) after the clinic's date of the treatment); filler after the clinic's
setting in months (9 unless changed). A round writes one recall row per treatment that has come due, whatever it
found (sent, no consent, treated again since, restricted), in the transaction that queues its email, so a treatment
is recalled at most once however many rounds or servers run."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlite_utils import Database

from screening import clock, mail, store
from screening.db import thread_db
from screening.domain.dates import add_months
from screening.domain.decisions import same_person
from screening.errors import N_, NotFound
from screening.mail import links
from screening.services import clinic
from screening.services.intake import clinic_today, clinic_zone

log = logging.getLogger(__name__)

TOXIN_REFRESH = timedelta(weeks=12)
TOXIN_INTERVAL = timedelta(days=90 + 1)  # the 90-day rule lets a screening through from day 90; one day's margin
RECALL_LINK_DAYS = 30  # how long the reminder's link to start again works


def due_on(treatment: str, given_on: date, filler_months: int) -> date:
    """The clinic's date a treatment given on `given_on` is due for a refresh."""
    if treatment == "toxin":
        return given_on + max(TOXIN_REFRESH, TOXIN_INTERVAL)
    return add_months(given_on, filler_months)


def send_due(db: Database, config: dict[str, Any]) -> int:
    """Write the recall of every treatment given that has come due (and queue its reminder where the patient agreed
    and nothing since makes it moot); returns how many reminders were queued."""
    config = clinic.effective_config(db, config)
    tz, today = clinic_zone(config), clinic_today(config)
    months = clinic.details(db, config).filler_recall_months
    queued = 0
    pending = store.treatments_not_recalled(db)
    for given in pending:
        given_on = clock.local(given["given_at"], tz).date()
        due = due_on(given["treatment"], given_on, months)
        if due > today:
            continue
        outcome = _outcome(db, given)
        if outcome != "sent":
            store.record_recall(db, given, due_on=due.isoformat(), outcome=outcome)
            continue
        latest = store.latest_submission_for(db, given["email"], given["date_of_birth"]) or given["submission_id"]
        nonce = links.new_return_nonce()
        if store.record_recall(
            db,
            given,
            due_on=due.isoformat(),
            outcome="sent",
            audit=store.AuditEvent(
                action="recall_sent",
                actor_role="system",
                object_type="treatment_given",
                object_id=str(given["id"]),
                detail={"treatment": given["treatment"]},
            ),
            return_link=(
                links.return_token(config["SECRET_KEY"], nonce),
                latest,
                timedelta(days=RECALL_LINK_DAYS),
            ),
            mails=(
                mail.recall(
                    config,
                    given["email"],
                    nonce,
                    submission_id=latest,
                    treatment=given["treatment"],
                    valid_days=RECALL_LINK_DAYS,
                    language=mail.language_of(given),
                ),
            ),
        ):
            queued += 1
    if queued:
        mail.nudge(config)
    return queued


def _outcome(db: Database, given: dict[str, Any]) -> str:
    """Whether this treatment's reminder goes: 'sent', or why not."""
    if given["restricted_at"]:
        return "restricted"
    if not given["reminders_at"]:
        return "no_consent"
    for other in store.treatments_given_with_people(db, given["treatment"]):  # newest first
        if other["given_at"] <= given["given_at"]:
            break
        if other["submission_id"] == given["submission_id"] or same_person(
            other, email=given["email"], date_of_birth=given["date_of_birth"], phone=given["phone"]
        ):
            return "treated_again"  # that later treatment has a recall of its own
    return "sent"


def recall_round(app: Flask):
    """The recall job's round for screening.jobs: write the recalls that have come due, and log how many."""
    database = app.config["DATABASE"]
    config = app.config

    def round_of_work() -> None:
        with app.app_context():  # the reminder is written in each patient's language (Flask-Babel needs the app)
            sent = send_due(thread_db(database), config)
        if sent:
            log.info("recalls: %d reminder(s) queued", sent)  # a count, never who

    return round_of_work


# --------------------------------------------------------------------------------------------------------------------
# Consent to reminders


def withdraw(db: Database, actor: store.Actor, submission: dict[str, Any]) -> None:
    """Stop reminders: consent withdrawn on this screening and on every other with the same email (audited)."""
    ids = sorted({submission["id"], *store.submission_ids_with_reminders(db, submission["email"])})
    store.set_reminders(
        db,
        ids,
        False,
        actor.event("reminders_withdrawn", role="patient", object_type="submission", object_id=submission["id"]),
    )


class StopLinkUnknown(NotFound):
    message = N_("This link to stop reminders is not one we sent.")


def submission_for_stop_link(db: Database, config: dict[str, Any], token: str) -> dict[str, Any]:
    """The screening a signed stop link names; StopLinkUnknown (a 404) when the link is not one this clinic signed
    or its screening is gone."""
    submission_id = links.stop_reminders_submission(config["SECRET_KEY"], token) if len(token) <= 64 else None
    found = store.get_submission(db, submission_id) if submission_id is not None else None
    if found is None:
        raise StopLinkUnknown()
    return found
