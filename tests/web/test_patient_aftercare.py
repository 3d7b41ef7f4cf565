"""After the treatment: the aftercare on the private page, problems reported from it (urgent ones at the top of the
clinicians' queue with an email to the clinic), refused reports that store nothing, the clinician's follow-up, the
Yellow Card summary and the problems on the screening's print view."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from screening import store
from tests.factories import audit_rows, consult, db_connection, outbox, rows, signed_consent_row
from tests.journeys import (
    RESULT_PATH,
    clinician_reports_problem,
    record_treatment,
    signed_in,
    submit_through_form,
    token_of,
)
from tests.pages import page_text, tree

CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # winter: clinic time (Europe/London) is UTC
GIVEN = CONSULTED + timedelta(days=3)
ADA = "ada@clinic.example"


def treated(app, db_path, clock, auth, treatment: str = "filler"):
    """A patient (their browser) treated by Ada (her browser) three days after consent: (patient, ada, submission,
    treatment given)."""
    clock.set(CONSULTED)
    patient, submission_id = submit_through_form(app, treatment)
    ada_id = auth.account(ADA, name="Ada", register="NMC", number="12A3456E")
    with db_connection(db_path) as db:
        consultation_id = consult(db, submission_id)
        signed_consent_row(db, submission_id, consultation_id, ada_id, treatment, store.iso(CONSULTED))
    clock.set(GIVEN)
    ada = signed_in(app, ADA)
    given = record_treatment(ada, db_path, submission_id, treatment)
    assert given.status_code == 303
    (row,) = rows(db_path, "SELECT id FROM treatment_given")
    return patient, ada, submission_id, row["id"]


def report(patient, given_id: int, **fields):
    page = patient.get(f"/your-result/aftercare/{given_id}")
    assert page.status_code == 200
    data = {"csrf_token": token_of(patient), "what": "", "started": "", **fields}
    return patient.post(f"/your-result/aftercare/{given_id}", data=data)


def complications(db_path) -> list[dict]:
    return rows(db_path, "SELECT * FROM complication ORDER BY id")


def test_the_private_page_shows_each_treatments_aftercare_with_the_symptoms_to_call_about(app, db_path, clock, auth):
    patient, _, _, given_id = treated(app, db_path, clock, auth, "filler")

    text = page_text(patient.get(RESULT_PATH))
    assert "Your aftercare: dermal fillers" in text
    assert "Any change in your vision" in text and "blanching" in text
    assert "call 999 or go to A&E" in text
    page = page_text(patient.get(f"/your-result/aftercare/{given_id}"))
    assert "Tell us about a problem" in page and "Skin that turns pale or white" in page


def test_an_urgent_report_is_stored_audited_tops_the_queue_and_emails_the_clinic(app, db_path, clock, auth):
    patient, ada, submission_id, given_id = treated(app, db_path, clock, auth, "filler")
    clock.set(GIVEN + timedelta(days=1))

    sent = report(
        patient, given_id, what="The skin above my lip went white", started="05/12/2026", symptoms="blanching"
    )
    assert sent.status_code == 303
    told = page_text(patient.get(sent.headers["Location"]))
    assert "Please call the clinic now" in told and "call 999 or go to A&E now" in told

    (problem,) = complications(db_path)
    assert (problem["submission_id"], problem["treatment_given_id"], problem["urgent"], problem["reported_by"]) == (
        submission_id,
        given_id,
        1,
        "patient",
    )
    assert problem["started"] == "2026-12-05" and json.loads(problem["symptoms"]) == ["blanching"]
    (event,) = audit_rows(db_path, "complication_reported")
    assert json.loads(event["detail"])["urgent"] is True and event["actor_role"] == "patient"
    (alert,) = outbox(db_path, "urgent_report")
    assert alert["to_addr"] == app.config["CLINIC_EMAIL"]  # the notification address
    assert f"/clinician/submissions/{submission_id}" in alert["body"] and "urgent report" in alert["body"]
    assert "Jane" not in alert["subject"] + alert["body"] and "white" not in alert["body"]

    queue = signed_in(app, ADA).get("/clinician/queue").get_data(as_text=True)
    assert queue.index('id="reported-problems"') < queue.index('<h2 class="heading-l">')  # above the queue
    assert f"#problem-{problem['id']}" in queue and "Urgent" in queue


def test_a_non_urgent_report_is_listed_below_an_urgent_one_and_emails_no_one(app, db_path, clock, auth):
    patient, ada, _, given_id = treated(app, db_path, clock, auth, "filler")
    clock.set(GIVEN + timedelta(days=1))
    assert report(patient, given_id, what="A small lump in my lip", started="05/12/2026").status_code == 303
    assert outbox(db_path, "urgent_report") == []
    told = page_text(patient.get("/your-result/problem-sent"))
    assert "A clinician will look at what you told us" in told and "Please call the clinic now" not in told
    assert (
        report(patient, given_id, what="My vision is blurred", started="05/12/2026", symptoms="vision").status_code
        == 303
    )

    not_urgent, urgent = complications(db_path)
    assert (not_urgent["urgent"], urgent["urgent"]) == (0, 1)
    queue = signed_in(app, ADA).get("/clinician/queue").get_data(as_text=True)
    assert queue.index(f"#problem-{urgent['id']}") < queue.index(f"#problem-{not_urgent['id']}")


def test_an_empty_or_impossible_report_is_refused_with_a_message_and_nothing_is_stored(app, db_path, clock, auth):
    patient, _, _, given_id = treated(app, db_path, clock, auth, "toxin")
    clock.set(GIVEN + timedelta(days=1))
    before = len(audit_rows(db_path))

    empty = report(patient, given_id)
    assert empty.status_code == 400 and "Tell us what happened" in page_text(empty)
    no_day = report(patient, given_id, what="My eyelid droops")
    assert no_day.status_code == 400 and "Tell us the day it started" in page_text(no_day)
    future = report(patient, given_id, what="My eyelid droops", started="25/12/2026")
    assert future.status_code == 400 and "cannot be in the future" in page_text(future)
    before_treatment = report(patient, given_id, what="My eyelid droops", started="01/11/2026")
    assert before_treatment.status_code == 400 and "cannot be before your treatment" in page_text(before_treatment)
    not_a_date = report(patient, given_id, what="My eyelid droops", started="soon")
    assert not_a_date.status_code == 400 and "Enter the day it started as a date" in page_text(not_a_date)
    filler_symptom = report(patient, given_id, what="My eyelid droops", started="05/12/2026", symptoms="blanching")
    assert filler_symptom.status_code == 400 and "Tick only the symptoms listed" in page_text(filler_symptom)
    no_token = patient.post(f"/your-result/aftercare/{given_id}", data={"what": "x", "started": "05/12/2026"})
    assert no_token.status_code in (400, 403)

    assert complications(db_path) == [] and outbox(db_path, "urgent_report") == []
    assert [e for e in audit_rows(db_path)[before:] if e["action"] == "complication_reported"] == []


def test_a_report_for_someone_elses_treatment_is_refused_and_nothing_is_stored(app, db_path, clock, auth):
    _, _, _, given_id = treated(app, db_path, clock, auth, "filler")
    other, _ = submit_through_form(app, "filler")

    assert other.get(f"/your-result/aftercare/{given_id}").status_code == 404
    refused = other.post(
        f"/your-result/aftercare/{given_id}",
        data={"csrf_token": token_of(other), "what": "Not mine", "started": "04/12/2026", "symptoms": "vision"},
    )
    assert refused.status_code == 404
    assert complications(db_path) == [] and outbox(db_path, "urgent_report") == []


def test_a_clinician_records_the_follow_up_and_the_yellow_card_summary_has_every_field(app, db_path, clock, auth):
    patient, ada, submission_id, given_id = treated(app, db_path, clock, auth, "filler")
    clock.set(GIVEN + timedelta(days=1))
    report(patient, given_id, what="The skin above my lip went white", started="05/12/2026", symptoms="blanching")
    ada = signed_in(app, ADA)  # a session idles out when the clock jumps a day
    (problem,) = complications(db_path)
    prefix = f"complication-{problem['id']}-"
    path = f"/clinician/submissions/{submission_id}/complications/{problem['id']}"

    refused = ada.post(path, data={"csrf_token": token_of(ada), f"{prefix}outcome": "  "})
    assert refused.status_code == 400 and "Tell us the follow-up and its outcome" in page_text(refused)
    assert complications(db_path)[0]["followed_up_at"] is None

    done = ada.post(
        path,
        data={
            "csrf_token": token_of(ada),
            f"{prefix}outcome": "Seen the same day; hyaluronidase given; recovered fully.",
            f"{prefix}product": "Juvederm Volbella",
            f"{prefix}batch": "VB12345",
        },
    )
    assert done.status_code == 303
    (followed,) = complications(db_path)
    assert (followed["followed_up_name"], followed["product"], followed["batch"]) == (
        "Ada",
        "Juvederm Volbella",
        "VB12345",
    )
    assert audit_rows(db_path, "complication_followed_up")
    assert "Reported problems" not in ada.get("/clinician/queue").get_data(as_text=True)  # followed up: off the list

    card = ada.get(f"{path}/yellow-card")
    assert card.status_code == 200
    text = page_text(card)
    for label, value in (
        ("Patient's age at onset", "years"),
        ("Patient's sex", "Female"),
        ("Product (brand name)", "Juvederm Volbella"),
        ("Batch number", "VB12345"),
        ("Date of treatment", "2026-12-04"),
        ("Date the reaction started", "2026-12-05"),
        ("The reaction", "The skin above my lip went white"),
        ("Outcome", "recovered fully"),
        ("Reporter", "Ada"),
        ("Reporter's professional register", "NMC 12A3456E"),
    ):
        assert label in text and value in text, label
    assert "no interface" in text and "https://yellowcard.mhra.gov.uk" in text
    assert "Jane" not in text  # no name on the summary

    other = ada.get(f"/clinician/submissions/{submission_id + 1000}/complications/{problem['id']}/yellow-card")
    assert other.status_code == 404


def test_the_yellow_card_takes_the_product_and_batch_from_the_treatment_record_unless_typed(app, db_path, clock, auth):
    patient, ada, submission_id, given_id = treated(app, db_path, clock, auth, "filler")
    report(patient, given_id, what="A hard lump", started="04/12/2026")
    (problem,) = complications(db_path)

    text = page_text(ada.get(f"/clinician/submissions/{submission_id}/complications/{problem['id']}/yellow-card"))

    assert "Test filler (hyaluronic acid)" in text and "FILLER-1 (expiry 2027-06-30)" in text
    assert "not recorded" not in text.split("Date of treatment")[0]


def test_a_clinician_records_a_problem_the_patient_phoned_about_and_a_bad_one_is_refused(app, db_path, clock, auth):
    _, ada, submission_id, given_id = treated(app, db_path, clock, auth, "toxin")
    page = ada.get(f"/clinician/submissions/{submission_id}")
    assert "Record a problem the patient reported" in page_text(page)
    path = f"/clinician/submissions/{submission_id}/complications"
    fields = {"csrf_token": token_of(ada), "report-treatment_given": str(given_id), "report-started": "04/12/2026"}

    empty = ada.post(path, data=fields)
    assert empty.status_code == 400 and "Tell us what happened" in page_text(empty)
    wrong = ada.post(path, data={**fields, "report-what": "Blanching", "report-symptoms": "blanching"})
    assert wrong.status_code == 400 and "Tick only the symptoms listed" in page_text(wrong)
    other = ada.post(path, data={**fields, "report-what": "x", "report-treatment_given": str(given_id + 1)})
    assert other.status_code == 400 and "Choose the treatment the problem follows" in page_text(other)
    assert complications(db_path) == []

    done = ada.post(path, data={**fields, "report-what": "Phoned: hoarse voice", "report-symptoms": "speaking"})
    assert done.status_code == 303
    (problem,) = complications(db_path)
    assert (problem["reported_by"], problem["urgent"], problem["reporter_id"]) == (
        "clinician",
        1,
        auth.account(ADA),
    )
    assert outbox(db_path, "urgent_report")
    assert "Difficulty speaking, or a hoarse voice" in page_text(ada.get(f"/clinician/submissions/{submission_id}"))


def test_the_print_view_lists_each_problem_reported_with_its_treatment_symptoms_and_follow_up(
    app, db_path, clock, auth
):
    patient, ada, submission_id, given_id = treated(app, db_path, clock, auth, "filler")
    printed = ada.get(f"/clinician/submissions/{submission_id}/print")
    assert "Problems reported after treatment None reported." in page_text(printed)

    clock.set(GIVEN + timedelta(days=1))
    report(patient, given_id, what="The skin above my lip went white", started="05/12/2026", symptoms="blanching")
    ada = signed_in(app, ADA)  # a session idles out when the clock jumps a day
    (urgent,) = complications(db_path)
    ada.post(
        f"/clinician/submissions/{submission_id}/complications/{urgent['id']}",
        data={
            "csrf_token": token_of(ada),
            f"complication-{urgent['id']}-outcome": "Seen the same day; hyaluronidase given; recovered fully.",
        },
    )
    recorded = clinician_reports_problem(ada, submission_id, given_id, "Phoned: a small lump", "05/12/2026")
    assert recorded.status_code == 303
    _, phoned = complications(db_path)

    printed = ada.get(f"/clinician/submissions/{submission_id}/print")
    assert printed.status_code == 200
    page = tree(printed)
    assert page.by_id("problems").text() == "Problems reported after treatment"
    first = page.by_id(f"problem-{urgent['id']}").text()
    for words in (
        "Urgent Reported by the patient, Saturday 5 December 2026, 9:00am",
        "After Dermal filler, Friday 4 December 2026, 9:00am (by Ada)",
        "Product Test filler (hyaluronic acid)",
        "Batch FILLER-1 (expiry 2027-06-30)",
        "Started Saturday 5 December 2026",
        "What happened The skin above my lip went white",
        "Urgent symptoms ticked Skin that turns pale or white (blanching) in or near the treated area",
        "Urgent yes",
        "Follow-up by Ada, Saturday 5 December 2026, 9:00am: Seen the same day; hyaluronidase given; recovered fully.",
    ):
        assert words in first, words
    second = page.by_id(f"problem-{phoned['id']}").text()
    assert second.startswith("Reported by a clinician, Saturday 5 December 2026, 9:00am")
    for words in ("What happened Phoned: a small lump", "Urgent symptoms ticked none", "Urgent no"):
        assert words in second, words
    assert "Follow-up not yet followed up" in second
    assert "blanching" not in second


def test_the_print_view_of_a_screening_without_a_treatment_has_no_problems_section(app, auth):
    _, submission_id = submit_through_form(app, "filler")
    printed = page_text(auth.clinician().get(f"/clinician/submissions/{submission_id}/print"))
    assert "Why it was flagged" in printed and "Problems reported after treatment" not in printed
