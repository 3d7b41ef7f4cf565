"""Every audit action the code appends has plain words for the audit trail page and the export: the package's source is
parsed, and every action named where an audit event is made must be in the one mapping."""

from __future__ import annotations

import ast
from pathlib import Path

import screening
from screening.domain.audit_words import ACTION_WORDS, action_words

PACKAGE = Path(screening.__file__).parent
MAKERS = {"event", "record", "AuditEvent", "_event"}  # Actor.event, web audit.record/event, AuditEvent, erasure's


def constants(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "text" constants (an action may be named by one)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def appended_actions() -> dict[str, str]:
    """Each action the package names where it makes an audit event, with where it is named."""
    actions: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in MAKERS:
                continue
            candidates = [k.value for k in node.keywords if k.arg == "action"]
            candidates += node.args[1:2] if name == "_event" else node.args[:1]
            for arg in candidates:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    actions.setdefault(arg.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
                elif isinstance(arg, ast.Name) and arg.id in named:
                    actions.setdefault(named[arg.id], f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return actions


def test_the_scan_finds_the_actions_it_should():
    found = appended_actions()
    assert {"decision_recorded", "try_case_from_submission", "submission_erased", "submission_seals_keyed"} <= set(
        found
    )
    assert len(found) >= 45


def test_every_action_the_code_appends_has_plain_words():
    missing = {action: where for action, where in appended_actions().items() if action not in ACTION_WORDS}

    assert missing == {}, f"give these audit actions words in screening/domain/audit_words.py: {missing}"


def test_words_are_sentences_and_an_unknown_action_still_reads():
    assert all(words[:1].isupper() and "_" not in words for words in ACTION_WORDS.values())
    assert action_words("try_case_from_submission") == ACTION_WORDS["try_case_from_submission"]
    assert action_words("something_new") == "Something new"
