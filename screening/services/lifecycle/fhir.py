"""FHIR R4 export: the questionnaire as a Questionnaire, a screening as a Bundle (plain dicts, JSON-ready).

Visibility. A question's `shown_when` becomes `enableWhen` when FHIR can say it: one comparison, a choice among
options ("any"), or comparisons that must all hold ("all"). `toxin` and `filler` are derived from
treatment_requested (toxin or both; filler or both). What enableWhen cannot say (an "and" whose parts are
themselves "any of", such as `toxin and has_any(toxin_areas, "lip_flip")`) is written as an SDC
`enableWhenExpression` extension holding the same condition in FHIRPath, and the item then has no enableWhen (the
two must not be combined). Either way, the original condition text is kept in an extension of our own, and the
answers in a QuestionnaireResponse are only those to questions that were shown.

Fired rules are DetectedIssue resources, not RiskAssessment: a rule is a contraindication or caution found against
a proposed procedure (the treatment), with a severity and a recommended handling, which is what DetectedIssue
records ("a potential clinical issue with a proposed clinical action, e.g. procedure-condition conflict").
RiskAssessment records a predicted outcome with a probability, which the rules do not give. The clinician's
decision is a ClinicalImpression (an assessment by a clinician, whose investigation is the QuestionnaireResponse),
and is also written as the mitigation of each DetectedIssue.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlite_utils import Database

from screening import clock, store
from screening.domain import Question, RuleSet
from screening.domain.conditions import And, Call, Compare, In, Name, Not, Or, Str
from screening.domain.consent import OPTIONS, consent_state
from screening.services.lifecycle.restriction import refuse_restricted

ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
DERIVED = {"toxin": ("toxin", "both"), "filler": ("filler", "both")}  # from treatment_requested
SEVERITY = {"decline": "high", "defer": "high", "review": "moderate", "caution": "low"}
DECISION_WORDS = {
    "approve": "Approved for booking",
    "decline": "Not approved for booking online",
    "defer": "Deferred",
    "request_information": "More information requested from the patient",
}
NAMESPACE = uuid.UUID("6f1f3c4e-2b1a-4c55-9a37-5d0b2c1e7a10")  # stable ids: the same screening, the same fullUrl


def _system(base: str, question_id: str) -> str:
    return f"{base}/CodeSystem/{question_id}"


def _condition_extension(base: str) -> str:
    return f"{base}/StructureDefinition/shown-when"


# --------------------------------------------------------------------------------------------------------------------
# Visibility: shown_when -> enableWhen, or enableWhenExpression


def _equals(base: str, question_id: str, code: str, op: str = "=") -> dict[str, Any]:
    coding = {"system": _system(base, question_id), "code": code}
    return {"question": question_id, "operator": op, "answerCoding": coding}


def _enable_when(base: str, node) -> tuple[list[dict], str] | None:
    """enableWhen items and their behaviour ("any" or "all"), or None when enableWhen cannot say it."""
    if isinstance(node, Name) and node.name in DERIVED:
        return [_equals(base, "treatment_requested", code) for code in DERIVED[node.name]], "any"
    if (
        isinstance(node, Compare)
        and isinstance(node.left, Name)
        and isinstance(node.right, Str)
        and node.op in ("==", "!=")
    ):
        return [_equals(base, node.left.name, node.right.value, "=" if node.op == "==" else "!=")], "all"
    if isinstance(node, In) and isinstance(node.left, Name):
        return [_equals(base, node.left.name, value.value) for value in node.values], "any"
    if isinstance(node, Call) and node.args and isinstance(node.args[0], Name):
        codes = [arg.value for arg in node.args[1:] if isinstance(arg, Str)]
        if node.function == "has_any" and len(codes) == len(node.args) - 1:
            return [_equals(base, node.args[0].name, code) for code in codes], "any"
        if node.function == "has_any_except" and len(codes) == 1:
            # FHIR: "!=" on a repeating answer holds when at least one answer differs, which is has_any_except.
            return [_equals(base, node.args[0].name, codes[0], "!=")], "all"
    if isinstance(node, (And, Or)):
        wanted = "all" if isinstance(node, And) else "any"
        items: list[dict] = []
        for part in node.items:
            found = _enable_when(base, part)
            if found is None or (len(found[0]) > 1 and found[1] != wanted):
                return None
            items += found[0]
        return items, wanted
    return None


def _answers_of(question_id: str) -> str:
    return f"%resource.repeat(item).where(linkId='{question_id}').answer.value"


def _codes(values: list[str]) -> str:
    return " | ".join(f"'{value}'" for value in values)


def fhirpath(node) -> str:
    """The same condition in FHIRPath, over the QuestionnaireResponse being filled in (%resource)."""
    if isinstance(node, Name) and node.name in DERIVED:
        return f"{_answers_of('treatment_requested')}.code.intersect({_codes(list(DERIVED[node.name]))}).exists()"
    if isinstance(node, Compare) and isinstance(node.left, Name) and isinstance(node.right, Str):
        test = "exists()" if node.op == "==" else "empty()"
        return f"{_answers_of(node.left.name)}.code.where($this = '{node.right.value}').{test}"
    if isinstance(node, In) and isinstance(node.left, Name):
        return f"{_answers_of(node.left.name)}.code.intersect({_codes([v.value for v in node.values])}).exists()"
    if isinstance(node, Call) and node.function in ("has_any", "has_any_except"):
        codes = _codes([arg.value for arg in node.args[1:]])
        verb = "intersect" if node.function == "has_any" else "exclude"
        return f"{_answers_of(node.args[0].name)}.code.{verb}({codes}).exists()"
    if isinstance(node, And):
        return " and ".join(f"({fhirpath(part)})" for part in node.items)
    if isinstance(node, Or):
        return " or ".join(f"({fhirpath(part)})" for part in node.items)
    if isinstance(node, Not):
        return f"({fhirpath(node.item)}).not()"
    raise ValueError(f"no FHIRPath for {type(node).__name__}")


# --------------------------------------------------------------------------------------------------------------------
# The Questionnaire


def questionnaire_url(base: str) -> str:
    """The canonical URL of the questionnaire under a FHIR base."""
    return f"{base}/Questionnaire/pre-consultation-screening"


def _item(base: str, question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": question.id,
        "prefix": str(question.number),
        "text": question.text,
        "type": {"date": "date", "text": "text"}.get(question.type, "choice"),
        "required": not question.optional,
    }
    if question.type == "multi":
        item["repeats"] = True
    if question.options:
        item["answerOption"] = [
            {"valueCoding": {"system": _system(base, question.id), "code": option.id, "display": option.label}}
            for option in question.options
        ]
    if question.shown_when is not None:
        item["extension"] = [{"url": _condition_extension(base), "valueString": question.shown_when.text}]
        found = _enable_when(base, question.shown_when.tree)
        if found is not None:
            item["enableWhen"], behaviour = found
            if len(found[0]) > 1:
                item["enableBehavior"] = behaviour
        else:
            item["extension"].append(
                {
                    "url": ENABLE_WHEN_EXPRESSION,
                    "valueExpression": {"language": "text/fhirpath", "expression": fhirpath(question.shown_when.tree)},
                }
            )
    if question.help:
        item["item"] = [
            {
                "linkId": f"{question.id}.help",
                "type": "display",
                "text": question.help,
                "extension": [
                    {
                        "url": ITEM_CONTROL,
                        "valueCodeableConcept": {
                            "coding": [{"system": "http://hl7.org/fhir/questionnaire-item-control", "code": "help"}]
                        },
                    }
                ],
            }
        ]
    return item


def questionnaire(ruleset: RuleSet, base: str) -> dict[str, Any]:
    """The questionnaire as a FHIR R4 Questionnaire, with enableWhen (or an SDC expression)."""
    return {
        "resourceType": "Questionnaire",
        "id": "pre-consultation-screening",
        "url": questionnaire_url(base),
        "version": ruleset.version,
        "name": "PreConsultationScreening",
        "title": "Health questions before a consultation for anti-wrinkle injections or dermal filler",
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            {
                "linkId": section.id,
                "type": "group",
                "text": section.title,
                "item": [_item(base, question) for question in section.questions],
            }
            for section in ruleset.questionnaire.sections
        ],
    }


# --------------------------------------------------------------------------------------------------------------------
# A screening as a Bundle


def _full_url(kind: str, submission_id: int, n: int = 0) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{submission_id}/{n}')}"


def _answer(base: str, question: Question, value: Any) -> list[dict[str, Any]]:
    if question.type == "date":
        return [{"valueDate": value}]
    if question.type == "text":
        return [{"valueString": value}]
    codes = value if isinstance(value, list) else [value]
    return [
        {"valueCoding": {"system": _system(base, question.id), "code": code, "display": question.label_of(code)}}
        for code in codes
    ]


def bundle(db: Database, ruleset: RuleSet, submission_id: int, base: str) -> dict[str, Any] | None:
    """A Bundle (collection) for one screening: Patient, QuestionnaireResponse, a DetectedIssue per fired rule, a
    ClinicalImpression per clinician's decision, a Consent per consent, a Procedure per treatment given (with its
    MedicationAdministrations or Device: treatment_entries), and an AdverseEvent per problem reported after a
    treatment (adverse_event). None when there is no such screening; Restricted for a restricted one."""
    submission = store.get_submission(db, submission_id)
    if submission is None:
        return None
    refuse_restricted(submission)
    answers = submission["answers"]
    patient_url = _full_url("Patient", submission_id)
    response_url = _full_url("QuestionnaireResponse", submission_id)
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{base}/screening-reference", "value": str(submission_id)}],
        "name": [{"text": submission["full_name"]}],
        "telecom": [{"system": "email", "value": submission["email"]}]
        + ([{"system": "phone", "value": submission["phone"]}] if submission["phone"] else []),
    }
    if answers.get("date_of_birth"):
        patient["birthDate"] = answers["date_of_birth"]
    groups = []
    for section in ruleset.questionnaire.sections:
        items = [
            {"linkId": q.id, "text": q.text, "answer": _answer(base, q, answers[q.id])}
            for q in section.questions
            if q.id in answers and answers[q.id] not in (None, "", [])
        ]
        if items:
            groups.append({"linkId": section.id, "text": section.title, "item": items})
    response = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": f"{base}/screening-reference", "value": str(submission_id)},
        "questionnaire": f"{questionnaire_url(base)}|{submission['ruleset_version']}",
        "status": "completed" if submission["superseded_by"] is None else "amended",
        "subject": {"reference": patient_url},
        "authored": submission["created_at"],
        "source": {"reference": patient_url},
        "item": groups,
    }
    decisions = store.decisions_for(db, submission_id)
    mitigations = [
        {"action": {"text": DECISION_WORDS.get(d["action"], d["action"])}, "date": d["created_at"]} for d in decisions
    ]
    entries = [
        {"fullUrl": patient_url, "resource": patient},
        {"fullUrl": response_url, "resource": response},
    ]
    for n, rule in enumerate(submission["rules"], start=1):
        issue = {
            "resourceType": "DetectedIssue",
            "identifier": [{"system": f"{base}/rule", "value": rule["rule_id"]}],
            "status": "final",
            "code": {
                "coding": [{"system": f"{base}/CodeSystem/rule-level", "code": rule["level"]}],
                "text": f"Screening rule {rule['rule_id']} ({rule['level']}), for {rule['applies']}",
            },
            "severity": SEVERITY.get(rule["level"], "low"),
            "patient": {"reference": patient_url},
            "identifiedDateTime": submission["created_at"],
            "evidence": [{"detail": [{"reference": response_url}]}],
            "detail": rule["rationale"],
            "reference": next((url for source in rule["sources"] for url in source["urls"]), None),
        }
        if mitigations:
            issue["mitigation"] = mitigations
        entries.append({"fullUrl": _full_url("DetectedIssue", submission_id, n), "resource": _clean(issue)})
    for n, d in enumerate(decisions, start=1):
        impression = {
            "resourceType": "ClinicalImpression",
            "status": "completed",
            "subject": {"reference": patient_url},
            "date": d["created_at"],
            "description": DECISION_WORDS.get(d["action"], d["action"])
            + (f" ({', '.join(d['treatments'])})" if d["treatments"] else "")
            + (f" until {d['defer_until']}" if d["defer_until"] else ""),
            "summary": d["note"] or None,  # the question the patient was asked; never the private note
            "investigation": [{"code": {"text": "Pre-consultation screening"}, "item": [{"reference": response_url}]}],
        }
        entries.append({"fullUrl": _full_url("ClinicalImpression", submission_id, n), "resource": _clean(impression)})
    for n, consent in enumerate(store.consents_for(db, [submission_id]), start=1):
        entries.append(
            {
                "fullUrl": _full_url("Consent", submission_id, n),
                "resource": consent_resource(consent, store.consent_options(db, consent["id"]), patient_url, base),
            }
        )
    procedures = {}
    for n, given in enumerate(store.treatments_with_products(db, [submission_id]), start=1):
        entries += treatment_entries(given, submission_id, n, patient_url, base)
        procedures[given["id"]] = _full_url("Procedure", submission_id, n)
    for complication in sorted(store.complications_for(db, [submission_id]), key=lambda c: c["id"]):
        entries.append(
            {
                "fullUrl": _full_url("AdverseEvent", submission_id, complication["id"]),
                "resource": adverse_event(
                    complication, patient_url, procedures[complication["treatment_given_id"]], base
                ),
            }
        )
    return {
        "resourceType": "Bundle",
        "id": f"screening-{submission_id}",
        "type": "collection",
        "timestamp": clock.now_iso(),
        "entry": entries,
    }


# A consent's state as FHIR's Consent.status: awaiting the signature is proposed, signed is active, withdrawn inactive.
CONSENT_STATUS = {"awaiting_signature": "proposed", "signed": "active", "withdrawn": "inactive"}


def consent_resource(consent: dict[str, Any], options: dict[str, bool], patient_url: str, base: str) -> dict[str, Any]:
    """A Consent to treatment (scope treatment, LOINC 59284-0 Patient Consent): the patient consents, the treating
    practitioner took it; the text's version and hash are its policy rule; the signed PDF is named by its SHA-256
    (the export carries no working link); each optional consent is a nested permit or deny."""
    state = consent_state(consent)
    resource = {
        "resourceType": "Consent",
        "identifier": [{"system": f"{base}/consent", "value": str(consent["id"])}],
        "status": CONSENT_STATUS[state],
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": {"reference": patient_url},
        "dateTime": consent["signed_at"] or consent["taken_at"],
        "performer": [{"reference": patient_url}],
        "policyRule": {
            "text": f"Consent text for {consent['treatment']}, version {consent['text_version']}"
            f" (SHA-256 {consent['text_sha256']}); taken by {consent['clinician_name']},"
            f" {consent['register']} {consent['register_number']}"
        },
        "provision": {
            "type": "deny" if state == "withdrawn" else "permit",
            "period": {"start": consent["signed_at"], "end": consent["withdrawn_at"]},
            "code": [{"coding": [{"system": f"{base}/CodeSystem/treatment", "code": consent["treatment"]}]}],
            "provision": [
                {
                    "type": "permit" if given else "deny",
                    "code": [
                        {
                            "coding": [{"system": f"{base}/CodeSystem/consent-option", "code": option}],
                            "text": OPTIONS[option],
                        }
                    ],
                }
                for option, given in sorted(options.items())
                if option in OPTIONS
            ],
        },
    }
    if consent["pdf_sha256"]:
        resource["sourceAttachment"] = {
            "contentType": "application/pdf",
            "title": f"Signed consent {consent['id']} (SHA-256 {consent['pdf_sha256']})",
            "creation": consent["signed_at"],
        }
    resource["provision"]["period"] = _clean(resource["provision"]["period"])
    resource["provision"] = _clean(resource["provision"])
    return _clean(resource)


PROCEDURE_WORDS = {"toxin": "Anti-wrinkle injections (botulinum toxin)", "filler": "Dermal filler injections"}
UCUM = "http://unitsofmeasure.org"


def _dose(amount: float, unit: str) -> dict[str, Any]:
    """An amount as a Quantity: ml in UCUM; a toxin's units are the brand's own, so no code system claims them."""
    if unit == "ml":
        return {"value": amount, "unit": "ml", "system": UCUM, "code": "mL"}
    return {"value": amount, "unit": unit}


def treatment_entries(
    given: dict[str, Any], submission_id: int, n: int, patient_url: str, base: str
) -> list[dict[str, Any]]:
    """A treatment given as a Procedure (what, when, by whom, where: each area as bodySite text), with a
    MedicationAdministration per area for toxin (the product and its batch as a contained Medication, the dose with
    its unit, the area as the dosage's site, partOf the Procedure) or a Device for filler (its batch as lotNumber, its
    expiry), used in the Procedure. A treatment recorded before products were kept is the Procedure alone."""
    procedure_url = _full_url("Procedure", submission_id, n)
    performer = [{"actor": {"display": given["clinician_name"]}}]
    areas = given.get("areas") or []
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "identifier": [{"system": f"{base}/treatment-given", "value": str(given["id"])}],
        "status": "completed",
        "code": {
            "coding": [{"system": f"{base}/CodeSystem/treatment", "code": given["treatment"]}],
            "text": PROCEDURE_WORDS.get(given["treatment"], given["treatment"]),
        },
        "subject": {"reference": patient_url},
        "performedDateTime": given["given_at"],
        "performer": performer,
        "bodySite": [{"text": area["area"]} for area in areas],
        "note": [{"text": f"{area['area']}: {area['amount']:g} {area['unit']}"} for area in areas],
    }
    entries: list[dict[str, Any]] = []
    if given.get("brand") and given["treatment"] == "toxin":
        medication = {
            "resourceType": "Medication",
            "id": "product",
            "code": {"text": f"{given['brand']} ({given['generic_name']})"},
            "batch": _clean({"lotNumber": given["lot_number"], "expirationDate": given["expiry_date"]}),
        }
        for m, area in enumerate(areas, start=1):
            administration = {
                "resourceType": "MedicationAdministration",
                "status": "completed",
                "contained": [medication],
                "medicationReference": {"reference": "#product", "display": medication["code"]["text"]},
                "subject": {"reference": patient_url},
                "partOf": [{"reference": procedure_url}],
                "effectiveDateTime": given["given_at"],
                "performer": performer,
                "dosage": {"site": {"text": area["area"]}, "dose": _dose(area["amount"], area["unit"])},
            }
            entries.append(
                {
                    "fullUrl": _full_url("MedicationAdministration", submission_id, n * 1000 + m),
                    "resource": administration,
                }
            )
    elif given.get("brand"):
        device_url = _full_url("Device", submission_id, n)
        device = {
            "resourceType": "Device",
            "status": "active",
            "deviceName": [{"name": f"{given['brand']} ({given['generic_name']})", "type": "user-friendly-name"}],
            "lotNumber": given["lot_number"],
            "expirationDate": given["expiry_date"],
            "patient": {"reference": patient_url},
        }
        procedure["usedReference"] = [{"reference": device_url}]
        entries.append({"fullUrl": device_url, "resource": _clean(device)})
    return [{"fullUrl": procedure_url, "resource": _clean(procedure)}, *entries]


def adverse_event(complication: dict[str, Any], patient_url: str, procedure_url: str, base: str) -> dict[str, Any]:
    """A problem reported after a treatment as an AdverseEvent that happened (actuality "actual"): what happened in
    the reporter's words as its event, the day it started as its date, when it was reported as its recordedDate, the
    Procedure of the treatment given as the suspect entity, "urgent" as its seriousness when an urgent symptom was
    ticked, the patient as its recorder when they reported it, and the clinician's follow-up as its outcome once
    there is one."""
    resource = {
        "resourceType": "AdverseEvent",
        "identifier": {"system": f"{base}/complication", "value": str(complication["id"])},
        "actuality": "actual",
        "event": {"text": complication["what"]},
        "subject": {"reference": patient_url},
        "date": complication["started"],
        "recordedDate": complication["reported_at"],
        "recorder": {"reference": patient_url} if complication["reported_by"] == "patient" else None,
        "seriousness": {"text": "urgent"} if complication["urgent"] else None,
        "outcome": {"text": complication["outcome"]} if complication["followed_up_at"] else None,
        "suspectEntity": [{"instance": {"reference": procedure_url}}],
    }
    return _clean(resource)


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty and null elements."""
    return {key: value for key, value in resource.items() if value not in (None, "", [])}


def to_json(resource: dict[str, Any]) -> str:
    """A FHIR resource as readable JSON."""
    return json.dumps(resource, indent=2, ensure_ascii=False)
