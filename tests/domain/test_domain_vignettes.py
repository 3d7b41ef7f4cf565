"""The public worked cases of the clinical specification (spec section 7): exact outcome and exact rule set."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.factories import evaluate

VIGNETTES_PATH = Path(__file__).resolve().parents[3] / "shared/clinical/vignettes-public.json"


def vignette_params():
    if not VIGNETTES_PATH.exists():
        return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=f"{VIGNETTES_PATH} is absent"))]
    cases = json.loads(VIGNETTES_PATH.read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["id"]) for case in cases]


@pytest.mark.parametrize("vignette", vignette_params())
def test_public_vignette_gives_its_expected_outcome_and_exact_rules(vignette):
    evaluation = evaluate(vignette["answers"], on=date.fromisoformat(vignette["screening_date"]))

    assert evaluation.outcome == vignette["expected_outcome"], vignette["summary"]
    assert set(evaluation.rule_ids) == set(vignette["expected_rules"]), vignette["summary"]
    assert evaluation.engine_errors == ()


def test_public_vignettes_are_present_and_cover_every_outcome():
    if not VIGNETTES_PATH.exists():
        pytest.skip(f"{VIGNETTES_PATH} is absent")
    cases = json.loads(VIGNETTES_PATH.read_text(encoding="utf-8"))
    assert len({case["id"] for case in cases}) == len(cases)
    assert {case["expected_outcome"] for case in cases} == {"clear", "caution", "review", "defer", "decline"}
