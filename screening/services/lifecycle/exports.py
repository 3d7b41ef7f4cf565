"""Clinician exports: screenings in a date range as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from screening import clock, store
from screening.domain import Questionnaire
from screening.domain.consent import consent_state
from screening.services.review import display_value

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"); a leading apostrophe
# makes it text. Tab and carriage return are included because some spreadsheets strip them and read what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UTC_ZONE = ZoneInfo("UTC")
# Each fixed column: its code (the second header row, what a script reads) and its heading in words (the first row,
# what the clinic reads). Times are the clinic's, as ISO 8601 with their offset, so they sort and say which moment.
FIXED_COLUMNS = (
    ("ref", "Reference"),
    ("kind", "Kind"),
    ("follows_ref", "Follows reference"),
    ("sent_at", "Sent ({zone})"),
    ("screening_date", "Screening date"),
    ("rules_version", "Rules version"),
    ("outcome", "Outcome"),
    ("outcome_toxin", "Outcome: anti-wrinkle injections"),
    ("outcome_filler", "Outcome: dermal filler"),
    ("fired_rules", "Rules that fired"),
    ("review_state", "Review state"),
    ("decision", "Latest decision"),
    ("decided_at", "Decided ({zone})"),
    ("appointment_at", "Appointment ({zone})"),
    ("appointment_status", "Appointment status"),
    ("consent", "Consent to treatment"),
)


def neutralise(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _answer(question, value: Any) -> str:
    shown = display_value(question, value) if question.type != "date" else value  # dates stay ISO for sorting
    return "; ".join(shown) if isinstance(shown, list) else str(shown)


def _when(text: str | None, tz: ZoneInfo) -> str:
    return clock.local_iso(text, tz) if text else ""


def consent_cell(consents: list[dict[str, Any]], tz: ZoneInfo) -> str:
    """Each treatment's newest consent: "toxin: signed 2026-06-01T10:55:00+01:00; filler: awaiting signature"."""
    newest: dict[str, dict[str, Any]] = {}
    for consent in consents:  # newest first
        newest.setdefault(consent["treatment"], consent)
    parts = []
    for treatment in sorted(newest):
        consent = newest[treatment]
        state = consent_state(consent)
        when = {"signed": consent["signed_at"], "withdrawn": consent["withdrawn_at"]}.get(state)
        parts.append(f"{treatment}: {state.replace('_', ' ')}" + (f" {_when(when, tz)}" if when else ""))
    return "; ".join(parts)


def screenings_csv(
    db: Database, questionnaire: Questionnaire, since: date, until: date, tz: ZoneInfo = UTC_ZONE
) -> tuple[bytes, int]:
    """Screenings sent from `since` to `until` (inclusive, UTC dates), restricted ones left out: UTF-8 CSV with a
    byte-order mark (so Excel reads it as UTF-8), and the number of rows. Two header rows: the columns in words,
    then their codes (a question's id); times in the clinic's zone `tz`."""
    questions = list(questionnaire.questions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    headings = [words.format(zone=tz.key) for _, words in FIXED_COLUMNS] + [q.text for q in questions]
    writer.writerow([neutralise(words) for words in headings])
    writer.writerow([code for code, _ in FIXED_COLUMNS] + [q.id for q in questions])
    count = 0
    for row in store.screenings_for_export(db, since, until):
        answers = json.loads(row["answers"])
        treatments = json.loads(row["treatments"])
        starts, _, status = (row["appointment"] or "").partition("|")
        fixed = [
            row["id"],
            row["kind"],
            row["previous_id"] or "",
            _when(row["created_at"], tz),
            row["screening_date"],
            row["ruleset_version"],
            row["outcome"],
            treatments.get("toxin", ""),
            treatments.get("filler", ""),
            row["rule_ids"] or "",
            row["review_state"],
            row["decision"] or "",
            _when(row["decided_at"], tz),
            _when(starts, tz),
            {"booked": "booked", "patient": "cancelled by patient", "clinic": "cancelled by clinic"}.get(status, ""),
            consent_cell(store.consents_for(db, [row["id"]]), tz),
        ]
        cells = [_answer(q, answers[q.id]) if q.id in answers else "" for q in questions]
        writer.writerow([neutralise(value) for value in [*fixed, *cells]])
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count
