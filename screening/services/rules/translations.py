"""The translations of the clinical wording in the rules folder's translations/: each file read and checked against
the rule set (for `screening rules check` and at the app's start), and the localized rule set of each language that
may be offered (valid, complete and approved by a clinician)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from screening.domain import RuleSet
from screening.domain.translations import (
    Report,
    TranslationError,
    check_translation,
    load_translation,
    localize,
    translation_files,
)


@dataclass(frozen=True)
class Checked:
    """One translation file as checked: its problems (any one refuses it) and, when it could be read, the report."""

    file: str
    language: str
    problems: tuple[str, ...]
    report: Report | None

    @property
    def offerable(self) -> bool:
        return self.report is not None and self.report.offerable

    def summary(self) -> str:
        if self.report is None:
            return f"{self.language}: cannot be read"
        return self.report.summary()


def check_all(rules_dir: str | Path, ruleset: RuleSet) -> list[Checked]:
    """Every translation file in the rules folder, checked against this rule set, by language."""
    checked = []
    for path in translation_files(rules_dir):
        file = f"{path.parent.name}/{path.name}"
        try:
            translation = load_translation(path)
        except TranslationError as error:
            checked.append(Checked(file, path.stem, tuple(error.problems), None))
            continue
        report = check_translation(translation, ruleset)
        checked.append(Checked(file, translation.language, report.problems, report))
    return checked


@dataclass(frozen=True)
class Translations:
    """What the app loaded at its start: every file's check, and the localized rule set of each offerable one."""

    checked: tuple[Checked, ...]
    localized: dict[str, RuleSet]


def load(rules_dir: str | Path, ruleset: RuleSet) -> Translations:
    """Check every translation against the rule set the app judges with, and localize the offerable ones. A file
    with a problem is not offered; it does not stop the start (`screening rules check` refuses it)."""
    checked = check_all(rules_dir, ruleset)
    localized = {
        item.language: localize(ruleset, item.report.translation)
        for item in checked
        if item.offerable and item.report is not None
    }
    return Translations(tuple(checked), localized)
