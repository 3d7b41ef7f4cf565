"""Replay: judge stored screenings again with another rule set, without changing them, and count what would flip.

Stored answers are already normalised (visible questions only, in the specification's encoding), so replay does not
re-validate them: it works out visibility again in question order under the rule set being tried (a question that
rule set hides is dropped, one it adds counts as unanswered), then runs every rule. That is what the new rules would
have said on the day, from what the patient told us; a question the patient was never asked stays unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .conditions import DERIVED_FROM
from .questionnaire import Answers, base_env, set_typed
from .rules import ENGINE_ERROR_LEVEL, LEVELS, SEVERITY, RuleSet, evaluate_screening


@dataclass(frozen=True)
class StoredScreening:
    """What replay needs of one stored submission."""

    ref: int  # the submission id
    answers: Mapping[str, Any]
    screening_date: date
    outcome: str
    treatments: Mapping[str, str]


@dataclass
class ReplayReport:
    version: str  # the rule set the screenings were judged with again
    judged: int = 0
    transitions: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (was, now) -> refs
    treatment_transitions: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)  # (treatment, was, now)
    unreadable: list[int] = field(default_factory=list)  # stored answers replay could not read

    @property
    def changed(self) -> int:
        return sum(len(refs) for refs in self.transitions.values())

    def ordered_transitions(self) -> list[tuple[str, str, list[int]]]:
        """Most severe change first: to a more severe outcome before to a milder one."""
        items = [(was, now, refs) for (was, now), refs in self.transitions.items()]
        return sorted(items, key=lambda item: (-SEVERITY[item[1]], -SEVERITY[item[0]]))

    def as_json(self) -> dict[str, Any]:
        return {
            "ruleset_version": self.version,
            "judged": self.judged,
            "changed": self.changed,
            "transitions": [
                {"from": was, "to": now, "count": len(refs), "refs": refs}
                for was, now, refs in self.ordered_transitions()
            ],
            "treatment_transitions": [
                {"treatment": treatment, "from": was, "to": now, "count": len(refs), "refs": refs}
                for (treatment, was, now), refs in sorted(self.treatment_transitions.items())
            ],
            "unreadable": self.unreadable,
        }

    def lines(self) -> list[str]:
        out = [
            f"{self.judged} screening(s) judged again with rule set {self.version}: {self.changed} would change outcome"
        ]
        for was, now, refs in self.ordered_transitions():
            out.append(f"  {was} -> {now}: {len(refs)}  (refs {_refs(refs)})")
        for (treatment, was, now), refs in sorted(self.treatment_transitions.items()):
            out.append(f"  {treatment} only, {was} -> {now}: {len(refs)}  (refs {_refs(refs)})")
        if self.unreadable:
            out.append(f"  could not be read, not judged: {len(self.unreadable)} (refs {_refs(self.unreadable)})")
        return out


def _refs(refs: list[int], limit: int = 50) -> str:
    shown = ", ".join(str(ref) for ref in refs[:limit])
    return shown + (f", ... and {len(refs) - limit} more" if len(refs) > limit else "")


def rejudge(ruleset: RuleSet, stored: StoredScreening):
    """The full evaluation the rule set would give a stored screening (visibility worked out again in order)."""
    env = base_env(stored.screening_date)
    values: dict[str, Any] = {}
    answers = stored.answers
    for question in ruleset.questionnaire.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.shown_when is not None and not question.shown_when.test(env):
            continue
        values[question.id] = value
        set_typed(env, question, value)
    return evaluate_screening(ruleset, Answers(values, stored.screening_date, env))


class _Judge:
    """Outcome and per-treatment outcomes only, for speed: the same visibility and rules as `rejudge` and
    evaluate_screening (a test holds them equal), without rendering messages or building fired-rule records."""

    def __init__(self, ruleset: RuleSet):
        self.questions = [
            (q.id, None if q.shown_when is None else q.shown_when.test, q.type, q)
            for q in ruleset.questionnaire.questions
        ]
        self.rules = [(rule.condition.test, SEVERITY[rule.level], rule.applies) for rule in ruleset.rules]
        self.error_rank = SEVERITY[ENGINE_ERROR_LEVEL]

    def __call__(self, stored: StoredScreening) -> tuple[str, dict[str, str]]:
        env = base_env(stored.screening_date)
        answers = stored.answers
        for qid, shown, qtype, question in self.questions:
            value = answers.get(qid)
            if value is None or (shown is not None and not shown(env)):
                continue
            if qtype == "multi":
                env[qid] = frozenset(value)
            elif qtype == "date" or qid in _DERIVING:
                set_typed(env, question, value)
            else:
                env[qid] = value
        overall = toxin = filler = 0
        for test, rank, applies in self.rules:
            try:
                hit = test(env)
            except Exception:  # as evaluate_screening: a failing rule sends the screening to a clinician
                hit, rank, applies = True, self.error_rank, "any"
            if hit:
                if rank > overall:
                    overall = rank
                if applies != "filler" and rank > toxin:
                    toxin = rank
                if applies != "toxin" and rank > filler:
                    filler = rank
        treatments = {}
        if env["toxin"]:
            treatments["toxin"] = LEVELS[toxin]
        if env["filler"]:
            treatments["filler"] = LEVELS[filler]
        return LEVELS[overall], treatments


_DERIVING = frozenset(DERIVED_FROM["toxin"] + DERIVED_FROM["age_years"])


def replay(ruleset: RuleSet, screenings: Iterable[StoredScreening]) -> ReplayReport:
    """Judge every stored screening again; count the outcomes that would change, by transition, with their refs."""
    report = ReplayReport(ruleset.version)
    transitions = report.transitions
    per_treatment = report.treatment_transitions
    judge = _Judge(ruleset)
    for stored in screenings:
        try:
            outcome, treatments = judge(stored)
        except (TypeError, ValueError, AttributeError):  # answers stored by a much older questionnaire: never guess
            report.unreadable.append(stored.ref)
            continue
        report.judged += 1
        if outcome != stored.outcome:
            transitions.setdefault((stored.outcome, outcome), []).append(stored.ref)
        for treatment, now in treatments.items():
            was = stored.treatments.get(treatment)
            if was is not None and was != now:
                per_treatment.setdefault((treatment, was, now), []).append(stored.ref)
    return report
