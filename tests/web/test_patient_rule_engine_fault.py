"""A rule whose patient message cannot be rendered, met through the real pages: the screening
is stored and goes to a clinician, never "clear" and never a 500; the fault is logged and audited with the rule's
id and no patient data."""

from __future__ import annotations

import json
import logging

from screening.domain import rules
from tests.factories import DETAILS, audit_rows, only_submission
from tests.journeys import submit_through_form
from tests.pages import page_text


def test_an_unrenderable_message_stores_the_screening_for_review_and_logs_and_audits_the_fault(
    app, db_path, monkeypatch, caplog
):
    render = rules.Message.render

    def failing(message, env):
        if "heart" in message.text.lower():
            raise KeyError("simulated placeholder that is missing")
        return render(message, env)

    monkeypatch.setattr(rules.Message, "render", failing)
    caplog.set_level(logging.WARNING)

    patient, submission_id = submit_through_form(app, heart_condition="yes")  # a caution, on its own

    stored = only_submission(db_path)
    assert stored["id"] == submission_id
    assert stored["outcome"] == "review" and stored["review_state"] == "pending"
    assert stored["engine_errors"] == ["toxin_heart_condition"]
    assert patient.get("/your-result").status_code == 200
    assert "A clinician will look at your answers" in page_text(patient.get("/your-result"))
    (event,) = audit_rows(db_path, "rule_engine_error")
    assert event["object_id"] == str(submission_id) and event["outcome"] == "failure"
    assert json.loads(event["detail"]) == {"rules": ["toxin_heart_condition"]}
    assert "toxin_heart_condition" in caplog.text
    for private in (DETAILS["full_name"], DETAILS["email"], DETAILS["phone"], "1990", "simulated placeholder"):
        assert private not in caplog.text
        assert private not in json.dumps(event)
