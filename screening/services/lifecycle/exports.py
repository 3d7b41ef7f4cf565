"""Clinician exports: screenings in a date range as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from sqlite_utils import Database

from screening import store
from screening.domain import Questionnaire
from screening.services.review import display_value

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"); a leading apostrophe
# makes it text. Tab and carriage return are included because some spreadsheets strip them and read what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIXED_COLUMNS = (
    "ref",
    "kind",
    "follows_ref",
    "sent_at_utc",
    "screening_date",
    "rules_version",
    "outcome",
    "outcome_toxin",
    "outcome_filler",
    "fired_rules",
    "review_state",
    "decision",
    "decided_at_utc",
    "appointment_utc",
    "appointment_status",
)


def neutralise(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _answer(question, value: Any) -> str:
    shown = display_value(question, value) if question.type != "date" else value  # dates stay ISO for sorting
    return "; ".join(shown) if isinstance(shown, list) else str(shown)


def screenings_csv(db: Database, questionnaire: Questionnaire, since: date, until: date) -> tuple[bytes, int]:
    """Screenings sent from `since` to `until` (inclusive, UTC dates), restricted ones left out: UTF-8 CSV with a
    byte-order mark (so Excel reads it as UTF-8), and the number of rows."""
    questions = list(questionnaire.questions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIXED_COLUMNS, *(q.id for q in questions)])
    count = 0
    for row in store.screenings_for_export(db, since, until):
        answers = json.loads(row["answers"])
        treatments = json.loads(row["treatments"])
        starts, _, status = (row["appointment"] or "").partition("|")
        fixed = [
            row["id"],
            row["kind"],
            row["previous_id"] or "",
            row["created_at"],
            row["screening_date"],
            row["ruleset_version"],
            row["outcome"],
            treatments.get("toxin", ""),
            treatments.get("filler", ""),
            row["rule_ids"] or "",
            row["review_state"],
            row["decision"] or "",
            row["decided_at"] or "",
            starts,
            {"booked": "booked", "patient": "cancelled by patient", "clinic": "cancelled by clinic"}.get(status, ""),
        ]
        cells = [_answer(q, answers[q.id]) if q.id in answers else "" for q in questions]
        writer.writerow([neutralise(value) for value in [*fixed, *cells]])
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count
