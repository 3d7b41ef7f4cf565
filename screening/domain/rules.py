"""Contraindication rules and the evaluator: every rule runs, the most severe level wins, every reason is kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .conditions import Condition
from .questionnaire import Answers, Questionnaire

# Severity order, least to most severe. "clear" is the outcome when no rule fires; no rule has that level.
LEVELS = ("clear", "caution", "review", "defer", "decline")
RULE_LEVELS = LEVELS[1:]
SEVERITY = {level: rank for rank, level in enumerate(LEVELS)}
TREATMENTS = ("toxin", "filler")
# What patients and clinicians call each treatment (pages, emails, lists); "short" where a table is narrow.
TREATMENT_NAMES = {"toxin": "Anti-wrinkle injections", "filler": "Dermal filler"}
TREATMENT_SHORT_NAMES = {"toxin": "Toxin", "filler": "Filler"}
APPLIES = (*TREATMENTS, "any")
BOOKABLE = frozenset({"clear", "caution"})

# A rule whose condition raised is never read as "nothing found": the screening goes to a clinician.
ENGINE_ERROR_LEVEL = "review"
ENGINE_ERROR_MESSAGE = "A clinician will look at your answers before we book."

UNKNOWN_DATE = "a date your clinician will confirm"

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PLACEHOLDER_BODY = re.compile(r"\s*([a-z_][a-z0-9_]*)\s*(?:\+\s*(\d+)\s*days?)?\s*")


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    urls: tuple[str, ...]
    used_for: str


@dataclass(frozen=True)
class DatePlaceholder:
    """`{question + N days}` in a message: a date answer moved on by N days, written for people."""

    question_id: str
    days: int

    def render(self, env: dict[str, Any]) -> str:
        value = env.get(self.question_id)
        if not isinstance(value, date):
            return UNKNOWN_DATE
        return readable_date(value + timedelta(days=self.days))


def readable_date(value: date) -> str:
    """Write a date the way patients read it: 'Saturday 7 June 2025'."""
    return f"{value:%A} {value.day} {value:%B %Y}"


@dataclass(frozen=True)
class Message:
    parts: tuple[str | DatePlaceholder, ...]

    def render(self, env: dict[str, Any]) -> str:
        return "".join(part if isinstance(part, str) else part.render(env) for part in self.parts)

    @property
    def fallback(self) -> str:
        """The message without its answers: what a patient is shown when it cannot be rendered for them."""
        return "".join(part if isinstance(part, str) else UNKNOWN_DATE for part in self.parts)

    @property
    def text(self) -> str:
        return "".join(
            part if isinstance(part, str) else f"{{{part.question_id} + {part.days} days}}" for part in self.parts
        )


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    applies: str
    condition: Condition
    patient_message: Message
    rationale: str
    sources: tuple[Source, ...]
    trigger_questions: tuple[str, ...]  # the questions whose answers the condition reads, in form order

    def counts_for(self, treatment: str) -> bool:
        return self.applies in (treatment, "any")


@dataclass(frozen=True)
class RuleSet:
    questionnaire: Questionnaire
    rules: tuple[Rule, ...]
    sources: dict[str, Source]
    version: str  # a hash of the rules files, stored with every submission
    # Per-clinic overrides applied to the shipped rules (screening.domain.overrides), and the rule set before them.
    overrides: tuple = ()
    shipped: RuleSet | None = None

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.rules if rule.id == rule_id)

    def counts(self) -> dict[str, int]:
        return {level: sum(rule.level == level for rule in self.rules) for level in reversed(RULE_LEVELS)}


@dataclass(frozen=True)
class FiredRule:
    rule: Rule
    message: str  # the patient message as rendered for this screening


@dataclass(frozen=True)
class Evaluation:
    outcome: str
    fired: tuple[FiredRule, ...]  # in rule-file (specification) order
    treatments: dict[str, str]  # requested treatments only
    messages: tuple[str, ...]  # most severe first, duplicates removed
    engine_errors: tuple[str, ...] = ()  # ids of rules whose condition raised

    @property
    def rule_ids(self) -> list[str]:
        return [fired.rule.id for fired in self.fired]


def _fallback(message: Message) -> str:
    try:
        return message.fallback
    except Exception:  # not even its words: the message every rule-engine fault shows
        return ENGINE_ERROR_MESSAGE


def most_severe(levels) -> str:
    return max(levels, key=SEVERITY.__getitem__, default="clear")


def evaluate_screening(ruleset: RuleSet, answers: Answers) -> Evaluation:
    """Run every rule over normalised answers and combine the results."""
    env = answers.env
    fired: list[FiredRule] = []
    engine_errors: list[str] = []
    for rule in ruleset.rules:
        try:
            hit = rule.condition.test(env)
        except Exception:  # a fault in one rule must not hide the others, nor read as "clear"
            engine_errors.append(rule.id)
            continue
        if hit:
            try:
                message = rule.patient_message.render(env)
            except Exception:  # it fired, so its level stands; the fault sends the screening to a clinician too
                engine_errors.append(rule.id)
                message = _fallback(rule.patient_message)
            fired.append(FiredRule(rule, message))
    if not fired and not engine_errors:
        return Evaluation("clear", (), {t: "clear" for t in TREATMENTS if env.get(t)}, ())

    error_levels = [ENGINE_ERROR_LEVEL] if engine_errors else []
    outcome = most_severe([f.rule.level for f in fired] + error_levels)
    treatments = {
        treatment: most_severe([f.rule.level for f in fired if f.rule.counts_for(treatment)] + error_levels)
        for treatment in TREATMENTS
        if env.get(treatment)
    }
    by_level = [(f.rule.level, f.message) for f in fired]
    if engine_errors:
        by_level.append((ENGINE_ERROR_LEVEL, ENGINE_ERROR_MESSAGE))
    messages: list[str] = []
    for _, message in sorted(by_level, key=lambda item: -SEVERITY[item[0]]):  # stable: file order within a level
        if message not in messages:
            messages.append(message)
    return Evaluation(outcome, tuple(fired), treatments, tuple(messages), tuple(engine_errors))
