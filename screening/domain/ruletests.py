"""Tests beside the rules: example screenings in `rules/tests/*.toml`, each with the outcome the clinic expects.

A case gives answers (in the specification's encoding), a screening date, the expected overall outcome, the exact set
of rules expected to fire, the outcome expected for each requested treatment, and a sentence saying why. Cases may
start from a named baseline (`[base.NAME]`, a complete set of answers defined in any file of the folder) and change
only the answers that matter, so each case shows at a glance what it is about:

    [base.toxin]
    date_of_birth = "1990-07-22"
    treatment_requested = "toxin"
    ...

    [[case]]
    id = "toxin_allergy_fires"
    why = "A reaction to any botulinum toxin product rules out every brand of toxin."
    base = "toxin"
    screening_date = "2025-03-10"
    outcome = "decline"
    rules = ["toxin_allergy"]
    treatments = { toxin = "decline" }
    fires = "toxin_allergy"            # optional: the rule this case is written to make fire
    near_miss = "toxin_allergy"        # optional instead: the rule this case shows NOT firing
    [case.answers]
    has_allergies = "yes"
    allergy_types = ["botulinum_toxin"]
    severe_allergy_history = ["none"]

Answers to questions that are hidden for the case are dropped before the rules run, exactly as for a patient, so a
case can show that a hidden answer does not count. Standard library only, like the rest of the clinical core.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .questionnaire import InvalidAnswers
from .rules import LEVELS, RuleSet, evaluate_screening

_CASE_KEYS = {"id", "why", "base", "screening_date", "answers", "outcome", "rules", "treatments", "fires", "near_miss"}
_ID = re.compile(r"[a-z0-9][a-z0-9_]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class RuleTestsError(Exception):
    """The test files cannot be read; `problems` lists every reason, each naming the file and the case."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"the rule tests cannot be read ({count}):\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class RuleCase:
    id: str
    file: str
    why: str
    screening_date: date
    answers: dict[str, Any]  # the baseline's answers with the case's changes applied
    outcome: str
    rules: frozenset[str]
    treatments: dict[str, str]
    fires: str | None = None
    near_miss: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}: case '{self.id}'"


@dataclass(frozen=True)
class CaseResult:
    case: RuleCase
    outcome: str | None = None
    rules: frozenset[str] = frozenset()
    treatments: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the answers do not fit the questionnaire
    levels: dict[str, str] = field(default_factory=dict)  # each fired rule's level and treatment, "review, toxin"

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and self.outcome == self.case.outcome
            and self.rules == self.case.rules
            and self.treatments == self.case.treatments
        )

    @property
    def unexpected(self) -> list[str]:
        return sorted(self.rules - self.case.rules)

    @property
    def missing(self) -> list[str]:
        return sorted(self.case.rules - self.rules)

    def differences(self) -> list[str]:
        """What differs from the expectation, one line each, in words."""
        case = self.case
        if self.error is not None:
            return [f"the answers do not fit the questionnaire: {self.error}"]
        lines = []
        if self.outcome != case.outcome:
            lines.append(f"outcome is {self.outcome}, expected {case.outcome}")
        if self.missing:
            lines.append("expected to fire but did not: " + ", ".join(self.missing))
        if self.unexpected:
            lines.append("fired but not expected: " + ", ".join(self.unexpected))
        for treatment in sorted(set(self.treatments) | set(case.treatments)):
            got, expected = self.treatments.get(treatment, "not asked"), case.treatments.get(treatment, "not asked")
            if got != expected:
                lines.append(f"{treatment} is {got}, expected {expected}")
        if lines and self.levels:  # a level edited in a rule shows here even when the same rules fired
            lines.append("rules that fired: " + ", ".join(f"{rule} ({how})" for rule, how in self.levels.items()))
        return lines


@dataclass(frozen=True)
class TestReport:
    results: tuple[CaseResult, ...]
    never_fired: tuple[str, ...]  # rules no case makes fire (coverage; not a failure)
    no_near_miss: tuple[str, ...]  # rules without a near-miss case (coverage; not a failure)

    @property
    def failures(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(directory: str | Path) -> list[RuleCase]:
    """Read every `*.toml` file in a folder (sorted by name); raise RuleTestsError listing every problem."""
    directory = Path(directory)
    problems: list[str] = []
    if not directory.is_dir():
        raise RuleTestsError([f"{directory}: no such folder"])
    documents: dict[str, dict] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            documents[path.name] = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{path.name}: not valid TOML: {error}")
        except OSError as error:
            problems.append(f"{path.name}: cannot be read: {error.strerror}")
    bases: dict[str, dict[str, Any]] = {}
    for name, document in documents.items():
        for key in sorted(set(document) - {"base", "case"}):
            problems.append(f"{name}: unknown table '{key}' (allowed: base, case)")
        base_tables = document.get("base", {})
        if not isinstance(base_tables, dict):
            problems.append(f"{name}: [base.NAME] must be tables of answers")
            continue
        for base_name, answers in base_tables.items():
            if base_name in bases:
                problems.append(f"{name}: base '{base_name}' is defined twice")
            elif not isinstance(answers, dict):
                problems.append(f"{name}: base '{base_name}' must be a table of answers")
            else:
                bases[base_name] = answers
    cases: list[RuleCase] = []
    seen: set[str] = set()
    for name, document in documents.items():
        entries = document.get("case", [])
        if not isinstance(entries, list):
            problems.append(f"{name}: cases are written [[case]]")
            continue
        for position, data in enumerate(entries, start=1):
            case = _case(name, position, data, bases, seen, problems)
            if case is not None:
                cases.append(case)
    if not cases and not problems:
        problems.append(f"{directory}: no [[case]] tables in any *.toml file")
    if problems:
        raise RuleTestsError(problems)
    return cases


def _case(
    file: str, position: int, data: Any, bases: dict[str, dict], seen: set[str], problems: list[str]
) -> RuleCase | None:
    if not isinstance(data, dict):
        problems.append(f"{file}: case {position} must be a table")
        return None
    case_id = data.get("id")
    where = f"{file}: case '{case_id}'" if isinstance(case_id, str) else f"{file}: case {position}"
    start = len(problems)
    if not (isinstance(case_id, str) and _ID.fullmatch(case_id)):
        problems.append(f"{where}: id must be snake_case letters, digits and underscores")
    elif case_id in seen:
        problems.append(f"{where}: duplicate case id")
    else:
        seen.add(case_id)
    for key in sorted(set(data) - _CASE_KEYS):
        problems.append(f"{where}: unknown field '{key}' (allowed: {', '.join(sorted(_CASE_KEYS))})")
    why = data.get("why")
    if not (isinstance(why, str) and why.strip()):
        problems.append(f"{where}: missing why (a sentence saying why this is the expected outcome)")
    raw_date = data.get("screening_date")
    screening_date = None
    if isinstance(raw_date, date):  # TOML has dates of its own: 2025-03-10 without quotes
        screening_date = raw_date
    elif isinstance(raw_date, str) and _ISO_DATE.fullmatch(raw_date):
        with contextlib.suppress(ValueError):
            screening_date = date.fromisoformat(raw_date)
    if screening_date is None:
        problems.append(f"{where}: screening_date must be a date written YYYY-MM-DD (got {raw_date!r})")
    answers: dict[str, Any] = {}
    base = data.get("base")
    if base is not None:
        if base not in bases:
            problems.append(f"{where}: unknown base {base!r} (known: {', '.join(sorted(bases)) or 'none'})")
        else:
            answers.update(bases[base])
    changes = data.get("answers", {})
    if not isinstance(changes, dict):
        problems.append(f"{where}: answers must be a table of question_id = value")
    else:
        answers.update(changes)
    if not answers:
        problems.append(f"{where}: no answers (give [case.answers], a base, or both)")
    outcome = data.get("outcome")
    if outcome not in LEVELS:
        problems.append(f"{where}: outcome must be one of {', '.join(LEVELS)} (got {outcome!r})")
    rules = data.get("rules")
    if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
        problems.append(f"{where}: rules must be a list of the rule ids expected to fire ([] for none)")
        rules = []
    treatments = data.get("treatments")
    if not isinstance(treatments, dict) or not treatments:
        problems.append(f"{where}: treatments must give the outcome per treatment asked, e.g. {{ toxin = 'clear' }}")
        treatments = {}
    for treatment, level in treatments.items():
        if treatment not in ("toxin", "filler") or level not in LEVELS:
            problems.append(f"{where}: treatments: {treatment} = {level!r} is not a treatment and an outcome")
    for key in ("fires", "near_miss"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{where}: {key} must be one rule id")
    if isinstance(data.get("fires"), str) and data["fires"] not in rules:
        problems.append(f"{where}: fires = '{data['fires']}' but that rule is not in the expected rules")
    if isinstance(data.get("near_miss"), str) and data["near_miss"] in rules:
        problems.append(f"{where}: near_miss = '{data['near_miss']}' but that rule is in the expected rules")
    if len(problems) > start:
        return None
    return RuleCase(
        id=case_id,
        file=file,
        why=why.strip(),
        screening_date=screening_date,
        answers=answers,
        outcome=outcome,
        rules=frozenset(rules),
        treatments=dict(treatments),
        fires=data.get("fires"),
        near_miss=data.get("near_miss"),
    )


def unknown_rule_ids(ruleset: RuleSet, cases: list[RuleCase]) -> list[str]:
    """Cases that name a rule the rule set does not have (a typo, or a retired rule): one line each."""
    known = {rule.id for rule in ruleset.rules}
    lines = []
    for case in cases:
        named = set(case.rules) | {case.fires, case.near_miss} - {None}
        for rule_id in sorted(named - known):
            lines.append(f"{case.where}: names rule '{rule_id}', which is not in the rules")
    return lines


def run_case(ruleset: RuleSet, case: RuleCase) -> CaseResult:
    try:
        answers = ruleset.questionnaire.normalise(case.answers, case.screening_date)
    except InvalidAnswers as error:
        return CaseResult(case, error=str(error))
    evaluation = evaluate_screening(ruleset, answers)
    levels = {fired.rule.id: f"{fired.rule.level}, {fired.rule.applies}" for fired in evaluation.fired}
    return CaseResult(
        case, evaluation.outcome, frozenset(evaluation.rule_ids), dict(evaluation.treatments), levels=levels
    )


def run_cases(ruleset: RuleSet, cases: list[RuleCase]) -> TestReport:
    """Run every case against a rule set; report each result and which rules the cases leave uncovered."""
    results = tuple(run_case(ruleset, case) for case in cases)
    fired = {rule_id for case in cases for rule_id in case.rules}
    near = {case.near_miss for case in cases if case.near_miss}
    ids = [rule.id for rule in ruleset.rules]
    return TestReport(
        results,
        tuple(rule_id for rule_id in ids if rule_id not in fired),
        tuple(rule_id for rule_id in ids if rule_id not in near),
    )


def format_failure(result: CaseResult) -> str:
    """A failing case as the clinic reads it: the case, the differences, and why it was expected."""
    lines = [f"FAIL {result.case.where}"]
    lines += [f"    {line}" for line in result.differences()]
    lines.append(f"    why this was expected: {result.case.why}")
    return "\n".join(lines)
