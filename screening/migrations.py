"""The schema, only ever changed by adding a numbered step. No step may drop or rewrite clinic data."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("screening")


def _run(db: Database, script: str) -> None:
    # executescript() would commit the migration's transaction half-way; run the statements one by one instead,
    # splitting only where SQLite itself sees a complete statement (a ';' in a comment or a string does not count).
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip(" \n;"):
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


@migrations(name="0001_drafts_and_submissions")
def m0001(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE draft (
            id TEXT PRIMARY KEY,                      -- sha256 of the draft token held in the patient's session
            answers TEXT NOT NULL DEFAULT '{}',       -- JSON, normalised answers to visible questions
            contact TEXT NOT NULL DEFAULT '{}',       -- JSON: full_name, email, phone
            submission_key TEXT NOT NULL UNIQUE,      -- one-time key: a retried submit stores one submission
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX draft_updated_at ON draft (updated_at);

        CREATE TABLE submission (
            id INTEGER PRIMARY KEY,
            submission_key TEXT NOT NULL UNIQUE,
            access_token_hash TEXT NOT NULL UNIQUE,   -- sha256 of the patient's private-link token
            created_at TEXT NOT NULL,                 -- UTC, ISO 8601
            screening_date TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            answers TEXT NOT NULL,                    -- JSON, normalised; hidden questions already dropped
            full_name TEXT NOT NULL,
            email TEXT NOT NULL,
            phone TEXT NOT NULL DEFAULT '',
            attested_name TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('clear', 'caution', 'review', 'defer', 'decline')),
            treatments TEXT NOT NULL,                 -- JSON {treatment: outcome}, requested treatments only
            messages TEXT NOT NULL,                   -- JSON list, as shown to the patient
            engine_errors TEXT NOT NULL DEFAULT '[]', -- JSON list of rule ids whose condition failed
            checksum TEXT NOT NULL                    -- sha256 over the clinical content, to detect tampering
        );
        CREATE INDEX submission_outcome_created ON submission (outcome, created_at);

        CREATE TABLE submission_rule (
            submission_id INTEGER NOT NULL REFERENCES submission (id),
            position INTEGER NOT NULL,                -- rule-file order
            rule_id TEXT NOT NULL,
            level TEXT NOT NULL,
            applies TEXT NOT NULL,
            patient_message TEXT NOT NULL,            -- as rendered for this patient
            rationale TEXT NOT NULL,                  -- as it stood in the rules when the screening ran
            sources TEXT NOT NULL,                    -- JSON [{key, title, urls}]
            trigger_questions TEXT NOT NULL,          -- JSON list of question ids the condition read
            PRIMARY KEY (submission_id, rule_id)
        )
        """,
    )
