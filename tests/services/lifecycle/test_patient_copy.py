"""The patient's copy (check 45): everything held about them, as JSON and as a page; audited; only their own."""

from __future__ import annotations

import json

from tests.factories import DETAILS, REVIEW_TOXIN, audit_rows, publish
from tests.journeys import CHECK_PATH, book, decide, declaration, offered, submit_through_form, token_of
from tests.pages import elements, page_text

OTHER = {"full_name": "Olive Other", "email": "olive@example.org", "phone": "07700 900 111"}
QUESTION = "Which medicine do you take for MS?"
REPLY = "Ocrelizumab, every six months."


def full_story(app, db_path, clock, auth):
    """A review patient is asked a question, replies, is approved and books; another patient screens too."""
    patient, first = submit_through_form(app, **REVIEW_TOXIN)
    admin = auth.admin()
    assert decide(admin, first, action="request_information", question=QUESTION).status_code == 303
    patient.post("/your-result/answer", data={"csrf_token": token_of(patient)})
    sent = patient.post(CHECK_PATH, data={**declaration(patient, DETAILS["full_name"]), "reply": REPLY})
    assert sent.status_code == 303
    second = first + 1
    assert (
        decide(admin, second, action="approve", treatments=["toxin"], private_note="Fine to go ahead.").status_code
        == 303
    )
    publish(db_path, 2, now=clock.now())
    assert book(patient, offered(patient)[0]).status_code == 303
    other, other_id = submit_through_form(app, details=OTHER)
    return patient, other, first, second, other_id


def test_the_json_copy_holds_everything_about_the_patient_and_nothing_else(app, db_path, clock, auth):
    patient, other, first, second, other_id = full_story(app, db_path, clock, auth)
    response = patient.get("/your-result/your-data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert [s["reference"] for s in data["screenings"]] == [first, second]
    original, amended = data["screenings"]
    assert original["your_details"]["full_name"] == DETAILS["full_name"]
    by_id = {a["question_id"]: a for a in original["answers"]}
    assert by_id["neuro_conditions"]["question"].startswith("Do you have")
    assert by_id["current_medicines"]["answer"] == "Combined contraceptive pill"
    assert by_id["treatment_requested"]["answer"].startswith("Anti-wrinkle injections")
    assert original["outcome"] == "review" and original["reasons"]
    assert original["clinic_decisions"][0]["question_from_the_clinic"] == QUESTION
    assert amended["your_reply_to_the_clinic"] == REPLY
    assert amended["clinic_decisions"][0]["decision"] == "approved"
    assert len(amended["appointments"]) == 1 and amended["appointments"][0]["practitioner"] == "Dr Ada"
    subjects = [e["subject"] for e in data["emails_sent_to_you"]]
    assert any("Your appointment" in s for s in subjects)
    assert {e["to"] for e in data["emails_sent_to_you"]} == {DETAILS["email"]}
    text = json.dumps(data)
    assert OTHER["full_name"] not in text and OTHER["email"] not in text and "review_needed" not in text
    (event,) = audit_rows(db_path, "patient_copy_downloaded")
    assert event["object_id"] == str(second) and json.loads(event["detail"]) == {"format": "json", "screenings": 2}
    # The other patient's copy is theirs alone.
    theirs = json.loads(other.get("/your-result/your-data.json").get_data(as_text=True))
    assert [s["reference"] for s in theirs["screenings"]] == [other_id]
    assert DETAILS["email"] not in json.dumps(theirs)


def test_the_readable_page_is_linked_from_the_result_page(app, db_path, clock, auth):
    patient, *_ = full_story(app, db_path, clock, auth)
    result = patient.get("/your-result")
    assert {a["href"] for a in elements(result, "a")} >= {"/your-result/your-data", "/your-result/your-data.json"}
    page = patient.get("/your-result/your-data")
    assert page.status_code == 200
    text = page_text(page)
    assert "Everything we hold about you" in text
    assert QUESTION in text and REPLY in text and "Combined contraceptive pill" in text
    assert "a clinician approved" in text
    assert [json.loads(r["detail"])["format"] for r in audit_rows(db_path, "patient_copy_downloaded")] == ["html"]


def test_without_the_private_link_there_is_no_copy(app, db_path):
    submit_through_form(app)
    stranger = app.test_client()
    assert stranger.get("/your-result/your-data.json").status_code == 404
    assert stranger.get("/your-result/your-data").status_code == 404
    assert audit_rows(db_path, "patient_copy_downloaded") == []


def test_the_copy_holds_each_consent_with_its_signed_pdf_and_no_one_elses(app, db_path, clock, auth):
    import base64
    import hashlib

    from tests.factories import consent_row, consult, db_connection

    patient, other, first, second, other_id = full_story(app, db_path, clock, auth)
    document = b"%PDF-1.4 the signed consent"
    with db_connection(db_path) as db:
        consultation = consult(db, second)
        mine = consent_row(
            db,
            second,
            consultation,
            signed_at="2026-06-01T09:55:00Z",
            pdf_sha256=hashlib.sha256(document).hexdigest(),
            options={"photos_teaching": False},
        )
        db.execute("UPDATE consent SET pdf = ? WHERE id = ?", [document, mine])
        consent_row(db, other_id, consult(db, other_id))
    data = json.loads(patient.get("/your-result/your-data.json").get_data(as_text=True))
    original, amended = data["screenings"]
    assert original["consents"] == []
    (consent,) = amended["consents"]
    assert consent["reference"] == mine and consent["treatment"] == "toxin"
    assert consent["taken_by"] == "Pat, NMC 12A3456E" and consent["signed_at"] == "2026-06-01T09:55:00Z"
    assert consent["why_you_want_it"] == "Frown lines"
    assert consent["other_consents"] == {"Photographs for teaching or marketing": False}
    assert base64.b64decode(consent["signed_pdf_base64"]) == document
    assert consent["signed_pdf_sha256"] == hashlib.sha256(document).hexdigest()
    theirs = json.loads(other.get("/your-result/your-data.json").get_data(as_text=True))
    (their_consent,) = theirs["screenings"][0]["consents"]
    assert their_consent["signed_pdf_base64"] is None and their_consent["reference"] != mine


def test_the_treatment_summary_is_on_the_private_page_and_in_the_copy_and_the_print_view(app, db_path, auth):
    from tests.factories import batch_row, db_connection, product_row, treated_row

    patient, submission_id = submit_through_form(app)
    with db_connection(db_path) as db:
        brand_x = product_row(db, "Brand X")
        treated_row(
            db,
            submission_id,
            given_at="2026-12-04T10:00:00Z",
            product_id=brand_x,
            batch_id=batch_row(db, brand_x, "XG-100"),
            areas=(("Forehead lines", 10), ("Frown lines", 12.5)),
        )

    copy = json.loads(patient.get("/your-result/your-data.json").get_data(as_text=True))
    (screening,) = copy["screenings"]
    (given,) = screening["treatments_given"]
    assert {key: given[key] for key in ("treatment", "given_by", "product", "batch", "batch_expiry", "total")} == {
        "treatment": "toxin",
        "given_by": "Pat",
        "product": "Brand X (botulinum toxin type A)",
        "batch": "XG-100",
        "batch_expiry": "2027-06-30",
        "total": "22.5 units",
    }
    assert given["areas"] == [
        {"area": "Forehead lines", "amount": "10 units"},
        {"area": "Frown lines", "amount": "12.5 units"},
    ]
    assert given["given_on"] == "Friday 4 December 2026, 10:00am"
    for page in (patient.get("/your-result"), patient.get("/your-result/your-data")):
        text = page_text(page)
        assert "Anti-wrinkle injections, Friday 4 December 2026, 10:00am" in text
        assert "Brand X (botulinum toxin type A)" in text and "XG-100 (expiry 2027-06-30)" in text
        assert "Frown lines: 12.5 units" in text and "22.5 units" in text
    printed = page_text(auth.clinician().get(f"/clinician/submissions/{submission_id}/print"))
    assert "Treatment given" in printed and "XG-100 (expiry 2027-06-30)" in printed


def test_the_copy_holds_the_problems_reported_after_a_treatment_and_no_one_elses(app, db_path, clock, auth):
    from tests.factories import consult, db_connection, signed_consent_row

    patient, other, first, second, other_id = full_story(app, db_path, clock, auth)
    with db_connection(db_path) as db:
        consent = signed_consent_row(db, second, consult(db, second), None, "toxin", "2026-06-01T09:55:00Z")
        given = db.execute(
            "INSERT INTO treatment_given (submission_id, consent_id, treatment, clinician_id, clinician_name, given_at)"
            " SELECT ?, id, 'toxin', clinician_id, 'Pat', '2026-06-04T09:00:00Z' FROM consent WHERE id = ?",
            [second, consent],
        ).lastrowid
        db.execute(
            "INSERT INTO complication (submission_id, treatment_given_id, what, started, symptoms, urgent, reported_by,"
            " reported_at, outcome) VALUES (?, ?, 'My eyelid droops', '2026-06-06', '[\"vision\"]', 1, 'patient',"
            " '2026-06-06T10:00:00Z', 'Seen; settling')",
            [second, given],
        )
    data = json.loads(patient.get("/your-result/your-data.json").get_data(as_text=True))
    original, amended = data["screenings"]
    assert original["problems_reported_after_treatment"] == []
    (problem,) = amended["problems_reported_after_treatment"]
    assert (problem["what_happened"], problem["started"], problem["urgent_symptoms_ticked"]) == (
        "My eyelid droops",
        "2026-06-06",
        ["vision"],
    )
    assert problem["follow_up_and_outcome"] == "Seen; settling" and problem["treatment"] == "toxin"
    assert "My eyelid droops" in page_text(patient.get("/your-result/your-data"))
    theirs = json.loads(other.get("/your-result/your-data.json").get_data(as_text=True))
    assert theirs["screenings"][0]["problems_reported_after_treatment"] == []
