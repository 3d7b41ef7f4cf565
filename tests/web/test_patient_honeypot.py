"""The honeypot on the patient's declaration: a field no person sees or reaches, which a bot
that fills every field fills; then the answers are quietly not stored, the sender is told they were received, and
a `honeypot` event without patient data is audited."""

from __future__ import annotations

from tests.factories import DETAILS, FULL_NAME, answers_by_step, audit_rows, count_rows
from tests.journeys import CHECK_PATH, declaration, walk
from tests.pages import page_text, tree

TRAP = "website"


def at_the_check_page(app):
    patient = app.test_client()
    page = walk(patient, answers_by_step("toxin"), stop_at=CHECK_PATH)
    assert page.status_code == 200
    return patient, page


def test_the_trap_is_hidden_from_sight_from_the_keyboard_and_from_screen_readers(app):
    _, page = at_the_check_page(app)
    document = tree(page)
    (field,) = document.find_all("input", name=TRAP)
    assert field.attrs.get("tabindex") == "-1" and field.attrs.get("autocomplete") == "off"
    assert field.attrs.get("type") == "text" and not field.attrs.get("value")
    (label,) = document.find_all("label", **{"for": field.attrs["id"]})  # labelled: axe's "label" rule holds
    assert label.text()
    (hidden,) = [node for node in document.iter() if field in node.iter() and node.attrs.get("aria-hidden") == "true"]
    assert "honeypot" in hidden.classes  # off-screen (screening.css), not display:none, so bots still see it
    (form,) = [node for node in document.find_all("form") if field in node.iter()]
    assert form.find_all("input", name="signature")  # on the form that sends the answers


def test_a_filled_trap_stores_nothing_answers_as_if_received_and_audits_without_patient_data(app, db_path):
    patient, page = at_the_check_page(app)
    events_before = len(audit_rows(db_path))

    sent = patient.post(CHECK_PATH, data={**declaration(patient, FULL_NAME, page=page), TRAP: "https://spam.example"})

    assert sent.status_code == 200
    assert "received" in page_text(sent).lower()
    assert count_rows(db_path, "submission") == 0
    assert count_rows(db_path, "draft") == 0  # what the bot typed is not kept either
    assert count_rows(db_path, "outbox") == 0
    (event,) = audit_rows(db_path, "honeypot")
    assert event["actor_role"] == "patient" and event["outcome"] == "failure"
    recorded = " ".join(str(value) for value in event.values())
    for private in (FULL_NAME, DETAILS["email"], DETAILS["phone"], "spam.example", "1990"):
        assert private not in recorded
    assert len(audit_rows(db_path)) == events_before + 1
    assert patient.get("/your-result").status_code == 404  # no result to see: nothing was stored


def test_an_empty_trap_sends_the_answers_as_before(app, db_path):
    patient, page = at_the_check_page(app)
    sent = patient.post(CHECK_PATH, data={**declaration(patient, FULL_NAME, page=page), TRAP: ""})
    assert sent.status_code == 303
    assert count_rows(db_path, "submission") == 1
    assert audit_rows(db_path, "honeypot") == []
