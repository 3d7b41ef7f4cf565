"""The queue and the cautions list show who (name, age today, treatments and areas), the fired
rules by plain title with level, waiting time only while pending, and a heading that says what the filter shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from screening.domain.questionnaire import age_in_years
from screening.domain.rule_titles import TITLES, rule_title
from screening.services.people import queue_heading
from tests.factories import (
    BASELINE_DOB,
    CAUTION,
    CLEAR,
    REVIEW_BOTH,
    REVIEW_TOXIN,
    RULESET,
    quick_submission,
)
from tests.journeys import QUEUE_PATH, decide
from tests.pages import page_text, tree


@pytest.fixture
def clinician(clock, auth):
    clock.at(datetime(2025, 6, 4, 10, 0, tzinfo=UTC))  # every test here runs on from a June morning in 2025
    return auth.clinician()


def row_texts(page) -> list[str]:
    return [row.text().replace(" ,", ",") for row in tree(page).find_all("tr")[1:]]


def test_queue_rows_show_name_age_treatment_areas_and_rule_titles(db_path, clinician, clock):
    quick_submission(db_path, full_name="Mary Seacole", **REVIEW_TOXIN)
    page = clinician.get(QUEUE_PATH)
    (row,) = row_texts(page)
    age = age_in_years(BASELINE_DOB, clock.today())
    assert age == 34
    assert f"Mary Seacole, {age}" in row
    assert "Toxin review" in row
    assert "Forehead lines, Frown lines between the eyebrows" in row
    assert "Other neurological condition review" in row
    assert "toxin_other_neuro" not in page.get_data(as_text=True)  # ids only on the detail page
    assert "waiting 0 min" in row


def test_both_treatments_listed_with_their_own_outcome_and_areas(db_path, clinician):
    quick_submission(db_path, full_name="Edith Cavell", **REVIEW_BOTH)
    (row,) = row_texts(clinician.get(QUEUE_PATH))
    assert "Toxin review" in row and "Filler review" in row and "Cheeks" in row


def test_waiting_time_only_while_pending(app, db_path, clinician):
    decided = quick_submission(db_path, **REVIEW_TOXIN)
    assert decide(clinician, decided, action="decline", private_note="Not suitable").status_code == 303
    quick_submission(db_path, **CLEAR)
    page = clinician.get(QUEUE_PATH, query_string={"level": "any", "state": "any"})
    texts = row_texts(page)
    assert len(texts) == 2
    assert not any("waiting" in text for text in texts)
    assert "declined" in " ".join(texts)


def test_heading_says_what_the_filter_shows(clinician):
    def heading(**query) -> str:
        return tree(clinician.get(QUEUE_PATH, query_string=query)).find_all("h1")[0].text()

    assert heading() == "Screenings waiting for a decision"
    assert heading(level="clear", state="any") == "Clear screenings"
    assert heading(level="review", state="approved") == "Review-level screenings approved"
    assert heading(level="any", state="any") == "All screenings"
    assert (
        heading(level="caution", state="any", treatment="filler") == "Caution-level screenings asking for dermal filler"
    )


def test_cautions_list_shows_who_and_never_a_waiting_time(db_path, clinician):
    quick_submission(db_path, full_name="Florence Nightingale", **CAUTION)
    text = page_text(clinician.get("/clinician/cautions"))
    assert "Florence Nightingale" in text
    assert "Event coming up caution" in text
    assert "waiting" not in text


def test_every_shipped_rule_has_a_plain_title():
    assert {rule.id for rule in RULESET.rules} == set(TITLES)
    assert rule_title("filler_something_new") == "Something new (filler)"


def test_queue_heading_with_dates():
    from datetime import date

    text = queue_heading({"level": "review", "state": "pending", "treatment": "any", "since": date(2026, 1, 2)})
    assert text == "Review-level screenings waiting for a decision sent from 2026-01-02"
