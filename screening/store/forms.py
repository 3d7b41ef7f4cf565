"""Forms sent with problems (post/redirect/get): kept on the server, never in the cookie."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlite_utils import Database

from screening import clock
from screening.store.core import iso, token_hash
from screening.store.drafts import draft_durability


def _row_id(reference: str, page: str) -> str:
    # One kept form per page of a browser's session: a form kept in one tab is not replaced or forgotten by a form
    # sent in another tab of the same browser (which shares the session, and so the reference).
    return token_hash(f"{reference}\n{page}")


def save_form_state(db: Database, reference: str, page: str, sent: list[tuple[str, str]], max_age: timedelta) -> None:
    """Keep what was sent to `page` for the GET that shows the problems; forget old ones on the way."""
    now = clock.utc_now()
    with draft_durability(db):
        db.execute("DELETE FROM form_state WHERE created_at < ?", [iso(now - max_age)])
        db.execute(
            "INSERT OR REPLACE INTO form_state (id, page, sent, created_at) VALUES (?, ?, ?, ?)",
            [_row_id(reference, page), page, json.dumps(sent), iso(now)],
        )


def form_state(db: Database, reference: str, page: str, max_age: timedelta) -> list[tuple[str, str]] | None:
    row = next(
        db.query(
            "SELECT sent FROM form_state WHERE id = ? AND page = ? AND created_at >= ?",
            [_row_id(reference, page), page, iso(clock.utc_now() - max_age)],
        ),
        None,
    )
    return None if row is None else [tuple(pair) for pair in json.loads(row["sent"])]


def forget_form_state(db: Database, reference: str, *pages: str) -> None:
    """Forget what was kept for these pages (a form accepted, a questionnaire over); what other pages keep stays."""
    ids = [_row_id(reference, page) for page in pages]
    if not ids:
        return
    with draft_durability(db):
        db.execute(f"DELETE FROM form_state WHERE id IN ({', '.join('?' * len(ids))})", ids)  # noqa: S608 - ours
