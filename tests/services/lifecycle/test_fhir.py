"""FHIR R4 export: every resource validates with fhir.resources (R4B models), enableWhen agrees with the engine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from itertools import product

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from screening import store
from screening.cli import cli
from screening.services.lifecycle import fhir
from tests.factories import (
    REVIEW_TOXIN,
    RULESET,
    answers_by_step,
    audit_rows,
    db_connection,
    flat_answers,
    make_clinician,
)
from tests.journeys import decide, submit_through_form
from tests.pages import elements

BASE = "https://screening.clinic.example/fhir"
TODAY = date(2026, 11, 28)


def items_of(resource: dict) -> list[dict]:
    """Every item, however deep."""
    found = []
    stack = list(resource.get("item", []))
    while stack:
        item = stack.pop(0)
        found.append(item)
        stack.extend(item.get("item", []))
    return found


def validate(resource: dict):
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_questionnaire_validates_and_holds_every_question_with_its_options():
    data = fhir.questionnaire(RULESET, BASE)
    validated = Questionnaire.model_validate(data)
    assert validated.version == RULESET.version
    questions = {item["linkId"]: item for item in items_of(data) if item["type"] not in ("group", "display")}
    assert list(questions) == [q.id for q in RULESET.questionnaire.questions]
    for question in RULESET.questionnaire.questions:
        item = questions[question.id]
        assert item["text"] == question.text
        assert [o["valueCoding"]["code"] for o in item.get("answerOption", [])] == list(question.option_ids)
        assert item.get("repeats", False) == (question.type == "multi")
        assert item["required"] == (not question.optional)


def test_every_shown_when_becomes_enable_when_or_an_enable_when_expression():
    data = fhir.questionnaire(RULESET, BASE)
    items = {item["linkId"]: item for item in items_of(data)}
    expressed = []
    for question in RULESET.questionnaire.questions:
        item = items[question.id]
        if question.shown_when is None:
            assert "enableWhen" not in item and "extension" not in item
            continue
        urls = [ext["url"] for ext in item["extension"]]
        assert f"{BASE}/StructureDefinition/shown-when" in urls  # the original condition is kept
        if fhir.ENABLE_WHEN_EXPRESSION in urls:
            assert "enableWhen" not in item  # FHIR forbids both
            expressed.append(question.id)
        else:
            assert item["enableWhen"]
    # The ones enableWhen cannot say: an "and" of which one part is itself an "any of".
    assert sorted(expressed) == sorted(
        q.id
        for q in RULESET.questionnaire.questions
        if q.shown_when and fhir._enable_when(BASE, q.shown_when.tree) is None
    )
    assert "wind_instrument" in expressed and "toxin_areas" not in expressed
    wind = next(e for e in items["wind_instrument"]["extension"] if e["url"] == fhir.ENABLE_WHEN_EXPRESSION)
    assert "toxin_areas" in wind["valueExpression"]["expression"]


def enabled(item: dict, answers: dict) -> bool:
    """FHIR's enableWhen, evaluated over flat answers (codes), as a form filler would."""
    results = []
    for condition in item["enableWhen"]:
        given = answers.get(condition["question"])
        given = given if isinstance(given, list) else ([] if given is None else [given])
        code = condition["answerCoding"]["code"]
        if condition["operator"] == "=":
            results.append(code in given)
        else:
            results.append(any(value != code for value in given))
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


@pytest.mark.parametrize(
    ("treatment", "sex", "neuro", "allergies"),
    list(product(["toxin", "filler", "both"], ["female", "male"], [["none"], ["facial_palsy"]], ["no", "yes"])),
)
def test_enable_when_agrees_with_the_engine_on_which_questions_are_shown(treatment, sex, neuro, allergies):
    steps = answers_by_step(treatment, sex_at_birth=sex, neuro_conditions=neuro, has_allergies=allergies)
    if sex == "male":
        steps = answers_by_step(
            treatment,
            sex_at_birth=sex,
            neuro_conditions=neuro,
            has_allergies=allergies,
            pregnant=None,
            trying_to_conceive=None,
            breastfeeding=None,
        )
    answers = flat_answers(steps)
    shown = set(RULESET.questionnaire.visible_ids(answers, TODAY))
    items = {item["linkId"]: item for item in items_of(fhir.questionnaire(RULESET, BASE))}
    for question in RULESET.questionnaire.questions:
        item = items[question.id]
        if "enableWhen" in item:
            visible_before = {k: v for k, v in answers.items() if k in shown}
            assert enabled(item, visible_before) == (question.id in shown), question.id


def test_a_screening_bundle_validates_resource_by_resource(app, db_path, auth):
    make_clinician(db_path)
    _, submission_id = submit_through_form(app, **REVIEW_TOXIN)
    clinician = auth.clinician()
    approved = decide(clinician, submission_id, action="approve", treatments=["toxin"], private_note="Stable MS.")
    assert approved.status_code == 303
    with db_connection(db_path) as db:
        data = fhir.bundle(db, RULESET, submission_id, BASE)
        fired = store.get_submission(db, submission_id)["rules"]
    Bundle.model_validate(data)
    resources = [entry["resource"] for entry in data["entry"]]
    for resource in resources:
        validate(resource)
    kinds = [r["resourceType"] for r in resources]
    assert kinds[:2] == ["Patient", "QuestionnaireResponse"]
    response = resources[1]
    assert response["questionnaire"] == f"{fhir.questionnaire_url(BASE)}|{RULESET.version}"
    answered = {item["linkId"]: item for item in items_of(response) if "answer" in item}
    assert answered["neuro_conditions"]["answer"][0]["valueCoding"]["code"] == "multiple_sclerosis"
    assert answered["date_of_birth"]["answer"] == [{"valueDate": "1990-07-22"}]
    assert answered["current_medicines"]["answer"] == [{"valueString": "Combined contraceptive pill"}]
    issues = [r for r in resources if r["resourceType"] == "DetectedIssue"]
    assert [i["identifier"][0]["value"] for i in issues] == [rule["rule_id"] for rule in fired]
    assert all(i["mitigation"][0]["action"]["text"] == "Approved for booking" for i in issues)
    (impression,) = [r for r in resources if r["resourceType"] == "ClinicalImpression"]
    assert "summary" not in impression and impression["description"].startswith("Approved for booking")
    assert "Stable MS." not in json.dumps(data)  # the private note stays in the clinic


def test_the_submission_page_offers_the_bundle_and_the_download_is_audited(app, db_path, auth):
    make_clinician(db_path)
    _, submission_id = submit_through_form(app)
    clinician = auth.clinician()
    page = clinician.get(f"/clinician/submissions/{submission_id}")
    href = f"/clinician/submissions/{submission_id}/fhir.json"
    assert href in [a["href"] for a in elements(page, "a")]
    download = clinician.get(href)
    assert download.status_code == 200 and download.mimetype == "application/fhir+json"
    Bundle.model_validate(json.loads(download.get_data(as_text=True)))
    (event,) = audit_rows(db_path, "fhir_exported")
    assert event["object_id"] == str(submission_id)
    assert clinician.get("/clinician/submissions/999999/fhir.json").status_code == 404
    assert app.test_client().get(href).status_code in (302, 303)


def test_fhir_commands(app, db_path):
    _, submission_id = submit_through_form(app)
    runner = app.test_cli_runner()
    questionnaire = runner.invoke(cli, ["fhir", "questionnaire"])
    assert questionnaire.exit_code == 0, questionnaire.output
    Questionnaire.model_validate(json.loads(questionnaire.output))
    bundle = runner.invoke(cli, ["fhir", "bundle", str(submission_id)])
    assert bundle.exit_code == 0, bundle.output
    Bundle.model_validate(json.loads(bundle.output))
    unknown = runner.invoke(cli, ["fhir", "bundle", "424242"])
    assert unknown.exit_code == 1 and "no screening has the reference 424242" in unknown.output
    garbled = runner.invoke(cli, ["fhir", "bundle", "abc"])
    assert garbled.exit_code == 1 and "'abc' is not a screening reference" in garbled.output


def test_a_consent_is_a_fhir_consent_with_its_text_its_pdf_hash_and_each_optional_consent(app, db_path):
    from fhir.resources.R4B.consent import Consent

    from tests.factories import consent_row, consult, record

    with db_connection(db_path) as db:
        submission_id = record(db, "both")
        consultation = consult(db, submission_id)
        signed = consent_row(
            db,
            submission_id,
            consultation,
            "toxin",
            signed_at="2026-06-01T09:55:00Z",
            pdf_sha256="ab" * 32,
            options={"photos_record": True, "photos_teaching": False},
        )
        consent_row(
            db,
            submission_id,
            consultation,
            "filler",
            signed_at="2026-06-01T10:00:00Z",
            withdrawn_at="2026-06-02T08:00:00Z",
        )
        data = fhir.bundle(db, RULESET, submission_id, BASE)
    Bundle.model_validate(data)
    consents = {
        r["resource"]["identifier"][0]["value"]: r["resource"]
        for r in data["entry"]
        if r["resource"]["resourceType"] == "Consent"
    }
    assert len(consents) == 2
    for resource in consents.values():
        Consent.model_validate(resource)
        assert resource["scope"]["coding"][0]["code"] == "treatment"
    toxin = consents[str(signed)]
    assert toxin["status"] == "active" and toxin["dateTime"] == "2026-06-01T09:55:00Z"
    assert toxin["provision"]["type"] == "permit"
    assert toxin["provision"]["code"][0]["coding"][0]["code"] == "toxin"
    assert {p["code"][0]["coding"][0]["code"]: p["type"] for p in toxin["provision"]["provision"]} == {
        "photos_record": "permit",
        "photos_teaching": "deny",
    }
    assert "ab" * 32 in toxin["sourceAttachment"]["title"]
    assert "NMC 12A3456E" in toxin["policyRule"]["text"]
    (filler,) = [r for key, r in consents.items() if key != str(signed)]
    assert filler["status"] == "inactive" and filler["provision"]["type"] == "deny"
    assert filler["provision"]["period"] == {"start": "2026-06-01T10:00:00Z", "end": "2026-06-02T08:00:00Z"}
    assert "sourceAttachment" not in filler  # no PDF was made for it


def test_each_treatment_given_is_a_procedure_with_its_medication_administrations_or_its_device(app, db_path):
    from tests.factories import batch_row, product_row, record, treated_row

    with db_connection(db_path) as db:
        submission_id = record(db, "both")
        brand_x = product_row(db, "Brand X")
        fill_z = product_row(db, "Fill Z", kind="filler", unit="ml", max_per_session=None, generic_name="hyaluronic")
        x_batch, z_batch = batch_row(db, brand_x, "XG-100"), batch_row(db, fill_z, "ZG-1", expiry="2028-01-31")
        toxin = treated_row(
            db,
            submission_id,
            given_at="2026-12-04T10:00:00Z",
            product_id=brand_x,
            batch_id=x_batch,
            areas=(("Forehead lines", 10), ("Frown lines", 12.5)),
        )
        filler = treated_row(
            db,
            submission_id,
            treatment="filler",
            given_at="2026-12-05T10:00:00Z",
            product_id=fill_z,
            batch_id=z_batch,
            areas=(("Cheeks", 1.5),),
            unit="ml",
        )
        data = fhir.bundle(db, RULESET, submission_id, BASE)
    Bundle.model_validate(data)
    resources = [entry["resource"] for entry in data["entry"]]
    for resource in resources:
        validate(resource)
    assert len({entry["fullUrl"] for entry in data["entry"]}) == len(data["entry"])  # every fullUrl its own
    procedures = {r["identifier"][0]["value"]: r for r in resources if r["resourceType"] == "Procedure"}
    assert set(procedures) == {str(toxin), str(filler)}
    injected = procedures[str(toxin)]
    assert injected["status"] == "completed" and injected["performedDateTime"] == "2026-12-04T10:00:00Z"
    assert [site["text"] for site in injected["bodySite"]] == ["Forehead lines", "Frown lines"]
    assert injected["performer"] == [{"actor": {"display": "Pat"}}]
    administrations = [r for r in resources if r["resourceType"] == "MedicationAdministration"]
    assert [(a["dosage"]["site"]["text"], a["dosage"]["dose"]) for a in administrations] == [
        ("Forehead lines", {"value": 10.0, "unit": "units"}),
        ("Frown lines", {"value": 12.5, "unit": "units"}),
    ]
    procedure_url = next(e["fullUrl"] for e in data["entry"] if e["resource"] is injected)
    for administration in administrations:
        (medication,) = administration["contained"]
        assert administration["medicationReference"]["reference"] == f"#{medication['id']}"
        assert medication["code"]["text"] == "Brand X (botulinum toxin type A)"
        assert medication["batch"] == {"lotNumber": "XG-100", "expirationDate": "2027-06-30"}
        assert administration["partOf"] == [{"reference": procedure_url}]
    (device,) = [r for r in resources if r["resourceType"] == "Device"]
    assert (device["lotNumber"], device["expirationDate"], device["deviceName"][0]["name"]) == (
        "ZG-1",
        "2028-01-31",
        "Fill Z (hyaluronic)",
    )
    device_url = next(e["fullUrl"] for e in data["entry"] if e["resource"] is device)
    assert procedures[str(filler)]["usedReference"] == [{"reference": device_url}]
    assert procedures[str(filler)]["note"] == [{"text": "Cheeks: 1.5 ml"}]


def test_a_treatment_recorded_before_products_were_kept_is_a_procedure_alone(app, db_path):
    from tests.factories import record, treated_row

    with db_connection(db_path) as db:
        submission_id = record(db, "toxin")
        treated_row(db, submission_id, given_at="2026-06-04T10:00:00Z")
        data = fhir.bundle(db, RULESET, submission_id, BASE)
    Bundle.model_validate(data)
    kinds = [entry["resource"]["resourceType"] for entry in data["entry"]]
    assert kinds.count("Procedure") == 1
    assert "MedicationAdministration" not in kinds and "Device" not in kinds
    for entry in data["entry"]:
        validate(entry["resource"])


def test_a_problem_reported_after_a_treatment_is_an_adverse_event_naming_that_treatments_procedure(app, db_path, clock):
    from tests.factories import record, treated_row

    clock.set(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    reported = store.Actor("patient").event("complication_reported")
    with db_connection(db_path) as db:
        submission_id = record(db, "both")
        treated_row(db, submission_id, given_at="2026-12-04T10:00:00Z")
        filler = treated_row(db, submission_id, treatment="filler", given_at="2026-12-05T10:00:00Z")
        problem = store.record_complication(
            db,
            {
                "submission_id": submission_id,
                "treatment_given_id": filler,
                "what": "The skin above my lip went white",
                "started": "2026-12-05",
                "symptoms": ["blanching"],
                "urgent": True,
                "reported_by": "patient",
            },
            reported,
        )
        clock.set(datetime(2026, 12, 6, 15, 0, tzinfo=UTC))
        store.follow_up_complication(
            db,
            problem,
            {
                "outcome": "Hyaluronidase given; recovered",
                "product": "",
                "batch": "",
                "followed_up_by": None,
                "followed_up_name": "Pat",
            },
            store.Actor("clinician").event("complication_followed_up"),
        )
        untouched = record(db, "toxin")
        treated_row(db, untouched, given_at="2026-12-04T10:00:00Z")
        data = fhir.bundle(db, RULESET, submission_id, BASE)
        without = fhir.bundle(db, RULESET, untouched, BASE)
    Bundle.model_validate(data)
    for entry in data["entry"]:
        validate(entry["resource"])
    assert len({entry["fullUrl"] for entry in data["entry"]}) == len(data["entry"])
    (event,) = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    patient_url = next(e["fullUrl"] for e in data["entry"] if e["resource"]["resourceType"] == "Patient")
    filler_procedure = next(
        e["fullUrl"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "Procedure" and e["resource"]["identifier"][0]["value"] == str(filler)
    )
    assert event["suspectEntity"] == [{"instance": {"reference": filler_procedure}}]
    assert (event["actuality"], event["subject"], event["recorder"]) == (
        "actual",
        {"reference": patient_url},
        {"reference": patient_url},
    )
    assert (event["date"], event["recordedDate"]) == ("2026-12-05", "2026-12-06T10:00:00.000000Z")
    assert event["event"] == {"text": "The skin above my lip went white"}
    assert event["seriousness"] == {"text": "urgent"}
    assert event["outcome"] == {"text": "Hyaluronidase given; recovered"}

    Bundle.model_validate(without)
    assert [e for e in without["entry"] if e["resource"]["resourceType"] == "AdverseEvent"] == []


def test_a_problem_not_urgent_and_not_yet_followed_up_has_no_seriousness_or_outcome(app, db_path, clock):
    from tests.factories import record, treated_row

    clock.set(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    with db_connection(db_path) as db:
        submission_id = record(db, "toxin")
        given = treated_row(db, submission_id, given_at="2026-12-04T10:00:00Z")
        store.record_complication(
            db,
            {
                "submission_id": submission_id,
                "treatment_given_id": given,
                "what": "Phoned: a mild headache",
                "started": "2026-12-05",
                "urgent": False,
                "reported_by": "clinician",
            },
            store.Actor("clinician").event("complication_reported"),
        )
        data = fhir.bundle(db, RULESET, submission_id, BASE)
    (event,) = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
    validate(event)
    assert "seriousness" not in event and "outcome" not in event and "recorder" not in event
    assert event["event"] == {"text": "Phoned: a mild headache"}
