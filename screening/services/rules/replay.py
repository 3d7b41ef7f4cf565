"""Replay over the database: stored screenings judged again with another rule set, in parallel processes when there
are many (each reads its own range of ids on its own connection); nothing is written.

Worker processes are forked, so they inherit the rule set as it is (compiled conditions cannot be pickled, and need
not be); each returns only counts and submission ids.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from screening import store
from screening.db import connect
from screening.domain import RuleSet
from screening.domain.replay import ReplayReport, replay

PARALLEL_FROM = 20_000  # below this, starting processes costs more than it saves
_ruleset_for_workers: RuleSet | None = None


def replay_database(
    database: str | Path, ruleset: RuleSet, since: str | None = None, *, workers: int | None = None
) -> ReplayReport:
    """Judge every stored submission (from `since`, a screening date) again with `ruleset`; count the flips."""
    db = connect(database)
    try:
        low, high, count = store.replay_id_range(db, since)
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if count >= PARALLEL_FROM else 1
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return replay(ruleset, store.screenings_for_replay(db, since))
    finally:
        db.close()
    step = (high - low) // workers + 1
    ranges = [(low + n * step, min(high, low + (n + 1) * step - 1)) for n in range(workers)]
    global _ruleset_for_workers
    _ruleset_for_workers = ruleset
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_replay_range, [(str(database), since, ids) for ids in ranges])
    finally:
        _ruleset_for_workers = None
    return merge(ruleset.version, parts)


def _replay_range(database: str, since: str | None, ids: tuple[int, int]) -> ReplayReport:
    db = connect(database)
    try:
        return replay(_ruleset_for_workers, store.screenings_for_replay(db, since, ids))
    finally:
        db.close()


def merge(version: str, parts: list[ReplayReport]) -> ReplayReport:
    """One report from reports over consecutive id ranges (refs stay in id order)."""
    merged = ReplayReport(version)
    for part in parts:
        merged.judged += part.judged
        merged.unreadable += part.unreadable
        for key, refs in part.transitions.items():
            merged.transitions.setdefault(key, []).extend(refs)
        for key, refs in part.treatment_transitions.items():
            merged.treatment_transitions.setdefault(key, []).extend(refs)
    return merged
