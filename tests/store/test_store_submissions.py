"""The store: schema migrations, connection settings, submissions in one transaction, tokens and drafts."""

from __future__ import annotations

import hashlib
import inspect
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from screening import store
from screening.db import connect, migrate
from screening.domain import load_ruleset
from screening.domain.rules import evaluate_screening
from screening.migrations import migrations
from tests.factories import SCREENING_DATE, baseline_answers

PROJECT_DIR = Path(__file__).resolve().parents[2]
RULESET = load_ruleset(PROJECT_DIR / "rules")
TABLES = {"draft", "submission", "submission_rule"}

# The baseline patient asking for toxin, who declares a breathing problem (review) and a heart condition (caution).
ANSWERS = baseline_answers("toxin", swallow_breath_problems="yes", heart_condition="yes")
CONTACT = {"full_name": "Jane Example", "email": "jane@example.org", "phone": "07700 900 982"}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "screening.sqlite3"
    migrate(path)
    return path


@pytest.fixture
def db(db_path: Path) -> Iterator:
    database = connect(db_path)
    try:
        yield database
    finally:
        database.close()


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as conn:
        yield conn


def schema(path: Path) -> list[tuple]:
    with raw(path) as conn:
        return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def evaluated(answers: dict = ANSWERS):
    normalised = RULESET.questionnaire.normalise(answers, SCREENING_DATE)
    return normalised, evaluate_screening(RULESET, normalised)


def record(db, *, key: str = "key-1", link: str = "token-1", answers: dict = ANSWERS, evaluation=None, draft_id=None):
    normalised, default_evaluation = evaluated(answers)
    return store.record_submission(
        db,
        store.NewSubmission(
            submission_key=key,
            access_token=link,
            answers=normalised,
            evaluation=evaluation or default_evaluation,
            contact=CONTACT,
            attested_name="Jane Example",
            ruleset_version=RULESET.version,
        ),
        draft_id=draft_id,
    )


# ====================================================================================================================
# Migrations


def test_migrate_applies_the_first_migration_on_a_new_database(tmp_path):
    path = tmp_path / "new" / "screening.sqlite3"

    applied = migrate(path)

    assert applied[0] == "0001_drafts_and_submissions"
    with raw(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= TABLES


def test_migrating_twice_changes_nothing_and_keeps_the_data(db_path, db):
    record(db)
    before = schema(db_path)

    applied = migrate(db_path)

    assert applied == []
    assert schema(db_path) == before
    assert store.count_rows(db, "submission") == 1
    assert store.count_rows(db, "submission_rule") == 2


def test_migration_names_are_append_only_and_numbered_in_order():
    names = [migration.name for migration in migrations._migrations]

    assert names[0] == "0001_drafts_and_submissions"
    assert len(names) == len(set(names))
    numbers = [int(name.split("_", 1)[0]) for name in names]
    # Strictly increasing from 1: branches worked on at once take numbers given out in advance, so a gap may stand
    # until the others are merged, but a step never goes before one already applied.
    assert numbers[0] == 1 and all(later > earlier for earlier, later in zip(numbers, numbers[1:], strict=False))


def test_no_migration_drops_or_empties_a_table():
    for migration in migrations._migrations:
        source = inspect.getsource(migration.fn).upper()
        for forbidden in ("DROP TABLE", "DROP COLUMN", "DELETE FROM", "TRUNCATE"):
            assert forbidden not in source, (migration.name, forbidden)


# ====================================================================================================================
# Connections


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("synchronous", 2),
        ("foreign_keys", 1),
        ("busy_timeout", 5000),
        ("secure_delete", 1),
        ("trusted_schema", 0),
    ],
)
def test_every_connection_has_the_settings_the_service_relies_on(db_path, pragma, expected):
    for _ in range(2):  # a second connection too: the settings are per connection, not remembered in the file
        database = connect(db_path)
        try:
            assert database.execute(f"PRAGMA {pragma}").fetchone()[0] == expected
        finally:
            database.close()


def test_foreign_keys_refuse_a_rule_row_without_its_submission(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO submission_rule (submission_id, position, rule_id, level, applies, patient_message, rationale,"
            " sources, trigger_questions) VALUES (999, 1, 'r', 'review', 'any', 'm', 'r', '[]', '[]')"
        )
    assert store.count_rows(db, "submission_rule") == 0


# ====================================================================================================================
# Submissions


def test_record_submission_stores_the_submission_with_its_fired_rules(db):
    normalised, evaluation = evaluated()

    submission_id = record(db, evaluation=evaluation)

    stored = store.get_submission(db, submission_id)
    assert stored["outcome"] == "review"
    assert stored["answers"] == normalised.values
    assert stored["treatments"] == {"toxin": "review"}
    assert stored["messages"] == list(evaluation.messages)
    assert stored["ruleset_version"] == RULESET.version
    assert stored["screening_date"] == "2025-03-10"
    assert (stored["full_name"], stored["email"], stored["phone"]) == tuple(CONTACT.values())
    assert [rule["rule_id"] for rule in stored["rules"]] == ["toxin_swallow_breathing", "toxin_heart_condition"]
    first = stored["rules"][0]
    assert first["level"] == "review"
    assert first["rationale"] == RULESET.rule("toxin_swallow_breathing").rationale
    assert first["trigger_questions"] == ["treatment_requested", "swallow_breath_problems"]
    assert {source["key"] for source in first["sources"]} == {
        source.key for source in RULESET.rule("toxin_swallow_breathing").sources
    }


def test_record_submission_forgets_its_draft_in_the_same_transaction(db):
    draft = store.create_draft(db, "draft-token", submission_key="key-1")

    record(db, draft_id=draft.id)

    assert store.count_rows(db, "draft") == 0
    assert store.count_rows(db, "submission") == 1


def test_a_failure_part_way_through_record_submission_stores_nothing(db):
    draft = store.create_draft(db, "draft-token", submission_key="key-1")
    _, evaluation = evaluated()
    first_rule = evaluation.fired[0]
    broken = replace(evaluation, fired=(first_rule, first_rule))  # the second rule row repeats the first's key

    with pytest.raises(sqlite3.IntegrityError):
        record(db, evaluation=broken, draft_id=draft.id)

    assert store.count_rows(db, "submission") == 0
    assert store.count_rows(db, "submission_rule") == 0
    assert store.count_rows(db, "draft") == 1
    assert not db.conn.in_transaction
    record(db, draft_id=draft.id)  # and the same key can still be used: nothing half-stored holds it
    assert store.count_rows(db, "submission") == 1


def test_a_reused_submission_key_raises_duplicate_and_leaves_the_first_row_unchanged(db):
    first_id = record(db, key="key-1", link="token-1")
    before = store.get_submission(db, first_id)
    calmer = {**ANSWERS, "swallow_breath_problems": "no", "heart_condition": "no"}

    with pytest.raises(store.DuplicateSubmission) as raised:
        record(db, key="key-1", link="token-2", answers=calmer)

    assert raised.value.submission_id == first_id
    assert store.get_submission(db, first_id) == before
    assert store.count_rows(db, "submission") == 1
    assert store.count_rows(db, "submission_rule") == 2
    assert store.submission_for_token(db, "token-2") is None


def test_submission_id_for_key_finds_only_a_used_key(db):
    submission_id = record(db, key="key-1")

    assert store.submission_id_for_key(db, "key-1") == submission_id
    assert store.submission_id_for_key(db, "key-2") is None


def test_checksum_covers_the_clinical_content(db):
    submission_id = record(db)
    stored = store.get_submission(db, submission_id)

    expected = store.checksum(
        stored["answers"], stored["outcome"], [rule["rule_id"] for rule in stored["rules"]], stored["ruleset_version"]
    )

    assert stored["checksum"] == expected
    assert store.checksum(stored["answers"], "clear", [], stored["ruleset_version"]) != expected


# ====================================================================================================================
# Tokens


def test_submission_for_token_finds_the_submission_by_its_token(db):
    submission_id = record(db, link="private-token-abcdefghij")

    found = store.submission_for_token(db, "private-token-abcdefghij")

    assert found is not None and found["id"] == submission_id
    assert store.submission_for_token(db, "private-token-abcdefghiJ") is None
    assert store.submission_for_token(db, "") is None


def test_tokens_are_stored_only_as_sha256_hashes(db_path, db):
    access_token, draft_token = "AccessTokenThatMustNotLeak1234", "DraftTokenThatMustNotLeak5678"
    store.create_draft(db, draft_token, submission_key="key-draft")
    record(db, key="key-1", link=access_token)

    with raw(db_path) as conn:
        hashes = conn.execute("SELECT access_token_hash FROM submission").fetchone()[0]
        draft_ids = [row[0] for row in conn.execute("SELECT id FROM draft")]
    assert hashes == store.token_hash(access_token) == hashlib.sha256(access_token.encode()).hexdigest()
    assert draft_ids == [store.token_hash(draft_token)]
    files = [path for path in db_path.parent.iterdir() if path.name.startswith(db_path.name)]
    assert files
    for path in files:  # the database and its WAL
        content = path.read_bytes()
        assert access_token.encode() not in content, path.name
        assert draft_token.encode() not in content, path.name


# ====================================================================================================================
# Drafts


def test_draft_answers_and_contact_are_saved_and_read_back(db):
    draft = store.create_draft(db, "draft-token", submission_key="key-1")

    store.save_draft_answers(db, draft, {"treatment_requested": "toxin"})
    store.save_draft_contact(db, draft, CONTACT)

    again = store.get_draft(db, "draft-token", timedelta(hours=24))
    assert again.answers == {"treatment_requested": "toxin"}
    assert again.contact == CONTACT
    assert again.submission_key == "key-1"
    assert store.get_draft(db, "other-token", timedelta(hours=24)) is None


def test_stale_drafts_are_purged_after_their_lifetime(db, clock):
    created = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    clock.set(created)
    store.create_draft(db, "old-token", submission_key="key-old")
    clock.set(created + timedelta(hours=23))
    store.create_draft(db, "recent-token", submission_key="key-recent")
    lifetime = timedelta(hours=24)
    clock.set(created + timedelta(hours=24, seconds=1))

    assert store.get_draft(db, "old-token", lifetime) is None  # stale: no longer offered, even before the purge
    purged = store.purge_stale_drafts(db, lifetime)

    assert purged == 1
    assert store.count_rows(db, "draft") == 1
    assert store.get_draft(db, "recent-token", lifetime) is not None


def test_saving_a_draft_keeps_it_alive(db, clock):
    created = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    clock.set(created)
    draft = store.create_draft(db, "draft-token", submission_key="key-1")
    clock.set(created + timedelta(hours=20))
    store.save_draft_answers(db, draft, {"treatment_requested": "toxin"})
    clock.set(created + timedelta(hours=30))

    assert store.purge_stale_drafts(db, timedelta(hours=24)) == 0
    assert store.get_draft(db, "draft-token", timedelta(hours=24)) is not None


def test_count_rows_accepts_only_the_known_tables(db):
    with pytest.raises(ValueError):
        store.count_rows(db, "sqlite_master")
