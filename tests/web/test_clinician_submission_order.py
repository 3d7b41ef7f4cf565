"""The submission page reads top to bottom as a clinician decides: why it was flagged and the patient's reply to the
clinic's question come before the decision form, so on a phone nobody decides before reading the reasons."""

from __future__ import annotations

from tests.factories import FULL_NAME, REVIEW_TOXIN
from tests.journeys import CHECK_PATH, decide, declaration, submit_through_form, token_of

QUESTION = "Which medicine do you take for MS, and when was your last relapse?"
REPLY = "Ocrelizumab; no relapse for four years."


def test_reasons_and_the_patients_reply_come_before_the_decision_form(app, auth, db_path):
    patient, first = submit_through_form(app, **REVIEW_TOXIN)
    admin = auth.admin()
    assert decide(admin, first, action="request_information", question=QUESTION).status_code == 303
    assert patient.post("/your-result/answer", data={"csrf_token": token_of(patient)}).status_code == 303
    sent = patient.post(CHECK_PATH, data={**declaration(patient, FULL_NAME), "reply": REPLY})
    assert sent.status_code == 303
    amended = first + 1

    html = admin.get(f"/clinician/submissions/{amended}").get_data(as_text=True)

    reply, reasons = html.index(REPLY), html.index("Why it was flagged")
    decision = html.index(f'action="/clinician/submissions/{amended}/decision"')
    assert reply < decision and reasons < decision
    assert html.index("Your decision") > reasons
