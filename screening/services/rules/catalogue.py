"""What clinicians see of the rules, without HTTP: the catalogue (every question and rule in plain words, with any
override), its search, the comparison between the rules that judged a screening and today's, and "try a case"
(answers judged under the current rules and under a draft of overrides, with nothing stored)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from screening import store
from screening.domain import RulesError, RuleSet, evaluate_screening
from screening.domain.overrides import Override, apply_overrides, overrides_by_rule, parse_overrides, shipped_of
from screening.domain.plain import describe
from screening.domain.rulediff import RuleSetDiff, diff_rulesets
from screening.domain.rules import SEVERITY
from screening.services.lifecycle.restriction import refuse_restricted
from screening.services.rules import rulebook

TREATMENT_WORDS = {"toxin": "anti-wrinkle injections (toxin)", "filler": "dermal filler", "any": "any treatment"}
TYPE_WORDS = {
    "date": "a date",
    "single": "one choice",
    "yes_no": "yes or no",
    "multi": "tick all that apply",
    "text": "free text (for the clinician only; never triggers a rule)",
}


@dataclass(frozen=True)
class RuleEntry:
    id: str
    level: str  # as the clinic runs it (after overrides); "off" when switched off
    shipped_level: str
    override: Override | None
    applies: str
    condition: str  # in words
    patient_message: str
    rationale: str
    sources: tuple[dict[str, Any], ...]
    questions: tuple[tuple[str, str], ...]  # (question id, wording) the condition reads

    @property
    def applies_words(self) -> str:
        return TREATMENT_WORDS[self.applies]

    def text(self) -> str:
        parts = [self.id, self.level, self.shipped_level, self.applies_words, self.condition, self.patient_message]
        parts += [self.rationale, *(s["key"] + " " + s["title"] for s in self.sources)]
        if self.override:
            parts.append(self.override.describe())
        return " ".join(parts).lower()


@dataclass(frozen=True)
class QuestionEntry:
    id: str
    number: int
    section: str
    text: str
    help: str
    kind: str
    options: tuple[str, ...]
    shown: str  # "always" or the condition in words
    rules: tuple[str, ...]  # ids of the rules that read it

    def text_for_search(self) -> str:
        return " ".join([self.id, self.section, self.text, self.help, self.kind, *self.options, self.shown]).lower()


@dataclass(frozen=True)
class Catalogue:
    version: str
    rules: tuple[RuleEntry, ...]
    questions: tuple[QuestionEntry, ...]
    query: str = ""
    total_rules: int = 0
    total_questions: int = 0


def catalogue(ruleset: RuleSet, query: str = "") -> Catalogue:
    """Every rule (in the rules file's order, switched-off ones included and marked) and every question, in words;
    with a query, only the entries whose words contain every word of it (case does not matter)."""
    shipped = shipped_of(ruleset)
    overrides = overrides_by_rule(ruleset)
    running = {rule.id: rule for rule in ruleset.rules}
    questionnaire = shipped.questionnaire
    rules = []
    for rule in shipped.rules:
        override = overrides.get(rule.id)
        rules.append(
            RuleEntry(
                id=rule.id,
                level=running[rule.id].level if rule.id in running else "off",
                shipped_level=rule.level,
                override=override,
                applies=rule.applies,
                condition=describe(rule.condition.tree, questionnaire),
                patient_message=rule.patient_message.text,
                rationale=rule.rationale,
                sources=tuple({"key": s.key, "title": s.title, "urls": s.urls} for s in rule.sources),
                questions=tuple((qid, questionnaire.by_id[qid].text) for qid in rule.trigger_questions),
            )
        )
    readers: dict[str, list[str]] = {}
    for rule in shipped.rules:
        for qid in rule.trigger_questions:
            readers.setdefault(qid, []).append(rule.id)
    sections = {section.id: section.title for section in questionnaire.sections}
    questions = [
        QuestionEntry(
            id=q.id,
            number=q.number,
            section=sections.get(q.section, q.section),
            text=q.text,
            help=q.help,
            kind=TYPE_WORDS[q.type],
            options=tuple(option.label for option in q.options),
            shown="always" if q.shown_when is None else "when " + describe(q.shown_when.tree, questionnaire),
            rules=tuple(readers.get(q.id, ())),
        )
        for q in questionnaire.questions
    ]
    words = query.lower().split()
    if words:
        rules = [entry for entry in rules if all(word in entry.text() for word in words)]
        questions = [entry for entry in questions if all(word in entry.text_for_search() for word in words)]
    return Catalogue(
        ruleset.version, tuple(rules), tuple(questions), query.strip(), len(shipped.rules), len(questionnaire.questions)
    )


# --------------------------------------------------------------------------------------------------------------------
# The rules that judged a submission, compared with today's


@dataclass(frozen=True)
class SubmissionRulesDiff:
    available: bool  # False when the rules of that version were never archived
    old_version: str
    new_version: str
    rules: RuleSetDiff | None = None  # the rules files, before overrides
    overrides: tuple[str, ...] = ()  # override changes, in words


def submission_rules_diff(db: Database, version: str, current: RuleSet) -> SubmissionRulesDiff:
    """What changed between the rules that judged a screening and today's, for the clinician."""
    old = rulebook.archived_rules(db, version)
    if old is None:
        return SubmissionRulesDiff(False, version, current.version)
    return SubmissionRulesDiff(
        True,
        version,
        current.version,
        diff_rulesets(shipped_of(old), shipped_of(current)),
        tuple(override_changes(old.overrides, current.overrides)),
    )


def override_changes(old: tuple[Override, ...], new: tuple[Override, ...]) -> list[str]:
    """The clinic's override edits as lines for the audit log and the admin."""
    before = {item.rule_id: item for item in old}
    after = {item.rule_id: item for item in new}
    lines = []
    for rule_id, item in after.items():
        if rule_id not in before:
            lines.append(f"Override added: rule '{rule_id}' {item.describe()}")
        elif before[rule_id] != item:
            lines.append(f"Override changed: rule '{rule_id}' was {before[rule_id].describe()}; now {item.describe()}")
    for rule_id, item in before.items():
        if rule_id not in after:
            lines.append(f"Override removed: rule '{rule_id}' was {item.describe()}; it runs at its shipped level")
    return lines


# --------------------------------------------------------------------------------------------------------------------
# Try a case


@dataclass(frozen=True)
class FiredEntry:
    id: str
    level: str
    applies: str
    message: str
    override: Override | None


@dataclass(frozen=True)
class Judgement:
    label: str
    version: str
    outcome: str
    treatments: dict[str, str]
    fired: tuple[FiredEntry, ...]


@dataclass
class TryResult:
    problems: list[str] = field(default_factory=list)  # answers missing or not valid: they count as unanswered
    judgements: list[Judgement] = field(default_factory=list)
    overrides_problems: list[str] = field(default_factory=list)  # the pasted draft was refused


def judge(ruleset: RuleSet, raw: dict[str, Any], screening_date: date, label: str) -> tuple[Judgement, list[str]]:
    """Judge a typed case under a rule set for 'try a case': the fired rules, most severe first, and any errors."""
    answers, errors = ruleset.questionnaire.check(raw, screening_date)
    evaluation = evaluate_screening(ruleset, answers)
    overrides = overrides_by_rule(ruleset)
    fired = tuple(
        FiredEntry(f.rule.id, f.rule.level, f.rule.applies, f.message, overrides.get(f.rule.id))
        for f in sorted(evaluation.fired, key=lambda f: -SEVERITY[f.rule.level])
    )
    problems = [error.describe() for error in errors]
    return Judgement(label, ruleset.version, evaluation.outcome, evaluation.treatments, fired), problems


def try_case(current: RuleSet, raw: dict[str, Any], screening_date: date, draft_overrides: str = "") -> TryResult:
    """Judge answers under the rules as the clinic runs them and, when a draft of overrides is given, under the
    shipped rules with that draft instead of the clinic's overrides file. Nothing is stored."""
    result = TryResult()
    first, result.problems = judge(current, raw, screening_date, "The current rules")
    result.judgements.append(first)
    if draft_overrides.strip():
        shipped = shipped_of(current)
        try:
            drafted = apply_overrides(shipped, parse_overrides(draft_overrides, shipped, "the draft overrides"))
        except RulesError as error:
            result.overrides_problems = list(error.problems)
        else:
            second, _ = judge(drafted, raw, screening_date, "With the draft overrides")
            result.judgements.append(second)
    return result


def screening(db: Database, reference: int | str) -> dict[str, Any] | None:
    """A stored screening by its reference (digits), for trying it again or comparing its rules; None if none,
    Restricted for a restricted one."""
    text = str(reference)
    if not text.isdigit() or len(text) > 12:
        return None
    return refuse_restricted(store.get_submission(db, int(text)))
