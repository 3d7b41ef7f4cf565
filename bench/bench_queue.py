"""Time the clinician queue on a database of a million submissions: first page, a deep page, filters, counts.

Usage: .venv/bin/python bench/bench_queue.py [--rows 1000000] [--db PATH]

Builds (once, then reuses) a database with the real schema and synthetic submissions (no patient data), then times
store.queue() the way the queue page calls it. Keyset pagination should make page 20,000 cost what page 1 costs;
OFFSET is timed beside it for contrast.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from screening import store
from screening.db import connect, migrate

OUTCOMES = [("review", 2, 0.30), ("caution", 3, 0.35), ("clear", 4, 0.25), ("defer", 1, 0.07), ("decline", 0, 0.03)]
STATES = ["pending", "approved", "declined", "deferred", "information_requested"]


def build(path: Path, rows: int) -> None:
    migrate(path)
    db = connect(path)
    if store.count_rows(db, "submission") >= rows:
        db.close()
        return
    rng = random.Random(7)
    weights = [w for _, _, w in OUTCOMES]
    start = time.perf_counter()
    batch = []
    db.conn.execute("BEGIN")
    for n in range(rows):
        outcome, rank, _ = rng.choices(OUTCOMES, weights)[0]
        state = (rng.choice(STATES) if rng.random() < 0.8 else "pending") if outcome == "review" else "none"
        day, second = divmod(n, 1000)
        clock = f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{n % 1000000:06d}"
        created = f"2025-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{clock}Z"
        treatment = rng.choice(["toxin", "filler", "both"])
        batch.append(
            (
                f"k{n}",
                f"t{n}",
                created,
                "2025-01-01",
                "bench",
                "{}",
                "Bench Patient",
                "b@example.org",
                "Bench Patient",
                outcome,
                "{}",
                "[]",
                "x",
                state,
                rank,
                treatment,
            )
        )
        if len(batch) == 50_000 or n == rows - 1:  # the last, partial batch too
            db.conn.executemany(
                "INSERT INTO submission (submission_key, access_token_hash, created_at, screening_date,"
                " ruleset_version, answers, full_name, email, attested_name, outcome, treatments, messages, checksum,"
                " review_state, queue_rank, requested) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch.clear()
    db.conn.execute("COMMIT")
    db.conn.execute("ANALYZE")
    print(f"built {rows:,} submissions in {time.perf_counter() - start:.1f} s")
    db.close()


def timed(function, repeat: int = 15) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    default_db = Path(tempfile.gettempdir()) / "screening-bench-queue.sqlite3"
    parser.add_argument("--db", type=Path, default=default_db, help="kept between runs (default: %(default)s)")
    parser.add_argument("--tiny", action="store_true", help="a few seconds' run the test suite makes")
    args = parser.parse_args()
    if args.tiny:
        args.rows = 2_000
        args.db = Path(tempfile.mkdtemp(prefix="bench-queue-")) / "queue.sqlite3"
    build(args.db, args.rows)
    db = connect(args.db)
    pending = store.state_counts(db).get("pending", 0)
    print(f"{store.count_rows(db, 'submission'):,} submissions, {pending:,} pending review")

    first, cursor = store.queue(db)
    deep_cursor = cursor
    pages = 1
    # Walk to a deep page through real cursors (every 500th page sampled to keep the set-up short).
    position = next(
        db.query(
            "SELECT queue_rank, created_at, id FROM submission WHERE outcome = 'review' AND review_state = 'pending'"
            " ORDER BY queue_rank, created_at, id LIMIT 1 OFFSET ?",
            [pending // 2],
        )
    )
    deep_cursor = store.encode_cursor(position)
    pages = pending // 2 // store.QUEUE_PAGE_SIZE
    results = {
        "first page (default: review, pending)": timed(lambda: store.queue(db)),
        f"page ~{pages:,} by keyset cursor": timed(lambda: store.queue(db, after=deep_cursor)),
        f"page ~{pages:,} by OFFSET, for contrast": timed(
            lambda: list(
                db.query(
                    "SELECT id FROM submission WHERE outcome = 'review' AND review_state = 'pending'"
                    " ORDER BY queue_rank, created_at, id LIMIT 25 OFFSET ?",
                    [pending // 2],
                )
            ),
            repeat=5,
        ),
        "filtered: filler, a one-month window": timed(
            lambda: store.queue(db, treatment="filler", since="2025-03-01", until="2025-04-01")
        ),
        "caution view, first page": timed(lambda: store.queue(db, outcomes=("caution",), states=())),
        "counts per state (review)": timed(lambda: store.state_counts(db), repeat=5),
    }
    for name, ms in results.items():
        print(f"{name}: median {ms:.2f} ms")
    db.close()


if __name__ == "__main__":
    main()
