"""The rules catalogue (/clinician/rules), a submission's rules diff and "try a case" (admins): plain words, search
without JavaScript, overrides marked wherever a rule is shown, nothing stored when trying a case."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from screening.db import connect
from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    RULESET,
    actions,
    answers_by_step,
    make_admin,
    make_app,
    make_clinician,
    quick_submission,
    rows,
)
from tests.journeys import form_fields, signed_in, submit_through_form
from tests.pages import csrf_token, page_text

RAISE_HEART = '[rules.toxin_heart_condition]\nlevel = "review"\nreason = "Our prescriber sees every cardiac history."\n'


def flat(treatment: str = "toxin", **answers) -> dict:
    merged: dict = {}
    for step in answers_by_step(treatment, **answers).values():
        merged |= step
    return merged


def test_the_catalogue_needs_a_signed_in_clinician(app):
    response = app.test_client().get("/clinician/rules/")
    assert response.status_code in (302, 303) and "/clinician/login" in response.headers["Location"]


def test_every_rule_and_question_in_plain_words(auth):
    page = auth.clinician().get("/clinician/rules/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for rule in RULESET.rules:
        assert f'id="rule-{rule.id}"' in html
    for question in RULESET.questionnaire.questions:
        assert f'id="question-{question.id}"' in html
    text = page_text(page)
    assert "Fires when the patient is under 18." in text
    assert "has_any(" not in html and "age_years" not in text
    assert "Rules (45)" in text and "Questions (42)" in text
    assert 'href="https://' in html  # sources link out
    assert page.headers["Cache-Control"] == "no-store"


def test_search_filters_rules_and_questions_with_a_plain_get(auth):
    client = auth.clinician()
    text = page_text(client.get("/clinician/rules/?q=Keloid"))
    assert "1 of 45 rules and 1 of 42 questions match “Keloid”" in text
    assert "filler_keloid" in text and "toxin_heart_condition" not in text
    lidocaine = page_text(client.get("/clinician/rules/?q=lidocaine"))  # also found in rationales
    assert "filler_lidocaine_allergy" in lidocaine and "toxin_heart_condition" not in lidocaine
    both = page_text(client.get("/clinician/rules/?q=review+filler+scar"))
    assert "filler_keloid" in both and "1 of 45 rules" in both
    none = page_text(client.get("/clinician/rules/?q=zebra"))
    assert "No rule matches." in none and "No question matches." in none


def test_overrides_are_marked_in_the_catalogue_and_on_the_submission_page(tmp_path: Path):
    (tmp_path / "overrides.toml").write_text(RAISE_HEART)
    app = make_app(tmp_path)
    db_path = Path(app.config["DATABASE"])
    make_clinician(db_path)
    client = signed_in(app)
    catalogue = page_text(client.get("/clinician/rules/?q=heart"))
    assert (
        "Clinic override: shipped as caution, raised from caution to review"
        " (reason: Our prescriber sees every cardiac history.)" in catalogue
    )
    _, submission_id = submit_through_form(app, heart_condition="yes")
    page = client.get(f"/clinician/submissions/{submission_id}")
    text = page_text(page)
    assert "Clinic override: shipped as caution, review for this clinic" in text
    assert 'href="/clinician/rules/#rule-toxin_heart_condition"' in page.get_data(as_text=True)


def test_the_rules_diff_of_a_submission_is_for_admins(tmp_path: Path):
    app = make_app(tmp_path)
    db_path = Path(app.config["DATABASE"])
    make_clinician(db_path)
    make_admin(db_path)
    submission_id = quick_submission(db_path, "toxin", heart_condition="yes")
    assert signed_in(app).get(f"/clinician/rules/diff/{submission_id}").status_code == 403
    admin = signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    same = page_text(admin.get(f"/clinician/rules/diff/{submission_id}"))
    assert "The rules have not changed since this screening was judged." in same
    # The clinic adds an override: a new version; the old one was archived when the first server started.
    (tmp_path / "overrides.toml").write_text(RAISE_HEART)
    later = make_app(tmp_path)
    admin = signed_in(later, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = admin.get(f"/clinician/submissions/{submission_id}")
    assert f'href="/clinician/rules/diff/{submission_id}"' in page.get_data(as_text=True)
    text = page_text(admin.get(f"/clinician/rules/diff/{submission_id}"))
    assert "Override added: rule 'toxin_heart_condition' raised from caution to review" in text
    assert "No differences in questions, rules or sources." in text
    assert "rules_diff_viewed" in actions(db_path)


def test_a_version_that_was_never_archived_is_said_plainly(db_path, auth):
    make_admin(db_path)
    submission_id = quick_submission(db_path)
    with closing(connect(db_path)) as db:
        db.execute("UPDATE submission SET ruleset_version = 'feedfacefeedface' WHERE id = ?", [submission_id])
    text = page_text(auth.admin().get(f"/clinician/rules/diff/{submission_id}"))
    assert "The rules of version feedfacefeedface are not available to compare" in text


@pytest.fixture
def admin(db_path, auth):
    make_clinician(db_path)
    return auth.admin()


def test_try_a_case_is_for_admins(app, db_path, admin):
    assert signed_in(app).get("/clinician/rules/try").status_code == 403
    assert admin.get("/clinician/rules/try").status_code == 200


def test_try_a_case_judges_under_the_current_rules_and_a_draft_and_stores_nothing(app, db_path, admin):
    page = admin.get("/clinician/rules/try")
    submissions_before, events_before = len(rows(db_path, "SELECT id FROM submission")), len(actions(db_path))
    data = {**form_fields(flat("both", heart_condition="yes")), "screening_date": "2026-03-10"}
    data["draft_overrides"] = RAISE_HEART
    response = admin.post("/clinician/rules/try", data={**data, "csrf_token": csrf_token(page)})
    assert response.status_code == 200
    text = page_text(response)
    assert "The current rules (rule set " in text and ": caution" in text
    assert "With the draft overrides (rule set " in text
    assert "toxin_heart_condition (clinic override: raised from caution to review" in text
    assert len(rows(db_path, "SELECT id FROM submission")) == submissions_before
    assert len(actions(db_path)) == events_before  # nothing recorded, as a patient or otherwise
    assert "submission_created" not in actions(db_path)


def test_a_refused_draft_is_a_field_error_and_changes_nothing(app, db_path, admin):
    page = admin.get("/clinician/rules/try")
    data = {**form_fields(flat("toxin")), "draft_overrides": '[rules.toxin_allergy]\nlevel = "caution"\nreason = "x"\n'}
    response = admin.post("/clinician/rules/try", data={**data, "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    text = page_text(response)
    assert "There is a problem" in text
    assert "rule 'toxin_allergy': a decline rule can never be lowered (asked: caution)" in text
    bad_date = admin.post(
        "/clinician/rules/try",
        data={**form_fields(flat()), "screening_date": "10/03/2026", "csrf_token": csrf_token(page)},
    )
    assert bad_date.status_code == 400 and "Enter the date as YYYY-MM-DD" in page_text(bad_date)
    assert admin.post("/clinician/rules/try", data=form_fields(flat())).status_code == 400  # no CSRF token


def test_try_a_case_starts_from_a_stored_submission(app, db_path, admin):
    submission_id = quick_submission(db_path, "toxin", upcoming_event="yes")
    page = admin.get(f"/clinician/rules/try?from={submission_id}")
    html = page.get_data(as_text=True)
    assert f"Answers loaded from screening {submission_id} (stored outcome: caution)" in page_text(page)
    assert 'id="upcoming_event-yes" name="upcoming_event" type="radio"\n                   value="yes" checked' in html
    assert "try_case_from_submission" in actions(db_path)
    missing = admin.get("/clinician/rules/try?from=999999")
    assert "No stored screening has the reference '999999'" in page_text(missing)
