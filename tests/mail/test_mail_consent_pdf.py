"""The patient's signed consent reaches them as a PDF attached to an email with nothing clinical in its words; the
outbox names the consent and never holds a copy of the PDF."""

from __future__ import annotations

import hashlib

import pytest

from screening import mail, store
from tests.factories import consent_row, consult, db_connection, deliver, record, rows
from tests.mail.mail_helpers import assert_nothing_clinical, text_of

pytestmark = pytest.mark.mail_server  # the app sends to a real SMTP server on loopback (the smtp fixture)

DOCUMENT = b"%PDF-1.4\n% the signed consent\n%%EOF\n"


def test_the_signed_consent_is_attached_as_a_pdf_read_from_the_consent_when_sent(app, smtp, db_path):
    _, inbox = smtp
    with db_connection(db_path) as db:
        submission_id = record(db)
        consent_id = consent_row(db, submission_id, consult(db, submission_id), signed_at="2026-06-01T09:55:00Z")
        db.execute(
            "UPDATE consent SET pdf = ?, pdf_sha256 = ? WHERE id = ?",
            [DOCUMENT, hashlib.sha256(DOCUMENT).hexdigest(), consent_id],
        )
        with store.write_transaction(db):
            store.queue_mail(
                db,
                (
                    mail.consent_signed(
                        app.config, "jane@example.org", "LINK", submission_id=submission_id, consent_id=consent_id
                    ),
                ),
            )
    (queued,) = rows(db_path, "SELECT * FROM outbox WHERE kind = 'consent_signed'")
    assert queued["consent_id"] == consent_id and DOCUMENT.decode() not in str(queued)
    deliver(app)

    (message,) = [m for m in inbox.messages if m["Subject"].startswith("Your signed consent form")]
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"consent-{consent_id}.pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == hashlib.sha256(DOCUMENT).hexdigest()
    assert "attached as a PDF" in text_of(message)
    assert_nothing_clinical(app, message)
    (sent,) = rows(db_path, "SELECT body, sent_at FROM outbox WHERE kind = 'consent_signed'")
    assert sent["sent_at"] and sent["body"] == ""
