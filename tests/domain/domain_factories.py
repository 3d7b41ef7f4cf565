"""Plain factories for the clinical-core tests: the shipped rules, a clear baseline patient, and evaluation helpers.

The visibility oracle below is written by hand from spec.md section 3 ("shown when"), independently of the code under
test, so the factory can build a complete answer set without asking the questionnaire what it shows.

The baseline patient's answers themselves come from tests/factories.py (shared by every folder); the questions this
module adds for hidden questions (wind_instrument, allergy_types, last_toxin_date...) are sent only when the oracle
shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from screening.domain import Answers, Evaluation, RuleSet, evaluate_screening
from tests import factories

PROJECT_DIR = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_DIR / "rules"
SHARED_CLINICAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "clinical"

# The baseline patient: a 34-year-old woman with nothing to declare (tests/factories.py).
SCREENING_DATE = factories.SCREENING_DATE
BASELINE_DOB = factories.BASELINE_DOB.isoformat()

TREATMENTS = factories.TREATMENTS

# Spec section 3, in form order (Q1 to Q42).
QUESTION_ORDER = (
    "date_of_birth",
    "treatment_requested",
    "toxin_areas",
    "filler_areas",
    "wind_instrument",
    "under_eye_swelling",
    "sex_at_birth",
    "pregnant",
    "trying_to_conceive",
    "breastfeeding",
    "has_allergies",
    "allergy_types",
    "allergy_details",
    "severe_allergy_history",
    "neuro_conditions",
    "neuro_details",
    "swallow_breath_problems",
    "heart_condition",
    "eye_face_history",
    "blood_thinners",
    "toxin_interacting_meds",
    "isotretinoin_recent",
    "immunosuppressed",
    "current_medicines",
    "skin_problem_at_site",
    "cold_sore_now",
    "cold_sore_history",
    "keloid_history",
    "recent_skin_procedure",
    "bleeding_disorder",
    "autoimmune_condition",
    "previous_toxin",
    "last_toxin_date",
    "previous_filler",
    "permanent_filler_or_implant",
    "previous_adverse_reaction",
    "previous_reaction_details",
    "unwell_now",
    "vaccine_or_dental",
    "upcoming_event",
    "bdd_diagnosis",
    "appearance_preoccupation",
)
OPTIONAL_TEXT = frozenset({"allergy_details", "neuro_details", "current_medicines", "previous_reaction_details"})


def _toxin(a: Mapping[str, Any]) -> bool:
    return a.get("treatment_requested") in ("toxin", "both")


def _filler(a: Mapping[str, Any]) -> bool:
    return a.get("treatment_requested") in ("filler", "both")


def _ticked(a: Mapping[str, Any], question: str, *options: str) -> bool:
    value = a.get(question)
    return value is not None and not set(options).isdisjoint(value)


def _not_male(a: Mapping[str, Any]) -> bool:
    return a.get("sex_at_birth") != "male"  # != is true for null: shown until the patient says "male"


# Spec section 3 "shown when", transcribed by hand; a question not listed is always shown.
SHOWN_WHEN: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "toxin_areas": _toxin,
    "filler_areas": _filler,
    "wind_instrument": lambda a: _toxin(a) and _ticked(a, "toxin_areas", "lip_flip"),
    "under_eye_swelling": lambda a: _filler(a) and _ticked(a, "filler_areas", "under_eye"),
    "pregnant": _not_male,
    "trying_to_conceive": lambda a: _not_male(a) and a.get("pregnant") in ("no", "not_sure"),
    "breastfeeding": _not_male,
    "allergy_types": lambda a: a.get("has_allergies") == "yes",
    "allergy_details": lambda a: a.get("has_allergies") == "yes",
    "severe_allergy_history": lambda a: a.get("has_allergies") == "yes",
    "neuro_details": lambda a: a.get("neuro_conditions") is not None and set(a["neuro_conditions"]) != {"none"},
    "swallow_breath_problems": _toxin,
    "heart_condition": _toxin,
    "eye_face_history": _toxin,
    "toxin_interacting_meds": _toxin,
    "isotretinoin_recent": _filler,
    "immunosuppressed": _filler,
    "cold_sore_history": lambda a: _filler(a) and _ticked(a, "filler_areas", "lips", "nasolabial", "marionette"),
    "keloid_history": _filler,
    "recent_skin_procedure": _filler,
    "autoimmune_condition": _filler,
    "previous_toxin": _toxin,
    "last_toxin_date": lambda a: _toxin(a) and a.get("previous_toxin") == "yes",
    "previous_filler": _filler,
    "permanent_filler_or_implant": _filler,
    "previous_adverse_reaction": lambda a: a.get("previous_toxin") == "yes" or a.get("previous_filler") == "yes",
    "previous_reaction_details": lambda a: a.get("previous_adverse_reaction") == "yes",
    "vaccine_or_dental": _filler,
}


def expected_visible(answers: Mapping[str, Any]) -> list[str]:
    """The question ids the spec shows for these answers, in form order (answers to hidden questions do not count)."""
    seen: dict[str, Any] = {}
    shown: list[str] = []
    for question_id in QUESTION_ORDER:
        rule = SHOWN_WHEN.get(question_id)
        if rule is not None and not rule(seen):
            continue
        shown.append(question_id)
        if question_id in answers:
            seen[question_id] = answers[question_id]
    return shown


# Answers to the questions the baseline hides (sent only when an override makes the oracle show them).
HIDDEN_DEFAULTS: dict[str, Any] = {
    "wind_instrument": "no",
    "under_eye_swelling": "no",
    "allergy_types": ["other"],  # only shown (and so only sent) when an override says has_allergies = "yes"
    "severe_allergy_history": ["none"],
    "cold_sore_history": "no",
    "last_toxin_date": "2024-06-01",  # only sent when previous_toxin = "yes"; 282 days before SCREENING_DATE
    "previous_adverse_reaction": "no",
}


def _defaults(treatment: str) -> dict[str, Any]:
    """An answer for every required question: every 'anything wrong?' question answered no or none."""
    return {**factories.baseline_answers("both", treatment_requested=treatment), **HIDDEN_DEFAULTS}


def answers_for(treatment: str = "toxin", **overrides: Any) -> dict[str, Any]:
    """Raw answers for the baseline patient, complete for the questions visible for `treatment`.

    Defaults are sent only for questions the spec shows. Every override is sent as given, even for a question that is
    hidden (a stale answer the server must ignore) or one that does not exist (for validation tests).
    """
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}, not {treatment!r}")
    merged = {**_defaults(treatment), **overrides}
    raw = {question_id: merged[question_id] for question_id in expected_visible(merged) if question_id in merged}
    raw.update(overrides)
    return raw


shipped_ruleset = factories.shipped_ruleset  # one loaded copy for the factories and the `ruleset` fixture


def normalise(raw: Mapping[str, Any], on: date = SCREENING_DATE, ruleset: RuleSet | None = None) -> Answers:
    return (ruleset or shipped_ruleset()).questionnaire.normalise(raw, on)


def evaluate(raw: Mapping[str, Any], on: date = SCREENING_DATE, ruleset: RuleSet | None = None) -> Evaluation:
    """Normalise raw answers on a screening date, then run every rule."""
    ruleset = ruleset or shipped_ruleset()
    return evaluate_screening(ruleset, normalise(raw, on, ruleset))


def case(
    case_id: str,
    treatment: str,
    overrides: Mapping[str, Any],
    fired: set[str] | frozenset[str],
    outcome: str,
    *,
    toxin: str | None = None,
    filler: str | None = None,
):
    """One truth-table row: answers_for(treatment, **overrides) fires exactly `fired` and gives `outcome`.

    The per-treatment outcomes are the overall outcome for a single treatment; a 'both' row must state each one.
    """
    if treatment == "both":
        if toxin is None or filler is None:
            raise ValueError(f"{case_id}: a 'both' row must give the toxin and filler outcomes")
        per_treatment = {"toxin": toxin, "filler": filler}
    else:
        per_treatment = {treatment: outcome}
    return pytest.param(treatment, dict(overrides), frozenset(fired), outcome, per_treatment, id=case_id)


CASE_FIELDS = ("treatment", "overrides", "fired", "outcome", "per_treatment")


def assert_screening(
    treatment: str, overrides: Mapping[str, Any], fired: frozenset[str], outcome: str, per_treatment: dict[str, str]
) -> Evaluation:
    evaluation = evaluate(answers_for(treatment, **overrides))
    assert set(evaluation.rule_ids) == fired
    assert len(evaluation.rule_ids) == len(fired), "a rule fired twice"
    assert evaluation.outcome == outcome
    assert evaluation.treatments == per_treatment
    assert evaluation.engine_errors == ()
    return evaluation
