"""A batch recall's message reaches each patient kindly, with the clinic's contact and their private page, and with
nothing clinical beyond "a product used in your treatment": no product, batch, area or rule word."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from screening import store
from screening.services import products
from tests.factories import batch_row, db_connection, deliver, product_row, record, treated_row
from tests.mail.mail_helpers import assert_nothing_clinical, text_of

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)


def test_the_recall_message_is_kind_names_the_clinics_contact_and_nothing_clinical(app, smtp, db_path, clock):
    _, inbox = smtp
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    with db_connection(db_path) as db:
        submission_id = record(db)
        brand = product_row(db, "Azzurro Toxin", generic_name="clostridium neurotoxin")
        batch_id = batch_row(db, brand, "QX-4411")
        treated_row(db, submission_id, given_at="2026-11-02T10:00:00Z", batch_id=batch_id, areas=(("Frown lines", 20),))
        store.save_clinic_settings(
            db, {"phone": "020 7946 0000"}, None, store.AuditEvent(action="clinic_settings_changed", actor_role="s")
        )
        assert products.send_recall(db, app.config, store.SYSTEM, batch_id) == 1
    deliver(app)

    (message,) = [m for m in inbox.messages if m["Subject"].startswith("Please get in touch")]
    text = text_of(message)
    assert message["To"] == "jane@example.org"
    assert "your treatment with us on 2 November 2026" in text
    assert "a product used in your treatment" in text
    assert "phone 020 7946 0000 or email desk@clinic.example" in text
    assert "https://screening.clinic.example/r/" in text  # the private page, rendered at delivery
    for clinical in ("Azzurro", "clostridium", "QX-4411", "Frown", "toxin", "units"):
        assert clinical.lower() not in (message["Subject"] + text).lower(), clinical
    assert_nothing_clinical(app, message)
