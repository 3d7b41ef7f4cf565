"""Load the questionnaire, rules and sources from the clinic's TOML files, and refuse them with clear messages.

Every problem is collected (not just the first), each naming the file, the section, question, rule or source, and
what is wrong, so a clinic can fix a broken edit in one pass.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from .conditions import DERIVED_FROM, ConditionError, QuestionShape, compile_condition
from .questionnaire import QUESTION_TYPES, Option, Question, Questionnaire, Section
from .rules import APPLIES, PLACEHOLDER, PLACEHOLDER_BODY, RULE_LEVELS, DatePlaceholder, Message, Rule, RuleSet, Source

QUESTIONNAIRE_FILE = "questionnaire.toml"
RULES_FILE = "contraindications.toml"
SOURCES_FILE = "sources.toml"
FILES = (QUESTIONNAIRE_FILE, RULES_FILE, SOURCES_FILE)

_ID = re.compile(r"[a-z][a-z0-9_]*")
_SOURCE_KEY = re.compile(r"[A-Z][A-Z0-9]*")
_SECTION_KEYS = {"id", "slug", "title", "question"}
_QUESTION_KEYS = {"id", "type", "text", "help", "shown_when", "optional", "options"}
_RULE_KEYS = {"id", "level", "applies", "condition", "patient_message", "rationale", "sources"}
_SOURCE_KEYS = {"title", "urls", "used_for"}
_YES_NO = (Option("yes", "Yes"), Option("no", "No"))
# The engine derives toxin, filler and age_years from these; a questionnaire without them cannot be screened.
_REQUIRED_QUESTIONS = {
    "date_of_birth": ("date", ()),
    "treatment_requested": ("single", ("toxin", "filler", "both")),
}


class RulesError(Exception):
    """The rules files cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"the rules cannot be loaded ({count}):\n" + "\n".join(f"  {p}" for p in problems))


class _Problems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, file: str, where: str, what: str) -> None:
        self.items.append(f"{file}: {where}: {what}" if where else f"{file}: {what}")


def load_ruleset(directory: str | Path) -> RuleSet:
    """Load and check all rules files in a directory; raise RulesError listing every problem."""
    directory = Path(directory)
    problems = _Problems()
    documents = {name: _read_toml(directory / name, problems) for name in FILES}
    if problems.items:
        raise RulesError(problems.items)
    questionnaire = _questionnaire(documents[QUESTIONNAIRE_FILE], problems)
    sources = _sources(documents[SOURCES_FILE], problems)
    rules = _rules(documents[RULES_FILE], questionnaire, sources, problems)
    if problems.items:
        raise RulesError(problems.items)
    return RuleSet(questionnaire, tuple(rules), sources, ruleset_version(directory))


def read_source_keys(directory: str | Path) -> set[str]:
    """The source keys in a rules folder's sources.toml, for files that cite sources beside the rules (the consent
    texts); raise RulesError when the file cannot be read."""
    problems = _Problems()
    document = _read_toml(Path(directory) / SOURCES_FILE, problems)
    if problems.items:
        raise RulesError(problems.items)
    return set(document)


def ruleset_version(directory: str | Path) -> str:
    """A short hash of the rules files, so every stored screening says which rules judged it."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (Path(directory) / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _read_toml(path: Path, problems: _Problems) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(path.name, "", f"file not found in {path.parent}")
    except UnicodeDecodeError as error:
        problems.add(path.name, "", f"not UTF-8 text ({error.reason} at byte {error.start})")
    except tomllib.TOMLDecodeError as error:
        problems.add(path.name, "", f"not valid TOML: {error}")
    except OSError as error:
        problems.add(path.name, "", f"cannot be read: {error.strerror}")
    return {}


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _check_keys(table: dict, allowed: set[str], file: str, where: str, problems: _Problems) -> None:
    for key in sorted(set(table) - allowed):
        problems.add(file, where, f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


# --------------------------------------------------------------------------------------------------------------------
# Questionnaire


def _questionnaire(document: dict, problems: _Problems) -> Questionnaire:
    file = QUESTIONNAIRE_FILE
    sections_data = document.get("section")
    if not isinstance(sections_data, list) or not sections_data:
        problems.add(file, "", "no [[section]] tables")
        return Questionnaire(())

    # First pass: shapes of every well-formed question, so conditions can name them.
    raw_questions: list[tuple[int, dict, str]] = []
    seen_sections: dict[str, int] = {}
    for index, section in enumerate(sections_data, start=1):
        where = f"section {section.get('id', index)!s}" if isinstance(section, dict) else f"section {index}"
        if not isinstance(section, dict):
            problems.add(file, where, "must be a table")
            continue
        _check_keys(section, _SECTION_KEYS, file, where, problems)
        for key in ("id", "slug", "title"):
            if not _text(section.get(key)):
                problems.add(file, where, f"missing {key}")
        for key in ("id", "slug"):
            value = section.get(key)
            if _text(value):
                seen_key = f"{key}:{value}"
                if seen_key in seen_sections:
                    problems.add(file, where, f"duplicate section {key} '{value}'")
                seen_sections[seen_key] = index
        questions = section.get("question")
        if not isinstance(questions, list) or not questions:
            problems.add(file, where, "has no [[section.question]] tables")
            continue
        for question in questions:
            raw_questions.append((index, question, str(section.get("id", index))))

    shapes: dict[str, QuestionShape] = {}
    order: dict[str, int] = {}
    parsed: list[tuple[str, dict, str]] = []
    for number, (_, data, section_id) in enumerate(raw_questions, start=1):
        if not isinstance(data, dict):
            problems.add(file, f"section {section_id}", f"question {number} must be a table")
            continue
        qid = data.get("id")
        where = f"question '{qid}'" if _text(qid) else f"question {number} of section {section_id}"
        if not (isinstance(qid, str) and _ID.fullmatch(qid)):
            problems.add(file, where, "id must be snake_case letters, digits and underscores")
            continue
        if qid in shapes:
            problems.add(file, where, "duplicate question id")
            continue
        _check_keys(data, _QUESTION_KEYS, file, where, problems)
        qtype = data.get("type")
        if qtype not in QUESTION_TYPES:
            problems.add(file, where, f"unknown type {qtype!r} (known: {', '.join(QUESTION_TYPES)})")
            continue
        options = _options(data, qtype, file, where, problems)
        shapes[qid] = QuestionShape(qid, qtype, tuple(option.id for option in options))
        order[qid] = number
        parsed.append((qid, data, section_id))
        data["_options"] = options

    for qid, (qtype, option_ids) in _REQUIRED_QUESTIONS.items():
        shape = shapes.get(qid)
        if shape is None or shape.type != qtype or not set(option_ids) <= set(shape.options):
            expected = f"a {qtype} question" + (f" with options {', '.join(option_ids)}" if option_ids else "")
            problems.add(file, f"question '{qid}'", f"is required by the engine as {expected}")

    by_section: dict[str, list[Question]] = {}
    for qid, data, section_id in parsed:
        where = f"question '{qid}'"
        if not _text(data.get("text")):
            problems.add(file, where, "missing text (the wording the patient sees)")
        if "help" in data and not isinstance(data["help"], str):
            problems.add(file, where, "help must be text")
        optional = data.get("optional", False)
        if not isinstance(optional, bool):
            problems.add(file, where, "optional must be true or false")
            optional = False
        shown_when = None
        text = data.get("shown_when", "always")
        if not isinstance(text, str):
            problems.add(file, where, "shown_when must be a condition written as text")
        elif text.strip() != "always":
            try:
                shown_when = compile_condition(text, shapes)
            except ConditionError as error:
                problems.add(file, where, f"shown_when: {error}")
            else:
                for name in sorted(shown_when.names):
                    for source in DERIVED_FROM.get(name, (name,)):
                        if order.get(source, 0) >= order[qid]:
                            via = f" (through '{name}')" if source != name else ""
                            problems.add(
                                file,
                                where,
                                f"shown_when refers to '{source}'{via}, which is not earlier in the form; "
                                "a question may only depend on questions before it",
                            )
        by_section.setdefault(section_id, []).append(
            Question(
                id=qid,
                type=data["type"],
                text=str(data.get("text", "")),
                section=section_id,
                number=order[qid],
                help=str(data.get("help", "")),
                options=data["_options"],
                optional=optional,
                shown_when=shown_when,
            )
        )

    sections = [
        Section(str(s.get("id")), str(s.get("slug")), str(s.get("title")), tuple(by_section.get(str(s.get("id")), ())))
        for s in sections_data
        if isinstance(s, dict)
    ]
    return Questionnaire(tuple(sections))


def _options(data: dict, qtype: str, file: str, where: str, problems: _Problems) -> tuple[Option, ...]:
    options = data.get("options")
    if qtype == "yes_no":
        if options is not None:
            problems.add(file, where, "a yes_no question has the options yes and no; remove its options list")
        return _YES_NO
    if qtype in ("date", "text"):
        if options is not None:
            problems.add(file, where, f"a {qtype} question has no options")
        return ()
    if not isinstance(options, list) or not options:
        problems.add(file, where, f"a {qtype} question needs a list of options")
        return ()
    result: list[Option] = []
    for position, option in enumerate(options, start=1):
        if not isinstance(option, dict) or set(option) != {"id", "label"}:
            problems.add(file, where, f'option {position} must be {{ id = "...", label = "..." }}')
            continue
        oid, label = option["id"], option["label"]
        if not (isinstance(oid, str) and _ID.fullmatch(oid)):
            problems.add(file, where, f"option {position}: id must be snake_case")
            continue
        if not _text(label):
            problems.add(file, where, f"option '{oid}': missing label")
        if any(existing.id == oid for existing in result):
            problems.add(file, where, f"duplicate option id '{oid}'")
            continue
        result.append(Option(oid, str(label)))
    return tuple(result)


# --------------------------------------------------------------------------------------------------------------------
# Sources


def _sources(document: dict, problems: _Problems) -> dict[str, Source]:
    file = SOURCES_FILE
    sources: dict[str, Source] = {}
    for key, data in document.items():
        where = f"source '{key}'"
        if not _SOURCE_KEY.fullmatch(key):
            problems.add(file, where, "keys are capital letters and digits, for example S18")
        if not isinstance(data, dict):
            problems.add(file, where, "must be a table with title, urls and used_for")
            continue
        _check_keys(data, _SOURCE_KEYS, file, where, problems)
        if not _text(data.get("title")):
            problems.add(file, where, "missing title")
        urls = data.get("urls", [])
        web = ("https://", "http://")
        if not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(web) for u in urls):
            problems.add(file, where, "urls must be a list of http(s) addresses")
            urls = []
        if not _text(data.get("used_for")):
            problems.add(file, where, "missing used_for (what the source supports)")
        sources[key] = Source(key, str(data.get("title", "")), tuple(urls), str(data.get("used_for", "")))
    if not sources:
        problems.add(file, "", "no sources")
    return sources


# --------------------------------------------------------------------------------------------------------------------
# Rules


def _rules(document: dict, questionnaire: Questionnaire, sources: dict[str, Source], problems: _Problems) -> list[Rule]:
    file = RULES_FILE
    rules_data = document.get("rule")
    if not isinstance(rules_data, list) or not rules_data:
        problems.add(file, "", "no [[rule]] tables")
        return []
    questions = questionnaire.by_id
    shapes = {q.id: QuestionShape(q.id, q.type, q.option_ids) for q in questions.values()}
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, data in enumerate(rules_data, start=1):
        if not isinstance(data, dict):
            problems.add(file, f"rule {position}", "must be a table")
            continue
        rid = data.get("id")
        where = f"rule '{rid}'" if _text(rid) else f"rule {position}"
        if not (isinstance(rid, str) and _ID.fullmatch(rid)):
            problems.add(file, where, "id must be snake_case letters, digits and underscores")
            continue
        if rid in seen:
            problems.add(file, where, "duplicate rule id")
            continue
        seen.add(rid)
        _check_keys(data, _RULE_KEYS, file, where, problems)
        level, applies = data.get("level"), data.get("applies")
        if level not in RULE_LEVELS:
            problems.add(file, where, f"unknown level {level!r} (known: {', '.join(RULE_LEVELS)})")
        if applies not in APPLIES:
            problems.add(file, where, f"unknown applies {applies!r} (known: {', '.join(APPLIES)})")
        condition = None
        if not _text(data.get("condition")):
            problems.add(file, where, "missing condition")
        else:
            try:
                condition = compile_condition(data["condition"], shapes)
            except ConditionError as error:
                problems.add(file, where, f"condition: {error}")
        message = None
        if not _text(data.get("patient_message")):
            problems.add(file, where, "missing patient_message")
        else:
            message = _message(data["patient_message"], questionnaire, file, where, problems)
        if not _text(data.get("rationale")):
            problems.add(file, where, "missing rationale (the clinician's explanation)")
        keys = data.get("sources")
        if not isinstance(keys, list) or not keys or not all(isinstance(key, str) for key in keys):
            problems.add(file, where, "sources must be a non-empty list of source keys")
            keys = []
        for key in keys:
            if key not in sources:
                problems.add(file, where, f"unknown source '{key}' (not in {SOURCES_FILE})")
        if condition is None or message is None or level not in RULE_LEVELS or applies not in APPLIES:
            continue
        triggers = {source for name in condition.names for source in DERIVED_FROM.get(name, (name,))}
        rules.append(
            Rule(
                id=rid,
                level=level,
                applies=applies,
                condition=condition,
                patient_message=message,
                rationale=str(data.get("rationale", "")),
                sources=tuple(sources[key] for key in keys if key in sources),
                trigger_questions=tuple(q for q in questions if q in triggers),
            )
        )
    return rules


def _message(text: str, questionnaire: Questionnaire, file: str, where: str, problems: _Problems) -> Message | None:
    parts: list[str | DatePlaceholder] = []
    position = 0
    ok = True
    for match in PLACEHOLDER.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        body = PLACEHOLDER_BODY.fullmatch(match.group(1))
        question = questionnaire.by_id.get(body.group(1)) if body else None
        if body is None or question is None or question.type != "date":
            problems.add(
                file, where, f"patient_message: unknown placeholder {match.group()} (use {{date_question + N days}})"
            )
            ok = False
            continue
        parts.append(DatePlaceholder(question.id, int(body.group(2) or 0)))
    rest = text[position:]
    if "{" in rest or "}" in rest or any("{" in p or "}" in p for p in parts if isinstance(p, str)):
        problems.add(file, where, "patient_message: unmatched { or }")
        ok = False
    parts.append(rest)
    return Message(tuple(part for part in parts if part != "")) if ok else None
