"""Time the rule engine: all 45 rules per screening, over the public clinical cases.

Usage: .venv/bin/python bench/bench_rules.py [--rounds N]

Prints the median time per screening for evaluate_screening alone (the target: 20 us or less) and, for context,
for answer normalisation plus evaluation (what `screening evaluate` and the form do per submission).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from screening.domain import evaluate_screening, load_ruleset
from screening.services.rules.rulebook import DEFAULT_RULES_DIR

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT.parent / "shared" / "clinical" / "vignettes-public.json"
TARGET_US = 20.0


def per_screening_us(function, items, rounds: int, inner: int = 200) -> list[float]:
    """Median-friendly samples: each sample runs every item `inner` times and divides."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(inner):
            for item in items:
                function(item)
        elapsed = time.perf_counter_ns() - start
        samples.append(elapsed / (inner * len(items)) / 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--tiny", action="store_true", help="a few seconds' run the test suite makes")
    args = parser.parse_args()
    if args.tiny:
        args.rounds = 1

    ruleset = load_ruleset(DEFAULT_RULES_DIR)
    cases = json.loads(CASES.read_text())
    raw = [(case["answers"], date.fromisoformat(case["screening_date"])) for case in cases]
    normalised = [ruleset.questionnaire.normalise(answers, on) for answers, on in raw]

    evaluate_only = per_screening_us(lambda answers: evaluate_screening(ruleset, answers), normalised, args.rounds)
    end_to_end = per_screening_us(
        lambda item: evaluate_screening(ruleset, ruleset.questionnaire.normalise(*item)), raw, args.rounds, inner=50
    )
    median = statistics.median(evaluate_only)
    print(f"python {platform.python_version()} on {platform.machine()}, {len(cases)} cases, {len(ruleset.rules)} rules")
    verdict = "met" if median <= TARGET_US else "NOT met"
    print(
        f"evaluate_screening: median {median:.2f} us per screening"
        f" (min {min(evaluate_only):.2f}, max {max(evaluate_only):.2f}); target <= {TARGET_US} us: {verdict}"
    )
    print(f"normalise + evaluate: median {statistics.median(end_to_end):.2f} us per screening")


if __name__ == "__main__":
    main()
