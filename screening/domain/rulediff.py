"""What changed between two rule sets, in words a clinician reads: questions, rules and sources added, removed, changed.

A pure function over two loaded RuleSets: conditions are compared by their parsed trees and written in plain words
(screening.domain.plain), so a change of spacing in a condition is no change, and a changed condition is shown as
"was: ... / now: ...". Levels say whether they were raised or lowered.
"""

from __future__ import annotations

from dataclasses import dataclass

from .conditions import tree_to_json
from .plain import describe
from .questionnaire import Question
from .rules import SEVERITY, Rule, RuleSet, Source

_TREATMENT_WORDS = {"toxin": "anti-wrinkle injections (toxin)", "filler": "dermal filler", "any": "any treatment"}


@dataclass(frozen=True)
class Change:
    kind: str  # question | rule | source
    id: str
    what: str  # added | removed | changed
    details: tuple[str, ...]  # one sentence each

    @property
    def title(self) -> str:
        return f"{self.kind.capitalize()} '{self.id}' {self.what}"


@dataclass(frozen=True)
class RuleSetDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    def lines(self) -> list[str]:
        """The diff as text: a heading per change and an indented line per detail."""
        if self.empty:
            return ["No differences in questions, rules or sources."]
        out = []
        for change in self.changes:
            out.append(f"{change.title}:" if change.details else change.title)
            out += [f"  - {detail}" for detail in change.details]
        return out


def diff_rulesets(old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """Every question, rule and source added, removed or changed from `old` to `new`, in words."""
    changes: list[Change] = []
    changes += _questions(old, new)
    changes += _rules(old, new)
    changes += _sources(old, new)
    return RuleSetDiff(old.version, new.version, tuple(changes))


def _quote(text: str) -> str:
    return f"\u201c{text}\u201d"


# --------------------------------------------------------------------------------------------------------------------
# Questions


def _questions(old: RuleSet, new: RuleSet) -> list[Change]:
    before, after = old.questionnaire.by_id, new.questionnaire.by_id
    changes = []
    for qid, question in after.items():
        if qid not in before:
            shown = _shown(question, new)
            details = (f"Asks {_quote(question.text)}", f"Shown {shown}", *_options(question))
            changes.append(Change("question", qid, "added", details))
    for qid, question in before.items():
        if qid not in after:
            changes.append(Change("question", qid, "removed", (f"No longer asks {_quote(question.text)}",)))
    for qid, question in after.items():
        if qid in before:
            details = _question_details(before[qid], question, old, new)
            if details:
                changes.append(Change("question", qid, "changed", tuple(details)))
    return changes


def _shown(question: Question, ruleset: RuleSet) -> str:
    if question.shown_when is None:
        return "always"
    return "when " + describe(question.shown_when.tree, ruleset.questionnaire)


def _options(question: Question) -> tuple[str, ...]:
    if not question.options:
        return ()
    return ("Options: " + "; ".join(_quote(option.label) for option in question.options),)


def _question_details(a: Question, b: Question, old: RuleSet, new: RuleSet) -> list[str]:
    details = []
    if a.text != b.text:
        details.append(f"Wording was {_quote(a.text)}, now {_quote(b.text)}")
    if a.help != b.help:
        details.append(f"Help text was {_quote(a.help or '(none)')}, now {_quote(b.help or '(none)')}")
    if a.type != b.type:
        details.append(f"Type was {a.type}, now {b.type}")
    if a.optional != b.optional:
        details.append("Now optional" if b.optional else "Now required")
    if a.section != b.section:
        details.append(f"Moved from section {a.section} to section {b.section}")
    old_options = {option.id: option.label for option in a.options}
    new_options = {option.id: option.label for option in b.options}
    for oid, label in new_options.items():
        if oid not in old_options:
            details.append(f"New option {_quote(label)}")
        elif old_options[oid] != label:
            details.append(f"Option {_quote(old_options[oid])} now reads {_quote(label)}")
    for oid, label in old_options.items():
        if oid not in new_options:
            details.append(f"Option {_quote(label)} removed")
    if _tree(a.shown_when) != _tree(b.shown_when):
        details.append(f"Was shown {_shown(a, old)}; now shown {_shown(b, new)}")
    return details


def _tree(condition):
    return None if condition is None else tree_to_json(condition.tree)  # without columns: spacing is no change


# --------------------------------------------------------------------------------------------------------------------
# Rules


def _rules(old: RuleSet, new: RuleSet) -> list[Change]:
    before = {rule.id: rule for rule in old.rules}
    after = {rule.id: rule for rule in new.rules}
    changes = []
    for rid, rule in after.items():
        if rid not in before:
            changes.append(
                Change(
                    "rule",
                    rid,
                    "added",
                    (
                        f"Level {rule.level}, for {_TREATMENT_WORDS[rule.applies]}",
                        "Fires when " + describe(rule.condition.tree, new.questionnaire),
                        f"Tells the patient {_quote(rule.patient_message.text)}",
                    ),
                )
            )
    for rid, rule in before.items():
        if rid not in after:
            was = f"Was {rule.level} for {_TREATMENT_WORDS[rule.applies]}; no longer runs"
            changes.append(Change("rule", rid, "removed", (was,)))
    for rid, rule in after.items():
        if rid in before:
            details = _rule_details(before[rid], rule, old, new)
            if details:
                changes.append(Change("rule", rid, "changed", tuple(details)))
    return changes


def _rule_details(a: Rule, b: Rule, old: RuleSet, new: RuleSet) -> list[str]:
    details = []
    if a.level != b.level:
        direction = "raised" if SEVERITY[b.level] > SEVERITY[a.level] else "lowered"
        details.append(f"Level {direction} from {a.level} to {b.level}")
    if a.applies != b.applies:
        details.append(f"Applied to {_TREATMENT_WORDS[a.applies]}, now to {_TREATMENT_WORDS[b.applies]}")
    if _tree(a.condition) != _tree(b.condition):
        details.append("Fired when " + describe(a.condition.tree, old.questionnaire))
        details.append("Now fires when " + describe(b.condition.tree, new.questionnaire))
    if a.patient_message.text != b.patient_message.text:
        details.append(f"Patient message was {_quote(a.patient_message.text)}, now {_quote(b.patient_message.text)}")
    if a.rationale != b.rationale:
        details.append(f"Clinician rationale was {_quote(a.rationale)}, now {_quote(b.rationale)}")
    old_keys = [source.key for source in a.sources]
    new_keys = [source.key for source in b.sources]
    added = [key for key in new_keys if key not in old_keys]
    removed = [key for key in old_keys if key not in new_keys]
    if added:
        details.append("Cites " + ", ".join(f"{key} ({new.sources[key].title})" for key in added) + " as well")
    if removed:
        details.append("No longer cites " + ", ".join(f"{key} ({old.sources[key].title})" for key in removed))
    return details


# --------------------------------------------------------------------------------------------------------------------
# Sources


def _sources(old: RuleSet, new: RuleSet) -> list[Change]:
    changes = []
    for key, source in new.sources.items():
        if key not in old.sources:
            changes.append(Change("source", key, "added", (_quote(source.title), *source.urls)))
    for key, source in old.sources.items():
        if key not in new.sources:
            changes.append(Change("source", key, "removed", (_quote(source.title),)))
    for key, source in new.sources.items():
        if key in old.sources:
            details = _source_details(old.sources[key], source)
            if details:
                changes.append(Change("source", key, "changed", tuple(details)))
    return changes


def _source_details(a: Source, b: Source) -> list[str]:
    details = []
    if a.title != b.title:
        details.append(f"Title was {_quote(a.title)}, now {_quote(b.title)}")
    for url in b.urls:
        if url not in a.urls:
            details.append(f"New address {url}")
    for url in a.urls:
        if url not in b.urls:
            details.append(f"Address {url} removed")
    if a.used_for != b.used_for:
        details.append(f"What it supports was {_quote(a.used_for)}, now {_quote(b.used_for)}")
    return details
