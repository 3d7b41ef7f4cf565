"""Per-clinic overrides of rule levels (`instance/overrides.toml`), without editing the shipped rules.

    [rules.toxin_heart_condition]
    level = "review"                      # raise any rule; a reason is welcome but not required
    reason = "Our prescriber sees every cardiac history first."

    [rules.filler_keloid]
    level = "caution"                     # lower a review or caution rule: a reason is required
    reason = "We use only products licensed for this; the practitioner checks scars in person."

    [rules.upcoming_event]
    enabled = false                       # switch off a caution rule: a reason is required
    reason = "Our booking page already warns about bruising."

A decline or defer rule can never be lowered or switched off: the file is refused when it loads, naming the rule and
the file. Overrides are part of the rule set's version (a hash of the rules files and the overrides applied), so each
stored screening says which overrides judged it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .loading import RulesError
from .rules import RULE_LEVELS, SEVERITY, RuleSet

OFF = "off"
NEVER_LOWERED = ("decline", "defer")
_KEYS = {"level", "enabled", "reason"}


@dataclass(frozen=True)
class Override:
    rule_id: str
    shipped_level: str
    level: str  # the new level, or "off"
    reason: str

    @property
    def kind(self) -> str:
        if self.level == OFF:
            return "switched off"
        return "raised" if SEVERITY[self.level] > SEVERITY[self.shipped_level] else "lowered"

    def describe(self) -> str:
        """In words: "raised from caution to review (reason: ...)"."""
        what = "switched off" if self.level == OFF else f"{self.kind} from {self.shipped_level} to {self.level}"
        return what + (f" (reason: {self.reason})" if self.reason else "")

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule_id, "shipped_level": self.shipped_level, "level": self.level, "reason": self.reason}


@dataclass(frozen=True)
class Overrides:
    items: tuple[Override, ...]
    source: str  # the file name, for messages

    def as_json(self) -> list[dict[str, str]]:
        return [item.as_json() for item in self.items]

    def by_rule(self) -> dict[str, Override]:
        return {item.rule_id: item for item in self.items}


NO_OVERRIDES = Overrides((), "")


class OverridesError(RulesError):
    """The overrides file is refused; `problems` names the file and the rule for each reason."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        self.args = (f"the overrides are refused ({count}):\n" + "\n".join(f"  {p}" for p in problems),)

    def __str__(self) -> str:
        return self.args[0]


def read_overrides(path: str | Path, ruleset: RuleSet) -> Overrides:
    """Read an overrides file against the shipped rule set; a missing file means no overrides.

    Raises RulesError listing every problem, each naming the file and the rule.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NO_OVERRIDES
    except (OSError, UnicodeDecodeError) as error:
        raise OverridesError([f"{path}: cannot be read: {error}"]) from None
    return parse_overrides(text, ruleset, str(path))


def parse_overrides(text: str, ruleset: RuleSet, source: str = "overrides.toml") -> Overrides:
    """Parse overrides text (a file's content, or a draft pasted on the try-a-case page); raise RulesError."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise OverridesError([f"{source}: not valid TOML: {error}"]) from None
    problems: list[str] = []
    for key in sorted(set(document) - {"rules"}):
        problems.append(f"{source}: unknown table '{key}' (overrides are written [rules.RULE_ID])")
    tables = document.get("rules", {})
    if not isinstance(tables, dict):
        raise OverridesError([*problems, f"{source}: 'rules' must hold one [rules.RULE_ID] table per rule"])
    shipped = {rule.id: rule for rule in ruleset.rules}
    items: list[Override] = []
    for rule_id, data in tables.items():
        where = f"{source}: rule '{rule_id}'"
        rule = shipped.get(rule_id)
        if rule is None:
            problems.append(f"{where}: no such rule in the rules files")
            continue
        if not isinstance(data, dict):
            problems.append(f"{where}: must be a table with level or enabled, and reason")
            continue
        for key in sorted(set(data) - _KEYS):
            problems.append(f"{where}: unknown field '{key}' (allowed: enabled, level, reason)")
        reason = data.get("reason", "")
        if not isinstance(reason, str):
            problems.append(f"{where}: reason must be text")
            reason = ""
        reason = reason.strip()
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"{where}: enabled must be true or false")
            continue
        level = data.get("level")
        if not enabled:
            if level is not None:
                problems.append(f"{where}: give either level or enabled = false, not both")
                continue
            if rule.level in NEVER_LOWERED:
                problems.append(f"{where}: a {rule.level} rule can never be switched off")
                continue
            if rule.level != "caution":
                problems.append(f"{where}: only a caution rule can be switched off; a {rule.level} rule can be lowered")
                continue
            if not reason:
                problems.append(f"{where}: switching a rule off needs a reason")
                continue
            items.append(Override(rule_id, rule.level, OFF, reason))
            continue
        if level is None:
            problems.append(f'{where}: give level = "..." (or enabled = false to switch a caution rule off)')
            continue
        if level not in RULE_LEVELS:
            problems.append(f"{where}: unknown level {level!r} (known: {', '.join(RULE_LEVELS)})")
            continue
        if level == rule.level:
            problems.append(f"{where}: is {level} already; remove the override")
            continue
        if SEVERITY[level] < SEVERITY[rule.level]:
            if rule.level in NEVER_LOWERED:
                problems.append(f"{where}: a {rule.level} rule can never be lowered (asked: {level})")
                continue
            if not reason:
                problems.append(f"{where}: lowering a rule from {rule.level} to {level} needs a reason")
                continue
        items.append(Override(rule_id, rule.level, level, reason))
    if problems:
        raise OverridesError(problems)
    return Overrides(tuple(items), source)


def apply_overrides(ruleset: RuleSet, overrides: Overrides) -> RuleSet:
    """The rule set with the overrides applied: levels changed, switched-off rules left out, a new version.

    With no overrides the rule set is returned as it is (same version), so a clinic without an overrides file keeps
    the shipped version string.
    """
    if not overrides.items:
        return ruleset
    by_rule = overrides.by_rule()
    rules = []
    for rule in ruleset.rules:
        override = by_rule.get(rule.id)
        if override is None:
            rules.append(rule)
        elif override.level != OFF:
            rules.append(dataclasses.replace(rule, level=override.level))
    canonical = json.dumps(overrides.as_json(), sort_keys=True, separators=(",", ":"))
    version = hashlib.sha256(f"{ruleset.version}\0{canonical}".encode()).hexdigest()[:16]
    return dataclasses.replace(ruleset, rules=tuple(rules), version=version, overrides=overrides.items, shipped=ruleset)


def overrides_by_rule(ruleset: RuleSet) -> dict[str, Override]:
    """The overrides applied to a rule set, by rule id (empty for the shipped rules)."""
    return {item.rule_id: item for item in ruleset.overrides}


def shipped_of(ruleset: RuleSet) -> RuleSet:
    """The rule set before overrides (itself when none were applied)."""
    return ruleset.shipped or ruleset
