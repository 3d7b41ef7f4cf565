"""Recording the treatment given: only after a signed consent and the cooling-off, only by the practitioner who took
the consent; a same-day treatment only where the clinic allows it, with a reason, audited as same-day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from screening import store
from tests.factories import (
    audit_rows,
    batch_row,
    consult,
    db_connection,
    product_row,
    quick_submission,
    rows,
    signed_consent_row,
)
from tests.journeys import token_of
from tests.pages import page_text, post_form

CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # clinic time is UTC in December


def consulted(db, submission_id: int) -> int:
    """A consultation record, with the identity document's date of birth the submission page shows (the factory's
    record leaves it out)."""
    consultation_id = consult(db, submission_id)
    db.execute("UPDATE consultation SET id_date_of_birth = '1990-05-04' WHERE id = ?", [consultation_id])
    return consultation_id


PRODUCTS = "/clinician/admin/products"


def consented(db_path, clock, clinician_id: int) -> int:
    clock.set(CONSULTED)
    submission_id = quick_submission(db_path, "toxin")
    with db_connection(db_path) as db:
        consultation_id = consulted(db, submission_id)
        signed_consent_row(db, submission_id, consultation_id, clinician_id, "toxin", store.iso(CONSULTED))
        batch_row(db, product_row(db))  # Brand X, product 1, batch 1
    return submission_id


def given_rows(db_path) -> list[dict]:
    return rows(db_path, "SELECT * FROM treatment_given")


def give(client, submission_id: int, **fields):
    return client.post(
        f"/clinician/submissions/{submission_id}/treatment",
        data={
            "treatment": "toxin",
            "product_id": "1",
            "batch_id": "1",
            "area_1": "Forehead lines",
            "amount_1": "10",
            "csrf_token": token_of(client),
            **fields,
        },
    )


def allow_same_day(db_path) -> None:
    with db_connection(db_path) as db:
        store.save_clinic_settings(
            db, {"same_day_treatment": "1"}, None, store.AuditEvent(action="clinic_settings_changed", actor_role="s")
        )


def signed_in_at(auth, clock, moment: datetime, email: str = "ada@clinic.example", name: str = "Ada"):
    """A clinician's browser signed in at `moment` (a session idles out when the clock jumps days)."""
    clock.set(moment)
    return auth.clinician(email, name=name)


def test_without_a_signed_consent_nothing_is_recorded(auth, db_path, clock):
    clock.set(CONSULTED)
    submission_id = quick_submission(db_path, "toxin")
    with db_connection(db_path) as db:
        consulted(db, submission_id)
    ada = signed_in_at(auth, clock, CONSULTED + timedelta(days=5))

    refused = give(ada, submission_id)
    assert refused.status_code == 400
    assert "The patient has not signed consent to anti-wrinkle injections" in page_text(refused)
    assert given_rows(db_path) == [] and audit_rows(db_path, "treatment_recorded") == []


def test_inside_the_cooling_off_it_is_refused_with_the_date_and_after_it_recorded(auth, db_path, clock):
    submission_id = consented(db_path, clock, auth.account("ada@clinic.example", name="Ada"))
    ada = signed_in_at(auth, clock, CONSULTED + timedelta(hours=47))

    page = page_text(ada.get(f"/clinician/submissions/{submission_id}"))
    assert "cooling off until Thursday 3 December 2026, 9:00am" in page
    patient_page = page_text(ada.get(f"/clinician/patients/{submission_id}"))
    assert "Anti-wrinkle injections: cooling off until Thursday 3 December 2026, 9:00am (consent taken by Ada)" in (
        patient_page
    )
    refused = give(ada, submission_id)
    assert refused.status_code == 400
    assert "The cooling-off runs until Thursday 3 December 2026, 9:00am" in page_text(refused)
    assert given_rows(db_path) == []

    ada = signed_in_at(auth, clock, CONSULTED + timedelta(hours=48))
    assert give(ada, submission_id).status_code == 303
    (given,) = rows(db_path, "SELECT * FROM treatment_given")
    assert (given["submission_id"], given["treatment"], given["clinician_name"], given["same_day_reason"]) == (
        submission_id,
        "toxin",
        "Ada",
        "",
    )
    (event,) = audit_rows(db_path, "treatment_recorded")
    assert json.loads(event["detail"])["same_day"] is False
    assert "Anti-wrinkle injections: given Thursday 3 December 2026, 9:00am (consent taken by Ada)" in page_text(
        ada.get(f"/clinician/submissions/{submission_id}")
    )


def test_only_the_practitioner_who_took_the_consent_may_record_it(auth, db_path, clock):
    submission_id = consented(db_path, clock, auth.account("ada@clinic.example", name="Ada"))
    bo = signed_in_at(auth, clock, CONSULTED + timedelta(days=3), "bo@clinic.example", "Bo")

    refused = give(bo, submission_id)
    assert refused.status_code == 400
    assert "Ada took this consent and must give the treatment" in page_text(refused)
    assert given_rows(db_path) == [] and audit_rows(db_path, "treatment_recorded") == []


def test_same_day_treatment_needs_the_clinics_setting_and_a_reason_and_is_audited_as_same_day(auth, db_path, clock):
    submission_id = consented(db_path, clock, auth.account("ada@clinic.example", name="Ada"))
    ada = signed_in_at(auth, clock, CONSULTED + timedelta(hours=2))

    off = give(ada, submission_id, same_day="y", reason="Travelling abroad for work")
    assert off.status_code == 400 and "cannot be recorded before then" in page_text(off)

    allow_same_day(db_path)
    unticked = give(ada, submission_id, reason="Travelling abroad for work")
    assert unticked.status_code == 400 and "tick same-day treatment and give the reason" in page_text(unticked)
    no_reason = give(ada, submission_id, same_day="y", reason="  ")
    assert no_reason.status_code == 400 and "Give the reason for treating inside the cooling-off" in page_text(
        no_reason
    )
    assert given_rows(db_path) == []

    assert give(ada, submission_id, same_day="y", reason="Travelling abroad for work").status_code == 303
    (given,) = rows(db_path, "SELECT * FROM treatment_given")
    assert given["same_day_reason"] == "Travelling abroad for work"
    (event,) = audit_rows(db_path, "treatment_recorded")
    assert json.loads(event["detail"])["same_day"] is True


def test_a_product_the_admin_retires_leaves_the_treatment_form_and_returns_when_put_back_in_use(auth, db_path, clock):
    submission_id = consented(db_path, clock, auth.account("ada@clinic.example", name="Ada"))
    ada = signed_in_at(auth, clock, CONSULTED + timedelta(days=3))
    grace = auth.admin()
    screening, products, in_use = f"/clinician/submissions/{submission_id}", PRODUCTS, f"{PRODUCTS}/1/in-use"
    assert "Brand X (botulinum toxin type A)" in ada.get(screening).get_data(as_text=True)

    assert post_form(grace, in_use, {"in_use": "no"}, products).status_code == 303
    page = ada.get(screening).get_data(as_text=True)
    assert "Brand X (botulinum" not in page and "Brand X: batch" not in page
    assert "Brand X botulinum toxin type A toxin units 30 units Retired Put back in use" in page_text(
        grace.get(products)
    )
    refused = give(ada, submission_id)  # a form left open from before names the retired product
    assert refused.status_code == 400
    assert "Choose the product used, from the clinic's list: nothing was recorded" in page_text(refused)
    assert given_rows(db_path) == []
    assert post_form(grace, in_use, {"in_use": "no"}, products).status_code == 303  # retired already: no change

    assert post_form(grace, in_use, {"in_use": "yes"}, products).status_code == 303
    assert "Brand X botulinum toxin type A toxin units 30 units In use Retire" in page_text(grace.get(products))
    assert give(ada, submission_id).status_code == 303
    assert [(e["action"], e["object_id"]) for e in audit_rows(db_path) if e["action"].startswith("product_")] == [
        ("product_retired", "1"),
        ("product_back_in_use", "1"),
    ]
    assert grace.post(f"{PRODUCTS}/999/in-use", data={"in_use": "no", "csrf_token": token_of(grace)}).status_code == 404
    assert ada.post(in_use, data={"in_use": "no", "csrf_token": token_of(ada)}).status_code == 403
