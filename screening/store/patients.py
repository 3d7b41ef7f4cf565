"""Patients: who a screening is for, and finding a person's screenings."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def people_for(db: Database, submission_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Name, email, date of birth and areas asked for, by submission id (for lists that show who)."""
    if not submission_ids:
        return {}
    marks = ", ".join("?" * len(submission_ids))
    return {
        row["id"]: row
        for row in db.query(
            "SELECT id, full_name, email, restricted_at, json_extract(answers, '$.date_of_birth') AS date_of_birth,"  # noqa: S608 - placeholders only
            " json_extract(answers, '$.toxin_areas') AS toxin_areas,"
            " json_extract(answers, '$.filler_areas') AS filler_areas"
            f" FROM submission WHERE id IN ({marks})",
            list(submission_ids),
        )
    }


SEARCH_LIMIT = 50


def search_submissions(
    db: Database, *, name: str = "", email: str = "", date_of_birth: str = "", reference: int | None = None
) -> list[dict[str, Any]]:
    """Current screenings (latest versions) matching every criterion given, newest first, restricted ones left out.
    Name matches any part."""
    where, params = ["superseded_by IS NULL", "restricted_at IS NULL"], []
    if reference is not None:
        where.append("id = ?")
        params.append(reference)
    if name:
        for word in name.split():
            where.append("full_name LIKE ? ESCAPE '\\'")
            params.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if email:
        where.append("email = ? COLLATE NOCASE")
        params.append(email.strip())
    if date_of_birth:
        where.append("json_extract(answers, '$.date_of_birth') = ?")
        params.append(date_of_birth)
    return list(
        db.query(
            "SELECT id, created_at, full_name, email, outcome, treatments, review_state,"  # noqa: S608 - fixed text
            " json_extract(answers, '$.date_of_birth') AS date_of_birth FROM submission WHERE "
            + " AND ".join(where)
            + " ORDER BY id DESC LIMIT ?",
            [*params, SEARCH_LIMIT],
        )
    )


def submissions_of_person(db: Database, email: str, date_of_birth: str) -> list[dict[str, Any]]:
    """Every screening and version of one person (same email and date of birth), newest first; restricted ones
    left out."""
    return list(
        db.query(
            "SELECT id, created_at, full_name, email, outcome, treatments, review_state, kind, previous_id,"
            " superseded_by, json_extract(answers, '$.date_of_birth') AS date_of_birth FROM submission"
            " WHERE email = ? COLLATE NOCASE AND json_extract(answers, '$.date_of_birth') = ?"
            " AND restricted_at IS NULL ORDER BY id DESC",
            [email.strip(), date_of_birth],
        )
    )
