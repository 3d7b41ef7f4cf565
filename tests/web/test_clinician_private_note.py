"""A decision has two boxes, labelled for who reads them: the question the patient sees (asking for information only)
and a private note for the clinic. The private note never reaches the patient: not on the result page, not in their
copy of their data, not in the FHIR export that leaves for the clinic's records system."""

from __future__ import annotations

import json

from screening import store
from screening.services.lifecycle import fhir
from tests.factories import REVIEW_TOXIN, RULESET, db_connection, decision_rows, review_state
from tests.journeys import RESULT_PATH, decide, submit_through_form
from tests.pages import field_error, page_text, tree

QUESTION_LABEL = "Question for the patient (they will see this)"
PRIVATE_LABEL = "Private note for the clinic (the patient never sees it)"
QUESTION = "Which medicine do you take for MS?"
PRIVATE = "Spoke to her GP: relapse last spring, keep an eye on it"


def labels(page) -> dict[str, str]:
    return {node.attrs.get("for"): node.text() for node in tree(page).find_all("label")}


def shown_to_the_patient(patient, db_path, submission_id: int) -> str:
    """Everything the patient can read: the result page, their data copy, and the FHIR export of their screening."""
    copy = patient.get("/your-result/your-data.json")
    assert copy.status_code == 200
    with db_connection(db_path) as db:
        bundle = fhir.bundle(db, RULESET, submission_id, "https://clinic.example/fhir")
    return page_text(patient.get(RESULT_PATH)) + copy.get_data(as_text=True) + json.dumps(bundle)


def test_the_decision_form_has_a_question_box_and_a_private_note_box(app, auth):
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    page = auth.clinician().get(f"/clinician/submissions/{submission_id}")

    found = labels(page)

    assert found.get("question") == QUESTION_LABEL
    assert found.get("private_note") == PRIVATE_LABEL
    assert "note" not in found


def test_the_patient_sees_the_question_and_never_the_private_note(app, db_path, auth):
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    clinician = auth.clinician()

    asked = decide(clinician, submission_id, action="request_information", question=QUESTION, private_note=PRIVATE)

    assert asked.status_code == 303
    (row,) = decision_rows(db_path, submission_id)
    assert (row["note"], row["private_note"]) == (QUESTION, PRIVATE)
    seen = shown_to_the_patient(patient, db_path, submission_id)
    assert QUESTION in seen
    assert PRIVATE not in seen and "relapse last spring" not in seen
    clinic_page = page_text(clinician.get(f"/clinician/submissions/{submission_id}"))
    assert QUESTION in clinic_page and PRIVATE in clinic_page


def test_a_decline_reason_is_private(app, db_path, auth):
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)

    declined = decide(auth.clinician(), submission_id, action="decline", private_note=PRIVATE)

    assert declined.status_code == 303
    assert PRIVATE not in shown_to_the_patient(patient, db_path, submission_id)


def test_a_question_goes_only_with_asking_for_information(app, db_path, auth):
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)

    refused = decide(auth.clinician(), submission_id, action="decline", question=QUESTION, private_note=PRIVATE)

    assert refused.status_code == 400
    assert "only" in field_error(refused, "question").lower()
    assert decision_rows(db_path, submission_id) == [] and review_state(db_path, submission_id) == "pending"


def test_asking_needs_a_question_and_declining_needs_a_private_note(app, db_path, auth):
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    clinician = auth.clinician()

    no_question = decide(clinician, submission_id, action="request_information", private_note=PRIVATE)
    no_reason = decide(clinician, submission_id, action="decline")

    assert no_question.status_code == 400 and "question" in field_error(no_question, "question").lower()
    assert no_reason.status_code == 400 and "private note" in field_error(no_reason, "private_note").lower()
    assert decision_rows(db_path, submission_id) == []


def test_an_older_decisions_note_is_read_as_private_unless_it_was_a_question(app, db_path, auth):
    """Before the two boxes, a decline's or a defer's note was the clinic's reason; it stays in the clinic."""
    patient, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    clinician = auth.clinician()
    with db_connection(db_path) as db:
        clinician_id = db.execute("SELECT id FROM clinician").fetchone()[0]
        store.record_decision(
            db,
            submission_id,
            clinician_id=clinician_id,
            action="decline",
            state="declined",
            treatments=(),
            defer_until=None,
            note=PRIVATE,  # as a decision stored before the private note had its own column
            audit=store.AuditEvent(action="decision_recorded", actor_role="clinician", actor_id=clinician_id),
        )

    assert PRIVATE not in shown_to_the_patient(patient, db_path, submission_id)
    shown = page_text(clinician.get(f"/clinician/submissions/{submission_id}"))
    assert PRIVATE in shown and "Integrity check failed" not in shown
