"""docs/data-inventory.md names every question and every stored column (check 42): a new field fails here until it
is documented, and a documented one that is gone fails too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.db import migrate
from tests.factories import RULESET, db_connection

INVENTORY = Path(__file__).resolve().parents[1] / "docs" / "data-inventory.md"
QUESTION_ROW = re.compile(r"^\| `([a-z_]+)` \| (\d+) \| (\w+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")
COLUMN_ROW = re.compile(r"^\| `([a-z_]+)\.([a-z0-9_]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")
CONTACT_ROW = re.compile(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")


def section(title: str) -> list[str]:
    text = INVENTORY.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None].splitlines()


def question_rows() -> dict[str, re.Match]:
    return {m.group(1): m for line in section("The questionnaire") if (m := QUESTION_ROW.match(line))}


def test_every_question_has_a_row_and_every_row_is_a_question():
    rows = question_rows()
    assert list(rows) == [q.id for q in RULESET.questionnaire.questions]


@pytest.mark.parametrize("question", RULESET.questionnaire.questions, ids=lambda q: q.id)
def test_each_question_row_says_why_and_names_exactly_the_rules_that_read_it(question):
    row = question_rows()[question.id]
    assert int(row.group(2)) == question.number and row.group(3) == question.type
    assert len(row.group(4).strip()) > 20, "say why the question is asked"
    documented = re.findall(r"`([a-z0-9_]+)`", row.group(5))
    reading = [rule.id for rule in RULESET.rules if question.id in rule.trigger_questions]
    assert sorted(documented) == sorted(reading)
    if not reading:
        assert row.group(5).strip() == "none"
    assert row.group(6).strip()


def test_contact_fields_have_rows():
    rows = {m.group(1) for line in section("Contact details") if (m := CONTACT_ROW.match(line))}
    assert rows == {"full_name", "email", "phone", "attested_name"}


def test_every_stored_column_of_the_migrated_schema_has_a_row_and_no_row_is_stale(tmp_path):
    database = tmp_path / "schema.sqlite3"
    migrate(database)
    with db_connection(database) as db:
        live = {
            (table, column.name)
            for table in db.table_names()
            if not table.startswith("sqlite_")
            for column in db[table].columns
        }
        submission_columns = {column.name for column in db["submission"].columns}
    documented = {(m.group(1), m.group(2)) for line in section("Every stored column") if (m := COLUMN_ROW.match(line))}
    assert sorted(live - documented) == [], "columns with no entry in docs/data-inventory.md"
    assert sorted(documented - live) == [], "entries for columns that no longer exist"
    # Check 42: no address or browser fingerprint beside the answers.
    assert not {"ip", "remote_addr", "user_agent", "ip_address"} & submission_columns
