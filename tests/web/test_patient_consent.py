"""The patient's side of consent, from their private page: signing a consent the practitioner took (typed full name
and a tick, no JavaScript), giving or withdrawing each optional consent, withdrawing consent to the treatment; never
another patient's consent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import audit_rows, rows
from tests.journeys import booked_patient, consult, take_consent
from tests.pages import csrf_token, location, page_text, tree

MORNING = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clinic_morning(clock):
    clock.at(MORNING)


@pytest.fixture
def consented(app, db_path, clock, auth):
    """A patient whose practitioner took consent to toxin (photographs for the record ticked); not signed yet."""
    patient, submission_id, _ = booked_patient(app, db_path, now=clock.now())
    ada = auth.registered_clinician()
    consult(ada, submission_id)
    assert take_consent(ada, submission_id).status_code == 303
    (consent,) = rows(db_path, "SELECT * FROM consent")
    return patient, consent


def consent_row(db_path) -> dict:
    (consent,) = rows(db_path, "SELECT * FROM consent")
    return consent


def sign(patient, consent_id, **fields):
    page = patient.get("/")  # any page's token: a withdrawn consent, or another patient's page, has no form
    data = {"csrf_token": csrf_token(page), "full_name": "Mary Seacole", "understood": "y", **fields}
    prefixed = {f"consent-{consent_id}-{key}": value for key, value in data.items()}  # one form per consent
    return patient.post("/your-result/consent/sign", data={**prefixed, "consent_id": consent_id})


def test_the_patient_signs_from_the_private_page(db_path, consented):
    patient, consent = consented
    page = page_text(patient.get("/your-result"))
    assert "Your consent" in page and "awaiting your signature" in page and "Rare but serious risks" in page

    signed = sign(patient, consent["id"], full_name="MARY  SEACOLE")

    assert signed.status_code == 303 and location(signed) == "/your-result/consent"
    saved = consent_row(db_path)
    assert saved["signed_where"] == "private_page" and saved["signed_at"]
    (event,) = audit_rows(db_path, "consent_signed")
    assert "private_page" in event["detail"] and "Mary" not in event["detail"]
    assert "signed" in page_text(patient.get("/your-result/consent"))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"full_name": "Mary Smith"}, "full_name", "does not match the name you gave"),
        ({"understood": ""}, "understood", "Tick the box"),
    ],
)
def test_a_wrong_name_or_no_tick_is_refused_and_nothing_changes(db_path, consented, fields, field, message):
    patient, consent = consented
    before = len(audit_rows(db_path))

    refused = sign(patient, consent["id"], **fields)

    assert refused.status_code == 400
    node = tree(refused).by_id(f"consent-{consent['id']}-{field}-error")
    assert node is not None and message in node.text()
    assert consent_row(db_path) == consent and len(audit_rows(db_path)) == before


def test_a_withdrawn_photo_consent_shows_on_the_next_page(db_path, consented):
    patient, consent = consented
    page = patient.get("/your-result")
    assert "Photographs for my clinical record: given" in page_text(page)

    withdrawn = patient.post(
        "/your-result/consent/option",
        data={"csrf_token": csrf_token(page), "consent_id": consent["id"], "option": "photos_record", "given": "no"},
    )

    assert withdrawn.status_code == 303
    assert "Photographs for my clinical record: not given" in page_text(patient.get(location(withdrawn)))
    history = rows(db_path, "SELECT given, changed_by FROM consent_option WHERE option = 'photos_record' ORDER BY id")
    assert history == [{"given": 1, "changed_by": "clinician"}, {"given": 0, "changed_by": "patient"}]
    (event,) = audit_rows(db_path, "consent_option_changed")
    assert "photos_record" in event["detail"] and "Mary" not in event["detail"]


def test_the_patient_withdraws_consent_to_the_treatment(db_path, consented):
    patient, consent = consented
    page = patient.get("/your-result")

    withdrawn = patient.post(
        "/your-result/consent/withdraw", data={"csrf_token": csrf_token(page), "consent_id": consent["id"]}
    )

    assert withdrawn.status_code == 303 and consent_row(db_path)["withdrawn_at"]
    assert len(audit_rows(db_path, "consent_withdrawn")) == 1
    assert "withdrawn" in page_text(patient.get("/your-result/consent"))
    late = sign(patient, consent["id"])  # a withdrawn consent is not signed
    assert late.status_code == 400 and "This consent was withdrawn: it cannot be signed" in page_text(late)
    assert consent_row(db_path)["signed_at"] is None


def test_a_patient_cannot_act_on_another_patients_consent(app, db_path, clock, consented):
    _, consent = consented
    other, _, _ = booked_patient(app, db_path, now=clock.now(), name="Florence Nightingale", email="fn@example.org")
    before = len(audit_rows(db_path))
    token = csrf_token(other.get("/"))

    assert sign(other, consent["id"], full_name="Florence Nightingale").status_code == 404
    assert (
        other.post(
            "/your-result/consent/option",
            data={"csrf_token": token, "consent_id": consent["id"], "option": "photos_record", "given": "no"},
        ).status_code
        == 404
    )
    assert (
        other.post("/your-result/consent/withdraw", data={"csrf_token": token, "consent_id": consent["id"]}).status_code
        == 404
    )
    assert consent_row(db_path) == consent
    assert len(rows(db_path, "SELECT * FROM consent_option")) == 3
    assert len(audit_rows(db_path)) == before


def test_the_patient_downloads_the_pdf_they_signed_and_no_one_elses(app, db_path, clock, auth, consented):
    import hashlib
    import io

    from pypdf import PdfReader

    patient, consent = consented
    assert patient.get(f"/your-result/consent/{consent['id']}.pdf").status_code == 404  # nothing signed yet
    sign(patient, consent["id"])
    saved = consent_row(db_path)
    link = f"/your-result/consent/{consent['id']}.pdf"
    assert link in patient.get("/your-result/consent").get_data(as_text=True)
    download = patient.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == saved["pdf_sha256"]
    words = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(download.data)).pages)
    assert "from the patient's private page" in words
    (event,) = audit_rows(db_path, "consent_pdf_downloaded")
    assert event["actor_role"] == "patient" and event["object_id"] == str(consent["id"])

    other, _, _ = booked_patient(app, db_path, now=clock.now())
    assert other.get(link).status_code == 404


@pytest.mark.languages("en,es")
def test_a_spanish_patient_is_told_in_spanish_that_the_typed_name_is_not_theirs_and_nothing_is_signed(
    db_path, consented
):
    patient, consent = consented
    assert patient.get("/language/es?next=/your-result/consent").status_code == 303
    refused = sign(patient, consent["id"], full_name="Someone Else")
    assert refused.status_code == 400
    assert "El nombre que ha escrito, Someone Else, no coincide con el nombre que nos dio, Mary Seacole" in page_text(
        refused
    )
    assert consent_row(db_path)["signed_at"] is None
