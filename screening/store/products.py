"""The clinic's products and their batches, what a treatment given used (product, batch, amount per area), and the
patients treated from a batch (a recall)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from screening import clock
from screening.store.audit import AuditEvent, _with_object, append_audit
from screening.store.core import iso, write_transaction
from screening.store.outbox import Mail, queue_mail

_BATCH_COLUMNS = (
    "batch.id, batch.product_id, batch.lot_number, batch.expiry_date, batch.received_date, batch.created_at,"
    " product.brand, product.generic_name, product.kind, product.unit, product.max_per_session, product.active"
)


def products(db: Database, *, active_only: bool = False) -> list[dict[str, Any]]:
    """The clinic's products by brand (only those in use with active_only)."""
    where = " WHERE active = 1" if active_only else ""
    return list(db.query(f"SELECT * FROM product{where} ORDER BY brand COLLATE NOCASE, id"))  # noqa: S608 - fixed


def get_product(db: Database, product_id: int) -> dict[str, Any] | None:
    """One product, or None."""
    return next(db.query("SELECT * FROM product WHERE id = ?", [product_id]), None)


def product_by_brand(db: Database, brand: str) -> dict[str, Any] | None:
    """The product of this brand (compared without case), or None."""
    return next(db.query("SELECT * FROM product WHERE brand = ? COLLATE NOCASE", [brand.strip()]), None)


def batches(db: Database, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every batch with its product's brand, kind and unit: by brand, then the soonest expiry first."""
    where = " WHERE product.active = 1" if active_only else ""
    return list(
        db.query(
            f"SELECT {_BATCH_COLUMNS} FROM batch JOIN product ON product.id = batch.product_id{where}"  # noqa: S608
            " ORDER BY product.brand COLLATE NOCASE, batch.expiry_date, batch.id"
        )
    )


def get_batch(db: Database, batch_id: int) -> dict[str, Any] | None:
    """One batch with its product's brand, kind and unit, or None."""
    return next(
        db.query(
            f"SELECT {_BATCH_COLUMNS} FROM batch JOIN product ON product.id = batch.product_id"  # noqa: S608 - fixed
            " WHERE batch.id = ?",
            [batch_id],
        ),
        None,
    )


def batch_by_lot(db: Database, product_id: int, lot_number: str) -> dict[str, Any] | None:
    """The product's batch with this lot number (compared without case), or None."""
    return next(
        db.query(
            "SELECT * FROM batch WHERE product_id = ? AND lot_number = ? COLLATE NOCASE", [product_id, lot_number]
        ),
        None,
    )


def treatment_areas(db: Database, treatment_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The amount given per area, by treatment given, in the order written."""
    if not treatment_ids:
        return {}
    marks = ", ".join("?" * len(treatment_ids))
    found: dict[int, list[dict[str, Any]]] = {treatment_id: [] for treatment_id in treatment_ids}
    for row in db.query(
        f"SELECT * FROM treatment_area WHERE treatment_given_id IN ({marks}) ORDER BY id",  # noqa: S608
        list(treatment_ids),
    ):
        found[row["treatment_given_id"]].append(row)
    return found


def treatments_with_products(db: Database, submission_ids: list[int]) -> list[dict[str, Any]]:
    """The treatments given for these screenings, oldest first, each with its product and batch (None for one
    recorded before products were kept) and its areas."""
    if not submission_ids:
        return []
    marks = ", ".join("?" * len(submission_ids))
    given = list(
        db.query(
            "SELECT treatment_given.*, product.brand, product.generic_name, product.kind AS product_kind,"  # noqa: S608
            " product.unit, batch.lot_number, batch.expiry_date FROM treatment_given"
            " LEFT JOIN product ON product.id = treatment_given.product_id"
            " LEFT JOIN batch ON batch.id = treatment_given.batch_id"
            f" WHERE treatment_given.submission_id IN ({marks}) ORDER BY treatment_given.given_at, treatment_given.id",
            list(submission_ids),
        )
    )
    areas = treatment_areas(db, [row["id"] for row in given])
    return [{**row, "areas": areas[row["id"]]} for row in given]


def toxin_given_to_person(db: Database, email: str, date_of_birth: str, since: str) -> list[dict[str, Any]]:
    """The clinic's own record of toxin given to one person (same email and date of birth) at or after `since`
    (UTC, ISO 8601), newest first."""
    return list(
        db.query(
            "SELECT treatment_given.id, treatment_given.given_at, treatment_given.submission_id FROM treatment_given"
            " JOIN submission ON submission.id = treatment_given.submission_id"
            " WHERE treatment_given.treatment = 'toxin' AND treatment_given.given_at >= ?"
            " AND submission.email = ? COLLATE NOCASE AND json_extract(submission.answers, '$.date_of_birth') IS ?"
            " ORDER BY treatment_given.given_at DESC",
            [since, email.strip(), date_of_birth or None],
        )
    )


def given_of_product_to_person(db: Database, email: str, date_of_birth: str, product_id: int, since: str) -> float:
    """The total amount of one product the clinic's record shows given to one person (same email and date of birth)
    at or after `since` (UTC, ISO 8601), in the product's unit."""
    row = next(
        db.query(
            "SELECT coalesce(sum(treatment_area.amount), 0) AS total FROM treatment_area"
            " JOIN treatment_given ON treatment_given.id = treatment_area.treatment_given_id"
            " JOIN submission ON submission.id = treatment_given.submission_id"
            " WHERE treatment_given.product_id = ? AND treatment_given.given_at >= ?"
            " AND submission.email = ? COLLATE NOCASE AND json_extract(submission.answers, '$.date_of_birth') IS ?",
            [product_id, since, email.strip(), date_of_birth or None],
        )
    )
    return float(row["total"])


def treated_from_batch(db: Database, batch_id: int) -> list[dict[str, Any]]:
    """Every treatment given from this batch, with the patient it was given to (name, email, screening, whether the
    screening is restricted), oldest first."""
    return list(
        db.query(
            "SELECT treatment_given.id, treatment_given.submission_id, treatment_given.given_at,"
            " treatment_given.clinician_name, submission.full_name, submission.email, submission.submission_key,"
            " submission.restricted_at, submission.language"
            " FROM treatment_given JOIN submission ON submission.id = treatment_given.submission_id"
            " WHERE treatment_given.batch_id = ? ORDER BY treatment_given.given_at, treatment_given.id",
            [batch_id],
        )
    )


# --------------------------------------------------------------------------------------------------------------------
# Writes: each one change with its audit event, in one transaction.


def add_product(db: Database, values: dict[str, Any], audit: AuditEvent) -> int:
    """Add a product to the clinic's list; audited in the same transaction."""
    with write_transaction(db):
        product_id = db.execute(
            "INSERT INTO product (brand, generic_name, kind, unit, max_per_session, active, created_at)"
            " VALUES (:brand, :generic_name, :kind, :unit, :max_per_session, 1, :created_at)",
            {**values, "created_at": iso(clock.utc_now())},
        ).lastrowid
        append_audit(db, _with_object(audit, "product", product_id))
    return product_id


def set_product_active(db: Database, product_id: int, active: bool, audit: AuditEvent) -> bool:
    """Retire a product from the treatment form (active False) or put it back in use; audited in the same
    transaction. False, and nothing written, when it is in that state already."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE product SET active = ? WHERE id = ? AND active != ?", [int(active), product_id, int(active)]
        ).rowcount
        if changed:
            append_audit(db, _with_object(audit, "product", product_id))
    return bool(changed)


def add_batch(db: Database, values: dict[str, Any], audit: AuditEvent) -> int:
    """Add a batch of a product; audited in the same transaction."""
    with write_transaction(db):
        batch_id = db.execute(
            "INSERT INTO batch (product_id, lot_number, expiry_date, received_date, created_at)"
            " VALUES (:product_id, :lot_number, :expiry_date, :received_date, :created_at)",
            {**values, "created_at": iso(clock.utc_now())},
        ).lastrowid
        append_audit(db, _with_object(audit, "batch", batch_id))
    return batch_id


def insert_treatment_areas(db: Database, treatment_id: int, areas: list[dict[str, Any]]) -> None:
    """Write a treatment's amounts per area; joins the caller's transaction (the treatment's own)."""
    for area in areas:
        db.execute(
            "INSERT INTO treatment_area (treatment_given_id, area, amount, unit) VALUES (?, ?, ?, ?)",
            [treatment_id, area["area"], area["amount"], area["unit"]],
        )


def send_recall(db: Database, batch_id: int, mails: tuple[Mail, ...], audit: AuditEvent) -> None:
    """Queue a batch recall's messages with its audit event, in one transaction."""
    with write_transaction(db):
        queue_mail(db, mails)
        append_audit(db, _with_object(audit, "batch", batch_id))
