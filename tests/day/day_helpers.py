"""Helpers for the clinic's-day tests: a patient booked in soon, clinicians with a professional register, forms."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from screening import store
from screening.mail import links
from screening.settings import BY_NAME
from tests.booking.booking_helpers import book
from tests.factories import SECRET_KEY
from tests.review.review_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    db_connection,
    make_admin,
    make_clinician,
    rows,
    signed_in,
    submit_through_form,
)
from tests.web.web_helpers import DETAILS, csrf_token

PUBLIC_URL = BY_NAME["PUBLIC_URL"].default


def publish_soon(
    db_path: Path, count: int = 2, *, now: datetime, hours_ahead: int = 2, practitioner: str = "Ada"
) -> list[int]:
    """Slots starting a few hours after `now` (the test's `clock.now()`), on the hour, so they are in the diary's
    week."""
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_ahead)
    made = [
        (
            store.iso(start + timedelta(minutes=30 * n))[:19] + "Z",
            store.iso(start + timedelta(minutes=30 * n + 30))[:19] + "Z",
        )
        for n in range(count)
    ]
    with db_connection(db_path) as db:
        store.add_slots(db, made, practitioner, store.AuditEvent(action="slots_added", actor_role="system"))
    return [r["id"] for r in rows(db_path, "SELECT id FROM slot ORDER BY starts_at")][-count:]


def booked_patient(
    app,
    db_path,
    *,
    now: datetime,
    name: str = "Mary Seacole",
    email: str = "mary@example.org",
    treatment="toxin",
    slot: int | None = None,
    **answers,
):
    """A patient who screened through the real form and booked a slot (a new one a few hours after `now`, the test's
    `clock.now()`, unless `slot` is given); returns (browser, submission id, slot id)."""
    taken = rows(db_path, "SELECT count(*) AS n FROM slot")[0]["n"]
    slot = slot or publish_soon(db_path, 1, now=now, hours_ahead=2 + taken)[0]
    patient, submission_id = submit_through_form(
        app, treatment, details={**DETAILS, "full_name": name, "email": email}, **answers
    )
    if (
        rows(db_path, "SELECT review_state FROM submission WHERE id = ?", [submission_id])[0]["review_state"]
        == "pending"
    ):
        approve(db_path, submission_id)
    assert book(patient, slot).status_code == 303
    return patient, submission_id, slot


def approve(db_path, submission_id: int) -> None:
    """A clinician (Bo, made here if needed) approves every treatment sent for review."""
    found = rows(db_path, "SELECT id FROM clinician WHERE email = 'bo@clinic.example'")
    bo = found[0]["id"] if found else make_clinician(db_path, "bo@clinic.example", name="Bo")
    with db_connection(db_path) as db:
        treatments = [
            t for t, level in store.get_submission(db, submission_id)["treatments"].items() if level == "review"
        ]
        store.record_decision(
            db,
            submission_id,
            clinician_id=bo,
            action="approve",
            state="approved",
            treatments=tuple(treatments),
            defer_until=None,
            note="",
            audit=store.AuditEvent(action="decision_recorded", actor_role="clinician", actor_id=bo),
        )


def registered_clinician(app, db_path, email="ada@clinic.example", name="Ada", register="NMC", number="12A3456E"):
    """A clinician with a professional register on their profile, signed in."""
    clinician_id = make_clinician(db_path, email, name=name)
    with db_connection(db_path) as db:
        db.execute(
            "UPDATE clinician SET register = ?, register_number = ? WHERE id = ?", [register, number, clinician_id]
        )
    from tests.review.review_helpers import PASSWORD

    return signed_in(app, email, PASSWORD)


def admin(app, db_path):
    make_admin(db_path)
    return signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)


def post_form(client, path: str, data: dict, page_path: str | None = None):
    """Open a page (for its CSRF token) and POST the form to `path`."""
    page = client.get(page_path or path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def outbox(db_path, kind: str | None = None) -> list[dict]:
    """Queued messages with their bodies as they will be sent (the outbox keeps link references, not links: the
    sender renders them with the secret key at delivery)."""
    if kind:
        found = rows(db_path, "SELECT * FROM outbox WHERE kind = ? ORDER BY id", [kind])
    else:
        found = rows(db_path, "SELECT * FROM outbox ORDER BY id")
    for row in found:
        row["body"] = links.render(row["body"], secret_key=SECRET_KEY, public_url=PUBLIC_URL)
    return found
