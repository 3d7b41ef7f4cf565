"""Consent taken by the practitioner who treats, after the consultation: the full consent text shown, what was
discussed, why the patient wants it and what they hope for; the suitability assessment first when an appearance
question fired; the patient signs on the clinic's device. Every refusal says why and changes nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from tests.factories import audit_rows, rows
from tests.journeys import TOXIN_CONSENT_SHA, booked_patient, consult, take_consent
from tests.pages import csrf_token, location, page_text, tree

MORNING = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
BDD = {"treatment": "toxin", "bdd_diagnosis": "yes"}


@pytest.fixture(autouse=True)
def clinic_morning(clock):
    clock.at(MORNING)


def error_of(response, field: str) -> str:
    node = tree(response).by_id(f"{field}-error")
    return "" if node is None else node.text()


def consents(db_path) -> list[dict]:
    return rows(db_path, "SELECT * FROM consent ORDER BY id")


def unchanged(db_path, before_audit: int) -> bool:
    return not consents(db_path) and len(audit_rows(db_path)) == before_audit


def test_consent_taken_by_the_treating_practitioner_and_signed_on_the_clinic_device(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)

    page = page_text(ada.get(f"/clinician/submissions/{submission_id}"))
    assert "Take consent" in page and "How long results last" in page and "Tell the clinic at once if" in page

    taken = take_consent(ada, submission_id, clinician_id="999")  # a hidden field naming another clinician is ignored
    (consent,) = consents(db_path)
    assert taken.status_code == 303
    assert location(taken) == f"/clinician/submissions/{submission_id}/consent/{consent['id']}/sign"
    assert (consent["clinician_name"], consent["register"], consent["register_number"]) == ("Ada", "NMC", "12A3456E")
    assert consent["clinician_id"] == auth.account() != 999
    assert consent["text_sha256"] == TOXIN_CONSENT_SHA and consent["signed_at"] is None
    assert rows(db_path, "SELECT option, given, changed_by FROM consent_option ORDER BY option") == [
        {"option": "gp_letter", "given": 0, "changed_by": "clinician"},
        {"option": "photos_record", "given": 1, "changed_by": "clinician"},
        {"option": "photos_teaching", "given": 0, "changed_by": "clinician"},
    ]
    (event,) = audit_rows(db_path, "consent_taken")
    assert event["object_id"] == str(consent["id"]) and "Mary" not in event["detail"]
    assert "awaiting the patient's signature" in page_text(ada.get(f"/clinician/submissions/{submission_id}"))

    sign_path = location(taken)
    form = ada.get(sign_path)
    signed = ada.post(
        sign_path,
        data={
            "csrf_token": csrf_token(form),
            "consent_id": consent["id"],
            "full_name": "mary seacole",
            "understood": "y",
        },
    )
    assert signed.status_code == 303
    (consent,) = consents(db_path)
    assert consent["signed_where"] == "clinic_device" and consent["signed_name"] == "mary seacole"
    assert len(audit_rows(db_path, "consent_signed")) == 1
    assert "signed" in page_text(ada.get(f"/clinician/submissions/{submission_id}/consent"))


def test_consent_before_the_consultation_is_refused(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    before = len(audit_rows(db_path))

    refused = take_consent(ada, submission_id)

    assert refused.status_code == 400 and "Record the consultation first" in error_of(refused, "toxin-discussed")
    assert unchanged(db_path, before)


def test_consent_by_a_clinician_without_a_register_is_refused(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    consult(auth.registered_clinician(), submission_id)
    grace = auth.clinician("grace@example.org", name="Grace")
    before = len(audit_rows(db_path))

    refused = take_consent(grace, submission_id)

    assert refused.status_code == 400
    assert "Add your professional register and number" in error_of(refused, "toxin-discussed")
    assert unchanged(db_path, before)


def test_a_consent_taken_by_one_clinician_is_not_re_taken_nor_signed_by_another(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    assert take_consent(ada, submission_id).status_code == 303
    (consent,) = consents(db_path)
    bob = auth.registered_clinician("bob@example.org", name="Bob", number="98B7654F")
    before = len(audit_rows(db_path))

    refused = take_consent(bob, submission_id)
    assert refused.status_code == 400 and "taken by Ada, who will treat" in error_of(refused, "toxin-discussed")

    sign_path = f"/clinician/submissions/{submission_id}/consent/{consent['id']}/sign"
    form = bob.get(sign_path)
    not_his = bob.post(
        sign_path,
        data={
            "csrf_token": csrf_token(form),
            "consent_id": consent["id"],
            "full_name": "Mary Seacole",
            "understood": "y",
        },
    )
    assert not_his.status_code == 400 and "only they may" in error_of(not_his, "full_name")
    assert consents(db_path) == [consent] and len(audit_rows(db_path)) == before


def test_a_fired_appearance_question_needs_the_assessment_before_consent(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **BDD)
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    before = len(audit_rows(db_path))

    refused = take_consent(ada, submission_id)
    assert refused.status_code == 400
    assert "record the psychological-suitability assessment first" in error_of(refused, "toxin-discussed")
    assert unchanged(db_path, before)

    page = ada.get(f"/clinician/submissions/{submission_id}/consent")
    assessed = ada.post(
        f"/clinician/submissions/{submission_id}/assessment",
        data={"csrf_token": csrf_token(page), "outcome": "proceed_after_discussion", "note": "Realistic hopes"},
    )
    assert assessed.status_code == 303
    assert rows(db_path, "SELECT outcome FROM suitability_assessment") == [{"outcome": "proceed_after_discussion"}]
    assert len(audit_rows(db_path, "suitability_assessed")) == 1
    assert take_consent(ada, submission_id).status_code == 303 and len(consents(db_path)) == 1


def test_refer_to_the_gp_blocks_consent(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **BDD)
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    page = ada.get(f"/clinician/submissions/{submission_id}/consent")
    ada.post(
        f"/clinician/submissions/{submission_id}/assessment",
        data={"csrf_token": csrf_token(page), "outcome": "refer_gp"},
    )
    before = len(audit_rows(db_path))

    refused = take_consent(ada, submission_id)

    assert refused.status_code == 400 and "refer to the GP" in error_of(refused, "toxin-discussed")
    assert unchanged(db_path, before)


def test_a_stale_consent_text_is_refused(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    before = len(audit_rows(db_path))

    refused = take_consent(ada, submission_id, text_sha256="0" * 64)

    assert refused.status_code == 400
    assert "The consent text changed; read it again" in error_of(refused, "toxin-discussed")
    assert unchanged(db_path, before)


def test_the_reasons_and_hopes_are_required(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    before = len(audit_rows(db_path))

    refused = take_consent(ada, submission_id, reasons="  ")

    assert refused.status_code == 400 and "why the patient wants" in error_of(refused, "toxin-reasons")
    assert unchanged(db_path, before)


@pytest.mark.parametrize(
    ("typed", "tick", "field", "message"),
    [
        ("Florence Nightingale", "y", "full_name", "does not match the name you gave"),
        ("Mary Seacole", "", "understood", "Tick the box"),
    ],
)
def test_a_signature_with_the_wrong_name_or_without_the_tick_is_refused(
    app, db_path, clock, auth, typed, tick, field, message
):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    sign_path = location(take_consent(ada, submission_id))
    before = len(audit_rows(db_path))
    form = ada.get(sign_path)
    (consent,) = consents(db_path)

    refused = ada.post(
        sign_path,
        data={"csrf_token": csrf_token(form), "consent_id": consent["id"], "full_name": typed, "understood": tick},
    )

    assert refused.status_code == 400 and message in error_of(refused, field)
    assert consents(db_path) == [consent] and consent["signed_at"] is None
    assert len(audit_rows(db_path)) == before


def test_both_treatments_get_their_own_consent_form_and_text_with_no_id_twice(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), treatment="both")
    ada = auth.registered_clinician()
    consult(ada, submission_id)

    page = ada.get(f"/clinician/submissions/{submission_id}")

    html = page.get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert 'id="take-toxin"' in html and 'id="take-filler"' in html
    assert 'id="consent-text-toxin"' in html and 'id="consent-text-filler"' in html


def test_consent_to_a_treatment_the_screening_is_not_for_is_refused(app, db_path, clock, auth):
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())  # toxin only
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    before = len(audit_rows(db_path))

    refused = take_consent(ada, submission_id, treatment="filler")

    assert refused.status_code == 400
    assert "This screening is not for that treatment" in error_of(refused, "filler-discussed")
    assert unchanged(db_path, before)


def test_the_signature_makes_the_pdf_its_hash_goes_into_the_audit_chain_and_the_patient_is_sent_it(
    app, db_path, clock, auth
):
    import hashlib
    import io

    from pypdf import PdfReader

    from tests.factories import deliver

    _, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    sign_path = location(take_consent(ada, submission_id))
    form = ada.get(sign_path)
    consent_id = int(sign_path.split("/")[-2])
    signed = ada.post(
        sign_path,
        data={"csrf_token": csrf_token(form), "consent_id": consent_id, "full_name": "Mary Seacole", "understood": "y"},
    )
    assert signed.status_code == 303
    (consent,) = consents(db_path)
    assert consent["pdf_sha256"] == hashlib.sha256(consent["pdf"]).hexdigest()
    (event,) = audit_rows(db_path, "consent_signed")
    assert json.loads(event["detail"])["pdf_sha256"] == consent["pdf_sha256"]
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(consent["pdf"])).pages)
    assert 'typed the name "Mary Seacole"' in text and "Ada, NMC 12A3456E" in text

    page = ada.get(f"/clinician/submissions/{submission_id}")
    link = f"/clinician/submissions/{submission_id}/consent/{consent_id}.pdf"
    assert link in page.get_data(as_text=True)
    download = ada.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == consent["pdf_sha256"]
    assert len(audit_rows(db_path, "consent_pdf_downloaded")) == 1
    assert ada.get(f"/clinician/submissions/{submission_id}/consent/{consent_id + 1}.pdf").status_code == 404

    printed = page_text(ada.get(f"/clinician/submissions/{submission_id}/print"))
    assert f"Signed PDF SHA-256 {consent['pdf_sha256']}" in printed and f"Why: {consent['reasons']}" in printed

    (queued,) = rows(db_path, "SELECT * FROM outbox WHERE kind = 'consent_signed'")
    assert queued["consent_id"] == consent_id and queued["submission_id"] == submission_id
    assert deliver(app)["sent"] >= 1
