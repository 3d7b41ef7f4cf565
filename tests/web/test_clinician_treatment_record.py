"""The treatment record: the product (of the treatment's kind) and its batch from the clinic's list, the amount per
area in the product's unit. An expired batch and a total above the product's maximum per session are refused and
change nothing; toxin sooner than 12 weeks after the clinic's last is a warning to read, then recorded."""

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
    treated_row,
)
from tests.journeys import token_of
from tests.pages import page_text

CONSULTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # clinic time is UTC in December
TREATED = CONSULTED + timedelta(days=3)  # Friday 4 December 2026, after the cooling-off


def nothing_recorded(db_path) -> bool:
    return (
        rows(db_path, "SELECT * FROM treatment_given") == []
        and rows(db_path, "SELECT * FROM treatment_area") == []
        and audit_rows(db_path, "treatment_recorded") == []
    )


def ready(auth, db_path, clock, treatment: str = "toxin"):
    """A consented screening of Jane's, the clinic's products (Brand X toxin up to 30 units, Brand Y toxin without a
    stated maximum, Fill Z filler in ml) with a batch each, and Ada, who took the consent, signed in on 4 December."""
    clinician_id = auth.account("ada@clinic.example", name="Ada")
    clock.set(CONSULTED)
    submission_id = quick_submission(db_path, treatment)
    with db_connection(db_path) as db:
        consultation_id = consult(db, submission_id)
        db.execute("UPDATE consultation SET id_date_of_birth = '1990-07-22' WHERE id = ?", [consultation_id])
        signed_consent_row(db, submission_id, consultation_id, clinician_id, treatment, store.iso(CONSULTED))
        brand_x = product_row(db, "Brand X", max_per_session=30)
        brand_y = product_row(db, "Brand Y", max_per_session=None)
        fill_z = product_row(db, "Fill Z", kind="filler", unit="ml", max_per_session=None, generic_name="hyaluronic")
        ids = {
            "brand_x": brand_x,
            "brand_y": brand_y,
            "fill_z": fill_z,
            "x_good": batch_row(db, brand_x, "XG-100", expiry="2027-06-30"),
            "x_expired": batch_row(db, brand_x, "XE-7", expiry="2026-12-03"),
            "y_good": batch_row(db, brand_y, "YG-1"),
            "z_good": batch_row(db, fill_z, "ZG-1"),
        }
    clock.set(TREATED)
    return submission_id, ids, auth.clinician("ada@clinic.example", name="Ada")


def give(client, submission_id: int, product: int, batch: int, *areas: tuple[str, str], **fields):
    data = {"treatment": "toxin", "product_id": str(product), "batch_id": str(batch), "csrf_token": token_of(client)}
    for n, (area, amount) in enumerate(areas, start=1):
        data |= {f"area_{n}": area, f"amount_{n}": amount}
    return client.post(f"/clinician/submissions/{submission_id}/treatment", data={**data, **fields})


def test_the_form_offers_the_clinics_products_and_the_screenings_areas(auth, db_path, clock):
    submission_id, _, ada = ready(auth, db_path, clock)

    page = ada.get(f"/clinician/submissions/{submission_id}").get_data(as_text=True)

    assert "Brand X (botulinum toxin type A): toxin, in units" in page
    assert "Brand X: batch XG-100, expires 2027-06-30" in page
    assert 'value="Forehead lines"' in page and 'value="Frown lines between the eyebrows"' in page


def test_a_treatment_is_recorded_with_its_product_batch_and_amount_per_area(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)

    given = give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "10"), ("Frown lines", "12.5"))

    assert given.status_code == 303
    (row,) = rows(db_path, "SELECT * FROM treatment_given")
    assert (row["product_id"], row["batch_id"], row["clinician_name"], row["given_at"][:19]) == (
        ids["brand_x"],
        ids["x_good"],
        "Ada",
        "2026-12-04T09:00:00",
    )
    assert row["interval_warning"] == ""
    areas = rows(db_path, "SELECT area, amount, unit FROM treatment_area WHERE treatment_given_id = ?", [row["id"]])
    assert areas == [
        {"area": "Forehead lines", "amount": 10.0, "unit": "units"},
        {"area": "Frown lines", "amount": 12.5, "unit": "units"},
    ]
    (event,) = audit_rows(db_path, "treatment_recorded")
    assert json.loads(event["detail"]) == {
        "treatment": "toxin",
        "consent": row["consent_id"],
        "same_day": False,
        "product": ids["brand_x"],
        "batch": ids["x_good"],
        "warned": False,
    }


def test_an_expired_batch_is_refused_naming_the_batch_and_its_expiry(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)

    refused = give(ada, submission_id, ids["brand_x"], ids["x_expired"], ("Forehead lines", "10"))

    assert refused.status_code == 400
    assert "Batch XE-7 of Brand X expired on 3 December 2026: it cannot be used, and nothing was recorded" in page_text(
        refused
    )
    assert nothing_recorded(db_path)


def test_a_batch_used_on_its_expiry_day_is_accepted(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)
    clock.set(TREATED - timedelta(days=1))  # Thursday 3 December, the expiry date itself
    ada = auth.clinician("ada@clinic.example", name="Ada")

    assert give(ada, submission_id, ids["brand_x"], ids["x_expired"], ("Forehead lines", "10")).status_code == 303


def test_a_toxin_total_above_the_products_maximum_is_refused(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)

    refused = give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "20"), ("Frown lines", "12"))

    assert refused.status_code == 400
    assert "32 units is above Brand X's maximum of 30 units per session: nothing was recorded" in page_text(refused)
    assert nothing_recorded(db_path)
    assert give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "30")).status_code == 303


def test_totals_are_per_product_across_the_days_records(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)
    assert give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "20")).status_code == 303

    more = give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Frown lines", "12"), warning_read="y")
    assert more.status_code == 400
    assert (
        "32 units (with 20 units recorded earlier today) is above Brand X's maximum of 30 units per session"
        in page_text(more)
    )
    other_brand = give(ada, submission_id, ids["brand_y"], ids["y_good"], ("Frown lines", "40"), warning_read="y")
    assert other_brand.status_code == 303  # Brand Y's units are not Brand X's, and Brand Y states no maximum
    assert len(rows(db_path, "SELECT * FROM treatment_given")) == 2


def test_the_product_must_be_of_the_treatments_kind_and_the_batch_of_the_product(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)

    filler = give(ada, submission_id, ids["fill_z"], ids["z_good"], ("Forehead lines", "1"))
    assert filler.status_code == 400
    assert "Fill Z is a dermal filler: choose a product for the treatment given" in page_text(filler)
    wrong_batch = give(ada, submission_id, ids["brand_x"], ids["y_good"], ("Forehead lines", "10"))
    assert wrong_batch.status_code == 400 and "Choose the batch of Brand X used" in page_text(wrong_batch)
    no_product = give(ada, submission_id, "", "", ("Forehead lines", "10"))
    assert no_product.status_code == 400 and "Choose the product used" in page_text(no_product)
    assert nothing_recorded(db_path)


def test_amounts_must_be_numbers_against_named_areas(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)

    for areas, message in [
        ((("Forehead lines", "ten"),), "Enter the amount given in Forehead lines as a number of units"),
        ((("Forehead lines", "-4"),), "Enter the amount given in Forehead lines as a number of units"),
        ((("", "4"),), "Name the area given 4 units"),
        ((), "Enter the amount given in each area, in units"),
        ((("Forehead", "4"), ("forehead", "2")), "List forehead once"),
    ]:
        refused = give(ada, submission_id, ids["brand_x"], ids["x_good"], *areas)
        assert refused.status_code == 400, areas
        assert message in page_text(refused), areas
    assert nothing_recorded(db_path)


def test_toxin_within_12_weeks_of_the_clinics_last_is_a_warning_to_read_then_recorded(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)
    earlier = quick_submission(db_path, "toxin")  # Jane again: same email and date of birth
    with db_connection(db_path) as db:
        treated_row(db, earlier, given_at="2026-09-25T10:00:00Z", product_id=ids["brand_x"], batch_id=ids["x_good"])
        treated_row(db, earlier, given_at="2026-06-01T10:00:00Z", product_id=ids["brand_x"], batch_id=ids["x_good"])
    before = len(rows(db_path, "SELECT * FROM treatment_given"))

    warned = give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "10"))

    assert warned.status_code == 400
    text = page_text(warned)
    assert (
        "The clinic's record shows toxin given on 25 September 2026: less than 12 weeks before today, 4 December 2026"
        in text
    )
    assert "1 June 2026" not in text  # more than 12 weeks before
    assert "I have read the warning" in text
    assert len(rows(db_path, "SELECT * FROM treatment_given")) == before
    assert audit_rows(db_path, "treatment_recorded") == []

    read = give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "10"), warning_read="y")
    assert read.status_code == 303
    (row,) = rows(db_path, "SELECT * FROM treatment_given WHERE submission_id = ?", [submission_id])
    assert row["interval_warning"].startswith("The clinic's record shows toxin given on 25 September 2026")
    (event,) = audit_rows(db_path, "treatment_recorded")
    assert json.loads(event["detail"])["warned"] is True


def test_no_warning_twelve_weeks_or_more_after_the_last(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)
    earlier = quick_submission(db_path, "toxin")
    with db_connection(db_path) as db:
        treated_row(db, earlier, given_at="2026-09-11T08:00:00Z", product_id=ids["brand_x"], batch_id=ids["x_good"])

    assert give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Forehead lines", "10")).status_code == 303


def test_without_a_signed_consent_the_product_record_is_refused_too(auth, db_path, clock):
    _, ids, _ = ready(auth, db_path, clock)
    unconsented = quick_submission(db_path, "toxin")
    ada = auth.clinician("ada@clinic.example", name="Ada")

    refused = give(ada, unconsented, ids["brand_x"], ids["x_good"], ("Forehead lines", "10"))

    assert refused.status_code == 400
    assert "The patient has not signed consent to anti-wrinkle injections" in page_text(refused)
    assert nothing_recorded(db_path)


def test_a_refused_form_comes_back_as_it_was_sent(auth, db_path, clock):
    submission_id, ids, ada = ready(auth, db_path, clock)

    refused = give(ada, submission_id, ids["brand_x"], ids["x_good"], ("Neck bands", "ten"))

    page = refused.get_data(as_text=True)
    assert 'value="Neck bands"' in page and 'value="ten"' in page
    assert 'value="Frown lines between the eyebrows"' not in page  # the screening's areas fill a fresh form only
    assert f'<option value="{ids["x_good"]}" selected>' in page
