"""What many test folders build: the application (CSRF on, a private SQLite file) and the baseline patient's answers.

The baseline patient is the vignettes' one: a woman born on 22 July 1990 (34 on the domain tests' screening date,
10 March 2025) who has nothing to declare. `baseline_answers` gives her answers in the specification's encoding (the
JSON `screening evaluate` reads: dates as YYYY-MM-DD text), for the questions shown by default for a treatment; an
override by question id replaces an answer, and None removes it.

The domain tests keep their own visibility oracle (tests/domain/domain_factories.py, written from spec.md by hand),
and tests/test_factories.py checks that these answers are exactly what that oracle shows.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

from screening.app import create_app
from screening.domain import RuleSet, load_ruleset

SECRET_KEY = "x" * 40
SCREENING_DATE = date(2025, 3, 10)
BASELINE_DOB = date(1990, 7, 22)
TREATMENTS = ("toxin", "filler", "both")

# Every question asked whatever the treatment, answered "nothing to declare".
COMMON_ANSWERS: dict[str, Any] = {
    "date_of_birth": BASELINE_DOB.isoformat(),
    "sex_at_birth": "female",
    "pregnant": "no",
    "trying_to_conceive": "no",
    "breastfeeding": "no",
    "has_allergies": "no",
    "neuro_conditions": ["none"],
    "blood_thinners": ["none"],
    "skin_problem_at_site": ["none"],
    "cold_sore_now": "no",
    "bleeding_disorder": "no",
    "unwell_now": "no",
    "upcoming_event": "no",
    "bdd_diagnosis": "no",
    "appearance_preoccupation": "no",
}
# The questions asked only of a toxin patient (forehead and frown lines: no lip flip, so no wind instrument).
TOXIN_ANSWERS: dict[str, Any] = {
    "toxin_areas": ["forehead", "glabella"],
    "swallow_breath_problems": "no",
    "heart_condition": "no",
    "eye_face_history": ["none"],
    "toxin_interacting_meds": ["none"],
    "previous_toxin": "no",
}
# The questions asked only of a filler patient (cheeks: no lips or under-eye, so no cold-sore history or swelling).
FILLER_ANSWERS: dict[str, Any] = {
    "filler_areas": ["cheeks"],
    "isotretinoin_recent": "no",
    "immunosuppressed": "no",
    "keloid_history": "no",
    "recent_skin_procedure": "no",
    "autoimmune_condition": "no",
    "previous_filler": "no",
    "permanent_filler_or_implant": "no",
    "vaccine_or_dental": ["none"],
}


def baseline_answers(treatment: str = "toxin", **overrides: Any) -> dict[str, Any]:
    """The baseline patient's answers for `treatment`, flat by question id; overrides by id (None removes one)."""
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}, not {treatment!r}")
    answers: dict[str, Any] = {**COMMON_ANSWERS, "treatment_requested": treatment}
    if treatment in ("toxin", "both"):
        answers |= TOXIN_ANSWERS
    if treatment in ("filler", "both"):
        answers |= FILLER_ANSWERS
    for question_id, value in overrides.items():
        if value is None:
            answers.pop(question_id, None)
        else:
            answers[question_id] = value
    return answers


def make_app(folder: Path, **config: Any):
    """The application as a clinic runs it (CSRF on), with its database (screening.sqlite3, as `screening init`
    names it) and instance folder in `folder`; `config` adds or replaces settings."""
    return create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "DATABASE": str(folder / "screening.sqlite3"),
            "INSTANCE_PATH": str(folder),
            "TESTING": True,
            **config,
        }
    )


@functools.cache
def shipped_ruleset() -> RuleSet:
    """The shipped rules in rules/, loaded once for the whole run."""
    return load_ruleset(Path(__file__).resolve().parents[1] / "rules")
