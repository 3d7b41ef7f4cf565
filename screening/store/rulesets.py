"""Rule sets: the archive of every version a server ran, and stored screenings read back for replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.domain.record_facts import SUPPLIED
from screening.domain.replay import StoredScreening
from screening.store.core import iso, write_transaction


def screenings_for_replay(
    db: Database, since: str | None = None, ids: tuple[int, int] | None = None
) -> Iterator[StoredScreening]:
    """Each stored submission's answers, screening date and outcomes, oldest first (optionally from a screening date,
    and within an inclusive range of ids, for replay in parallel). Restricted screenings are left out: kept for the
    record, used for nothing else. Where the clinic's own record supplied facts to the rules (record_facts), the
    answers replayed are those the rules read: the facts in place of the answers they overruled."""
    sql = (
        "SELECT id, answers, screening_date, outcome, treatments, record_facts FROM submission"
        " WHERE restricted_at IS NULL"
    )
    params: list[Any] = []
    if since is not None:
        sql += " AND screening_date >= ?"
        params.append(since)
    if ids is not None:
        sql += " AND id BETWEEN ? AND ?"
        params += list(ids)
    loads, from_iso = json.loads, date.fromisoformat
    treatments_seen: dict[str, dict[str, str]] = {}  # a handful of distinct values: parse each once
    for ref, answers, screening_date, outcome, treatments, facts in db.conn.execute(sql + " ORDER BY id", params):
        per_treatment = treatments_seen.get(treatments)
        if per_treatment is None:
            per_treatment = treatments_seen[treatments] = loads(treatments)
        judged = loads(answers)
        if facts:
            supplied = loads(facts)
            judged |= {key: supplied[key] for key in SUPPLIED}
        yield StoredScreening(ref, judged, from_iso(screening_date), outcome, per_treatment)


# --------------------------------------------------------------------------------------------------------------------
# Rule-set archive: the files behind each version a server ran, so old and current rules can be compared.


def archive_ruleset(db: Database, version: str, files: dict[str, str], overrides_text: str) -> bool:
    """Keep the rules files and overrides text of a version (once); return True when it was new."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT OR IGNORE INTO ruleset_archive (version, files, overrides, first_seen_at) VALUES (?, ?, ?, ?)",
            [version, json.dumps(files), overrides_text, iso(clock.utc_now())],
        )
    return cursor.rowcount == 1


def archived_ruleset(db: Database, version: str) -> dict[str, Any] | None:
    row = next(db.query("SELECT * FROM ruleset_archive WHERE version = ?", [version]), None)
    if row is not None:
        row["files"] = json.loads(row["files"])
    return row


def replay_id_range(db: Database, since: str | None = None) -> tuple[int, int, int]:
    """(smallest id, largest id, count) of the submissions a replay would read."""
    low, high, count = db.conn.execute(
        "SELECT min(id), max(id), count(*) FROM submission WHERE screening_date >= ? AND restricted_at IS NULL",
        [since or ""],
    ).fetchone()
    return low or 0, high or 0, count
