"""Any clinician finds a patient by name, email, date of birth or reference; a patient page groups
one person's screenings, versions, decisions and appointments (same email and date of birth), newest first."""

from __future__ import annotations

from screening import store
from tests.factories import CAUTION, REVIEW_TOXIN, db_connection, quick_submission, rows
from tests.journeys import booked_patient, decide
from tests.pages import page_text, tree


def found_ids(page) -> list[int]:
    links = [
        a.attrs["href"] for a in tree(page).find_all("a") if a.attrs.get("href", "").startswith("/clinician/patients/")
    ]
    return [int(href.rsplit("/", 1)[1]) for href in links]


def search(client, **query):
    return client.get("/clinician/patients", query_string=query)


def test_search_by_surname_email_date_of_birth_and_reference(db_path, auth):
    mary = quick_submission(db_path, full_name="Mary Seacole", **REVIEW_TOXIN)
    edith = quick_submission(db_path, full_name="Edith Cavell", **CAUTION)
    clinician = auth.registered_clinician()

    assert found_ids(search(clinician, q="seacole")) == [mary]
    assert found_ids(search(clinician, q="Mary Sea")) == [mary]
    assert found_ids(search(clinician, q="jane@example.org")) == [edith, mary]  # both used the helper's email
    assert found_ids(search(clinician, dob="1990-07-22")) == [edith, mary]
    assert found_ids(search(clinician, q="cavell", dob="1990-07-22")) == [edith]
    assert found_ids(search(clinician, q=f"#{edith}")) == [edith]
    assert found_ids(search(clinician, q=str(mary))) == [mary]
    assert found_ids(search(clinician, q="nobody", dob="1990-07-22")) == []
    assert "No patient matches" in page_text(search(clinician, q="nobody"))
    searched = rows(db_path, "SELECT detail FROM audit_event WHERE action = 'patients_searched'")
    assert len(searched) == 9 and not any("seacole" in row["detail"].lower() for row in searched)


def test_search_treats_wildcards_as_letters(db_path, auth):
    quick_submission(db_path, full_name="Mary Seacole", **REVIEW_TOXIN)
    clinician = auth.registered_clinician()
    assert found_ids(search(clinician, q="%%")) == []
    assert found_ids(search(clinician, q="M_ry")) == []


def test_an_empty_or_bad_search_says_what_to_do(auth):
    clinician = auth.registered_clinician()
    empty = search(clinician, q="  ")
    assert "Enter a name, email address or screening reference, or a date of birth" in page_text(empty)
    bad_date = search(clinician, q="x", dob="1990-02-31")
    assert "Enter the date of birth as a real date" in page_text(bad_date)


def test_unknown_patient_gets_a_clear_page_and_nothing_is_recorded(db_path, auth):
    clinician = auth.registered_clinician()
    before = rows(db_path, "SELECT count(*) AS n FROM audit_event")[0]["n"]
    page = clinician.get("/clinician/patients/999")
    assert page.status_code == 404
    assert "No patient has a screening with the reference 999" in page_text(page)
    assert rows(db_path, "SELECT count(*) AS n FROM audit_event WHERE action = 'patient_viewed'")[0]["n"] == 0
    assert rows(db_path, "SELECT count(*) AS n FROM audit_event")[0]["n"] >= before


def test_patient_page_groups_screenings_versions_decisions_and_appointments(app, db_path, clock, auth):
    _, booked, _ = booked_patient(
        app, db_path, now=clock.now(), name="Mary Seacole", email="mary@example.org", **REVIEW_TOXIN
    )
    clinician = auth.registered_clinician()
    later = quick_submission(db_path, full_name="Mary Seacole", **REVIEW_TOXIN)
    with db_connection(db_path) as db:
        db.execute("UPDATE submission SET email = 'mary@example.org' WHERE id = ?", [later])
        store.reseal_submission(db, later)  # as if stored with that email: the seal guards direct edits
    assert decide(clinician, later, action="decline", private_note="Needs a neurologist's letter").status_code == 303
    someone_else = quick_submission(db_path, full_name="Mary Seacole", **REVIEW_TOXIN)  # another email: not her

    page = clinician.get(f"/clinician/patients/{booked}")
    text = page_text(page)
    headings = [h.text() for h in tree(page).find_all("h3")]
    assert [h.split(",")[0].strip() for h in headings] == [f"Screening {later}", f"Screening {booked}"]
    assert f"Screening {someone_else}" not in text
    assert "decline by Ada" in text and "Needs a neurologist's letter" in text
    assert "approve by Bo" in text
    assert "with Ada, screening" in text and "booked" in text
    assert rows(db_path, "SELECT count(*) AS n FROM audit_event WHERE action = 'patient_viewed'")[0]["n"] == 1


def test_submission_links_to_the_patient_page(db_path, auth):
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    clinician = auth.registered_clinician()
    html = clinician.get(f"/clinician/submissions/{submission_id}").get_data(as_text=True)
    assert f'href="/clinician/patients/{submission_id}"' in html
