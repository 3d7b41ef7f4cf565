"""The clinic's products and batches on the admin's page: added and audited, bad input shown on its field with
nothing stored; a batch recall finds exactly the patients treated from that batch and emails each one once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from screening import store
from tests.factories import (
    audit_rows,
    batch_row,
    db_connection,
    outbox,
    product_row,
    quick_submission,
    rows,
    treated_row,
)
from tests.pages import page_text, post_form

PRODUCTS = "/clinician/admin/products"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

BRAND_X = {"brand": "Brand X", "generic_name": "botulinum toxin type A", "kind": "toxin", "unit": "units"}


def test_an_admin_adds_a_product_and_a_batch_and_each_is_audited(auth, db_path, clock):
    clock.set(NOW)
    grace = auth.admin()

    added = post_form(grace, PRODUCTS, {**BRAND_X, "max_per_session": "50"})
    assert added.status_code == 303
    (product,) = rows(db_path, "SELECT * FROM product")
    assert (product["brand"], product["kind"], product["unit"], product["max_per_session"], product["active"]) == (
        "Brand X",
        "toxin",
        "units",
        50.0,
        1,
    )
    batch = {
        "batch-product_id": str(product["id"]),
        "batch-lot_number": "AB123",
        "batch-expiry_date": "2027-06-30",
        "batch-received_date": "2026-11-02",
    }
    assert post_form(grace, f"{PRODUCTS}/batches", batch, PRODUCTS).status_code == 303
    (stored,) = rows(db_path, "SELECT * FROM batch")
    assert (stored["product_id"], stored["lot_number"], stored["expiry_date"], stored["received_date"]) == (
        product["id"],
        "AB123",
        "2027-06-30",
        "2026-11-02",
    )
    (product_event,) = audit_rows(db_path, "product_added")
    (batch_event,) = audit_rows(db_path, "batch_added")
    assert (product_event["object_type"], product_event["object_id"]) == ("product", str(product["id"]))
    assert (batch_event["object_type"], batch_event["object_id"]) == ("batch", str(stored["id"]))
    page = page_text(grace.get(PRODUCTS))
    assert "Brand X" in page and "AB123" in page and "50 units" in page


def test_bad_product_input_is_shown_on_its_field_and_nothing_is_stored(auth, db_path, clock):
    clock.set(NOW)
    grace = auth.admin()
    post_form(grace, PRODUCTS, BRAND_X)

    for fields, message in [
        ({**BRAND_X, "brand": ""}, "Enter the product's brand name"),
        ({**BRAND_X, "brand": "Brand W", "max_per_session": "lots"}, "Enter the maximum as a number"),
        ({**BRAND_X, "brand": "Brand W", "kind": "cream"}, "Not a valid choice"),
        ({**BRAND_X, "brand": "brand x"}, "There is a product called brand x on the list already"),
    ]:
        refused = post_form(grace, PRODUCTS, fields)
        assert refused.status_code == 400, fields
        assert message in page_text(refused), fields
    assert len(rows(db_path, "SELECT * FROM product")) == 1
    assert len(audit_rows(db_path, "product_added")) == 1


def test_bad_batch_input_is_shown_on_its_field_and_nothing_is_stored(auth, db_path, clock):
    clock.set(NOW)
    grace = auth.admin()
    with db_connection(db_path) as db:
        product_id = product_row(db)
        batch_row(db, product_id, "AB123")
    good = {
        "batch-product_id": str(product_id),
        "batch-lot_number": "CD456",
        "batch-expiry_date": "2027-06-30",
        "batch-received_date": "2026-11-02",
    }
    for fields, message in [
        ({"batch-product_id": "999"}, "Choose the product"),
        ({"batch-lot_number": " "}, "Enter the batch (lot) number"),
        ({"batch-expiry_date": "2026-10-01"}, "The expiry date is before the date it was received"),
        ({"batch-expiry_date": "31 June"}, "Not a valid date value"),
        ({"batch-lot_number": "ab123"}, "Brand X has a batch ab123 already"),
    ]:
        refused = post_form(grace, f"{PRODUCTS}/batches", {**good, **fields}, PRODUCTS)
        assert refused.status_code == 400, fields
        assert message in page_text(refused), fields
    assert len(rows(db_path, "SELECT * FROM batch")) == 1
    assert audit_rows(db_path, "batch_added") == []


def test_a_clinician_who_is_not_an_admin_cannot_open_the_products_page(auth, clock):
    clock.set(NOW)
    assert auth.clinician().get(PRODUCTS).status_code == 403


def patient(db_path, name: str, email: str) -> int:
    return quick_submission(db_path, "toxin", full_name=name, contact={"email": email})


def test_a_recall_finds_exactly_the_patients_treated_from_the_batch_and_emails_each_once(auth, db_path, clock):
    clock.set(NOW)
    ann, bea, cat, dan = (
        patient(db_path, "Ann Able", "ann@example.org"),
        patient(db_path, "Bea Best", "bea@example.org"),
        patient(db_path, "Cat Cole", "cat@example.org"),
        patient(db_path, "Dan Dale", "dan@example.org"),
    )
    ann_again = patient(db_path, "Ann Able", "ANN@example.org")  # Ann's later screening: one patient
    with db_connection(db_path) as db:
        brand_x, brand_y = product_row(db, "Brand X"), product_row(db, "Brand Y")
        recalled, other, other_product = (
            batch_row(db, brand_x, "X-1"),
            batch_row(db, brand_x, "X-2"),
            batch_row(db, brand_y, "X-1"),
        )
        for submission_id, batch_id, product_id, when in [
            (ann, recalled, brand_x, "2026-09-01T10:00:00Z"),
            (ann_again, recalled, brand_x, "2026-11-20T10:00:00Z"),
            (bea, recalled, brand_x, "2026-10-02T10:00:00Z"),
            (cat, other, brand_x, "2026-10-03T10:00:00Z"),
            (dan, other_product, brand_y, "2026-10-04T10:00:00Z"),
        ]:
            treated_row(db, submission_id, given_at=when, product_id=product_id, batch_id=batch_id)
        store.save_clinic_settings(
            db,
            {"phone": "020 7946 0000", "email": "desk@clinic.example"},
            None,
            store.AuditEvent(action="clinic_settings_changed", actor_role="system"),
        )
    grace = auth.admin()
    page_url = f"/clinician/admin/batches/{recalled}/recall"

    page = page_text(grace.get(page_url))
    assert "Ann Able" in page and "Bea Best" in page
    assert "Cat Cole" not in page and "Dan Dale" not in page
    assert "3 treatment(s) given from this batch, to 2 patient(s)" in page

    sent = post_form(grace, page_url, {})
    assert sent.status_code == 303
    messages = outbox(db_path, "batch_recall")
    assert sorted(m["to_addr"].lower() for m in messages) == ["ann@example.org", "bea@example.org"]
    for message in messages:
        assert "a product used in your treatment" in message["body"]
        assert "phone 020 7946 0000 or email desk@clinic.example" in message["body"]  # the clinic's contact
        assert "Brand X" not in message["body"] and "X-1" not in message["body"]
        assert "Brand X" not in message["subject"]
    (event,) = audit_rows(db_path, "batch_recall_sent")
    assert json.loads(event["detail"]) == {"batch": recalled, "count": 2}
    assert (event["object_type"], event["object_id"]) == ("batch", str(recalled))
    assert "Ann" not in event["detail"] and "Bea" not in event["detail"]


def test_a_recall_of_a_batch_nobody_was_treated_from_sends_nothing(auth, db_path, clock):
    clock.set(NOW)
    with db_connection(db_path) as db:
        batch_id = batch_row(db, product_row(db))
    grace = auth.admin()
    page_url = f"/clinician/admin/batches/{batch_id}/recall"

    assert "Nobody was treated from this batch." in page_text(grace.get(page_url))
    post_form(grace, page_url, {})
    assert outbox(db_path, "batch_recall") == [] and audit_rows(db_path, "batch_recall_sent") == []
    assert grace.get("/clinician/admin/batches/999/recall").status_code == 404
