"""Answer validation (spec 1.1): bad answers raise InvalidAnswers naming the question and the value sent."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from screening.domain import InvalidAnswers
from tests.factories import SCREENING_DATE, answers_for, normalise


def errors_for(raw: dict, on: date = SCREENING_DATE):
    with pytest.raises(InvalidAnswers) as raised:
        normalise(raw, on)
    return raised.value


def without(raw: dict, *keys: str) -> dict:
    return {key: value for key, value in raw.items() if key not in keys}


@pytest.mark.parametrize(
    ("raw", "question_id", "value"),
    [
        # A single-choice option the question does not have.
        (answers_for("toxin", sex_at_birth="other"), "sex_at_birth", "other"),
        (answers_for("toxin", treatment_requested="laser"), "treatment_requested", "laser"),
        # A yes/no answered with something else.
        (answers_for("toxin", upcoming_event="maybe"), "upcoming_event", "maybe"),
        # A multi-choice option the question does not have.
        (answers_for("toxin", toxin_areas=["forehead", "eyebrows"]), "toxin_areas", ["forehead", "eyebrows"]),
        # An option of another question ("lips" belongs to filler_areas).
        (answers_for("toxin", toxin_areas=["lips"]), "toxin_areas", ["lips"]),
        # Malformed dates: month 13, day-first with slashes, a word, 29 February in a non-leap year.
        (answers_for("toxin", date_of_birth="2025-13-01"), "date_of_birth", "2025-13-01"),
        (answers_for("toxin", date_of_birth="01/02/1990"), "date_of_birth", "01/02/1990"),
        (answers_for("toxin", date_of_birth="yesterday"), "date_of_birth", "yesterday"),
        (answers_for("toxin", date_of_birth="1990-02-29"), "date_of_birth", "1990-02-29"),
        # A date that is not a string.
        (answers_for("toxin", date_of_birth=date(1990, 7, 22)), "date_of_birth", date(1990, 7, 22)),
        # A date of birth after the screening date.
        (answers_for("toxin", date_of_birth="2025-03-11"), "date_of_birth", "2025-03-11"),
        # A last toxin treatment after the screening date.
        (answers_for("toxin", previous_toxin="yes", last_toxin_date="2025-04-01"), "last_toxin_date", "2025-04-01"),
        # "none" ticked with another option.
        (answers_for("toxin", neuro_conditions=["none", "epilepsy"]), "neuro_conditions", ["none", "epilepsy"]),
        (
            answers_for("filler", vaccine_or_dental=["dental_recent", "none"]),
            "vaccine_or_dental",
            ["dental_recent", "none"],
        ),
        # A multi-choice answer sent as a string instead of a list.
        (answers_for("toxin", blood_thinners="none"), "blood_thinners", "none"),
        (answers_for("filler", filler_areas="lips"), "filler_areas", "lips"),
        # A single-choice answer that is not a string.
        (answers_for("toxin", has_allergies=True), "has_allergies", True),
        (answers_for("toxin", pregnant=["no"]), "pregnant", ["no"]),
        # Free text that is not text.
        (answers_for("toxin", current_medicines=42), "current_medicines", 42),
    ],
    ids=[
        "single-unknown-option",
        "treatment-unknown-option",
        "yes-no-maybe",
        "multi-unknown-option",
        "multi-option-of-other-question",
        "date-month-13",
        "date-day-first",
        "date-word",
        "date-not-leap",
        "date-not-string",
        "future-birth",
        "future-last-toxin",
        "none-with-other",
        "other-with-none",
        "multi-as-string",
        "areas-as-string",
        "single-as-bool",
        "single-as-list",
        "text-as-number",
    ],
)
def test_invalid_answer_is_rejected_naming_question_and_value(raw, question_id, value):
    invalid = errors_for(raw)

    assert [(error.question_id, error.value) for error in invalid.errors] == [(question_id, value)]
    assert question_id in str(invalid)
    assert repr(value) in str(invalid)


def test_unknown_question_id_is_rejected_by_name():
    invalid = errors_for(answers_for("toxin", favourite_colour="blue"))

    assert [error.question_id for error in invalid.errors] == ["favourite_colour"]
    assert "favourite_colour" in str(invalid)


@pytest.mark.parametrize(
    ("raw", "question_id"),
    [
        # A visible required question left out.
        (without(answers_for("toxin"), "upcoming_event"), "upcoming_event"),
        # Sent as null, an empty string, an empty list.
        (answers_for("toxin", date_of_birth=None), "date_of_birth"),
        (answers_for("toxin", sex_at_birth=""), "sex_at_birth"),
        (answers_for("toxin", toxin_areas=[]), "toxin_areas"),
        (answers_for("toxin", date_of_birth=""), "date_of_birth"),
        # A question that became visible through an earlier answer: previous toxin "yes" needs its date.
        (without(answers_for("toxin", previous_toxin="yes"), "last_toxin_date"), "last_toxin_date"),
        # Allergies "yes" needs the allergy types and the severe-allergy question.
        (without(answers_for("toxin", has_allergies="yes"), "allergy_types"), "allergy_types"),
        (without(answers_for("filler", has_allergies="yes"), "severe_allergy_history"), "severe_allergy_history"),
        # Lip flip shows the wind-instrument question, which must then be answered.
        (without(answers_for("toxin", toxin_areas=["lip_flip"]), "wind_instrument"), "wind_instrument"),
    ],
    ids=[
        "left-out",
        "null",
        "empty-string",
        "empty-list",
        "empty-date",
        "last-toxin-date",
        "allergy-types",
        "severe-allergy",
        "wind-instrument",
    ],
)
def test_visible_required_question_unanswered_is_rejected(raw, question_id):
    invalid = errors_for(raw)

    assert [error.question_id for error in invalid.errors] == [question_id]


def test_every_problem_is_reported_at_once():
    raw = answers_for("toxin", sex_at_birth="other", date_of_birth="yesterday", blood_thinners="none", unknown_q="x")
    del raw["upcoming_event"]

    invalid = errors_for(raw)

    assert {error.question_id for error in invalid.errors} == {
        "unknown_q",
        "date_of_birth",
        "sex_at_birth",
        "blood_thinners",
        "upcoming_event",
    }


def test_hidden_questions_may_be_left_out_or_sent_with_anything():
    # Filler only: no toxin question is needed, and garbage sent for one is ignored rather than rejected.
    raw = answers_for("filler", sex_at_birth="male", toxin_areas="garbage", pregnant="banana", last_toxin_date="never")

    values = normalise(raw).values

    assert not {"toxin_areas", "pregnant", "last_toxin_date"} & set(values)


@pytest.mark.parametrize(
    "raw",
    [
        # No free text at all.
        answers_for("toxin"),
        # Allergies "yes" without details; a neuro condition without details; an adverse reaction without details.
        answers_for("toxin", has_allergies="yes", allergy_types=["other"]),
        answers_for("toxin", neuro_conditions=["multiple_sclerosis"]),
        answers_for("filler", previous_filler="yes", previous_adverse_reaction="yes"),
    ],
    ids=["no-text", "no-allergy-details", "no-neuro-details", "no-reaction-details"],
)
def test_optional_free_text_may_be_left_out(raw):
    values = normalise(raw).values

    assert not {"allergy_details", "neuro_details", "current_medicines", "previous_reaction_details"} & set(values)


def test_free_text_is_nfc_normalised_and_stripped():
    decomposed = "  Cafe\u0301 cre\u0300me, ibuprofe\u0301n \n"

    values = normalise(answers_for("toxin", current_medicines=decomposed)).values

    assert values["current_medicines"] == "Caf\u00e9 cr\u00e8me, ibuprof\u00e9n"
    assert unicodedata.is_normalized("NFC", values["current_medicines"])


def test_blank_free_text_counts_as_not_given():
    values = normalise(answers_for("toxin", current_medicines="   \n\t ")).values

    assert "current_medicines" not in values


def test_multi_answers_come_back_once_each_in_option_order():
    values = normalise(answers_for("toxin", toxin_areas=["crows_feet", "forehead", "crows_feet"])).values

    assert values["toxin_areas"] == ["forehead", "crows_feet"]


def test_dates_on_the_screening_date_are_accepted():
    # Born today (declined by the rules, but a valid answer) and treated today (deferred, but valid).
    values = normalise(
        answers_for("toxin", date_of_birth="2025-03-10", previous_toxin="yes", last_toxin_date="2025-03-10")
    ).values

    assert values["date_of_birth"] == "2025-03-10"
    assert values["last_toxin_date"] == "2025-03-10"
