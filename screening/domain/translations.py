"""The clinical wording in another language: a translation file, its check against the rule set, and the rule set
with its wording replaced.

A translation (rules/translations/<language>.toml) holds only words, keyed by the stable ids: section titles,
question texts, help texts and option labels, the yes/no labels, and each rule's patient message. Conditions, levels,
ids and the version stay the clinic's, so `localize` cannot change what the engine decides.

A translation is offered to patients only when it is valid (no unknown id, placeholders as in the English, made from
the English wording the rules hold now), complete (nothing left untranslated) and approved by a clinician with a
register. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from .loading import _message, _Problems
from .questionnaire import Question, Questionnaire
from .record_facts import judged_answers
from .rules import PLACEHOLDER, DatePlaceholder, Message, RuleSet

TRANSLATIONS_FOLDER = "translations"
SOURCE_LANGUAGE = "en"
YES_NO = ("yes", "no")  # the options every yes_no question has (domain.loading)

_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
_HEADER = {"language", "name", "translates", "approved_by", "register", "approved_at"}
_TABLES = {"yes_no", "sections", "questions", "messages"}
_APPROVAL = ("approved_by", "register", "approved_at")


@dataclass(frozen=True)
class Approval:
    """Who approved a translation: a clinician's name, their register and number, the ISO date they approved it."""

    approved_by: str = ""
    register: str = ""
    approved_at: str = ""

    @property
    def given(self) -> bool:
        return all((self.approved_by.strip(), self.register.strip(), self.approved_at.strip()))

    @property
    def started(self) -> bool:
        return any((self.approved_by.strip(), self.register.strip(), self.approved_at.strip()))

    def describe(self) -> str:
        if not self.given:
            return "awaiting a clinician's approval"
        return f"approved by {self.approved_by} ({self.register}) on {self.approved_at}"


@dataclass(frozen=True)
class Translation:
    """One language's wording, as read from its file (nothing checked against the rules yet)."""

    file: str
    language: str
    name: str
    translates: str
    approval: Approval
    yes_no: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)  # section id -> title
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {text, help, options: {id: label}}
    messages: dict[str, str] = field(default_factory=dict)  # rule id -> patient message


@dataclass(frozen=True)
class Report:
    """What the check found: problems (the file cannot be used) and what is left untranslated (it can, but is not
    offered until complete)."""

    translation: Translation
    problems: tuple[str, ...]
    untranslated: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def offerable(self) -> bool:
        """Valid, complete and approved: the only state in which patients are shown it."""
        return self.valid and not self.untranslated and self.translation.approval.given

    def summary(self) -> str:
        """One line: 'es: 0 untranslated, awaiting a clinician's approval'."""
        return (
            f"{self.translation.language}: {len(self.untranslated)} untranslated, "
            f"{self.translation.approval.describe()}"
        )


class TranslationError(Exception):
    """A translation file cannot be read at all; `problems` lists every reason, each naming the file."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --------------------------------------------------------------------------------------------------------------------
# The English wording and its version


def wording_version(ruleset: RuleSet) -> str:
    """A short hash of the English clinical wording only (section titles, question texts, help texts, option labels,
    rules' patient messages), so a translation goes stale when a word changes but not when a condition, a level or an
    override does. Overrides never change wording, and a rule switched off still has its words: the shipped rules
    are hashed."""
    shipped = ruleset.shipped or ruleset
    wording = {
        "sections": {section.id: section.title for section in shipped.questionnaire.sections},
        "questions": {
            question.id: [question.text, question.help, [[o.id, o.label] for o in question.options]]
            for question in shipped.questionnaire.questions
        },
        "messages": {rule.id: rule.patient_message.text for rule in shipped.rules},
    }
    canonical = json.dumps(wording, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------------------------
# Reading a file


def load_translation(path: str | Path) -> Translation:
    """Read one translation file; raise TranslationError (each problem naming the file and the key) when it is not
    readable TOML of the expected shape. What it says is checked against the rules by `check_translation`."""
    path = Path(path)
    file = f"{TRANSLATIONS_FOLDER}/{path.name}"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TranslationError([f"{file}: file not found"]) from None
    except UnicodeDecodeError as error:
        raise TranslationError([f"{file}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except tomllib.TOMLDecodeError as error:
        raise TranslationError([f"{file}: not valid TOML: {error}"]) from None
    except OSError as error:
        raise TranslationError([f"{file}: cannot be read: {error.strerror}"]) from None
    return parse_translation(document, file, expected_language=path.stem)


def parse_translation(document: dict[str, Any], file: str, expected_language: str | None = None) -> Translation:
    """A translation from its TOML document; raise TranslationError listing every problem of shape."""
    problems: list[str] = []

    def text(value: Any, where: str) -> str:
        if not isinstance(value, str):
            problems.append(f"{file}: {where}: must be text (got {type(value).__name__})")
            return ""
        return value

    for key in sorted(set(document) - _HEADER - _TABLES):
        problems.append(f"{file}: unknown field '{key}' (allowed: {', '.join(sorted(_HEADER | _TABLES))})")
    header = {key: text(document.get(key, ""), key) for key in sorted(_HEADER)}
    language = header["language"]
    if not _LANGUAGE.fullmatch(language):
        problems.append(f'{file}: language: {language!r} is not a language code such as "es"')
    elif expected_language is not None and language != expected_language:
        problems.append(f"{file}: language: {language!r} but the file is named for {expected_language!r}")
    if not header["name"].strip():
        problems.append(f'{file}: name: missing (the language\'s own name, for example "Español")')
    if not header["translates"].strip():
        problems.append(
            f"{file}: translates: missing (the wording version it translates: screening rules wording-version)"
        )

    def table(key: str) -> dict[str, Any]:
        value = document.get(key, {})
        if not isinstance(value, dict):
            problems.append(f"{file}: [{key}] must be a table")
            return {}
        return value

    yes_no = {}
    for key, value in table("yes_no").items():
        yes_no[key] = text(value, f"yes_no.{key}")
    sections = {}
    for sid, value in table("sections").items():
        if not isinstance(value, dict):
            problems.append(f"{file}: sections.{sid}: must be a table with a title")
            continue
        for extra in sorted(set(value) - {"title"}):
            problems.append(f"{file}: sections.{sid}: unknown field '{extra}' (allowed: title)")
        if "title" in value:
            sections[sid] = text(value["title"], f"sections.{sid}.title")
    questions: dict[str, dict[str, Any]] = {}
    for qid, value in table("questions").items():
        if not isinstance(value, dict):
            problems.append(f"{file}: questions.{qid}: must be a table with text, help and options")
            continue
        for extra in sorted(set(value) - {"text", "help", "options"}):
            problems.append(f"{file}: questions.{qid}: unknown field '{extra}' (allowed: help, options, text)")
        entry: dict[str, Any] = {}
        for key in ("text", "help"):
            if key in value:
                entry[key] = text(value[key], f"questions.{qid}.{key}")
        options = value.get("options", {})
        if not isinstance(options, dict):
            problems.append(f'{file}: questions.{qid}.options: must be a table of option id = "label"')
            options = {}
        entry["options"] = {oid: text(label, f"questions.{qid}.options.{oid}") for oid, label in options.items()}
        questions[qid] = entry
    messages = {}
    for rid, value in table("messages").items():
        if not isinstance(value, dict):
            problems.append(f"{file}: messages.{rid}: must be a table with a patient_message")
            continue
        for extra in sorted(set(value) - {"patient_message"}):
            problems.append(f"{file}: messages.{rid}: unknown field '{extra}' (allowed: patient_message)")
        if "patient_message" in value:
            messages[rid] = text(value["patient_message"], f"messages.{rid}.patient_message")
    if problems:
        raise TranslationError(problems)
    return Translation(
        file=file,
        language=language,
        name=header["name"],
        translates=header["translates"],
        approval=Approval(header["approved_by"], header["register"], header["approved_at"]),
        yes_no=yes_no,
        sections=sections,
        questions=questions,
        messages=messages,
    )


# --------------------------------------------------------------------------------------------------------------------
# Checking it against the rules


def check_translation(translation: Translation, ruleset: RuleSet) -> Report:
    """Every problem (an unknown id, a placeholder missing or added, a stale wording version, an approval half
    filled in), each naming the file, the id and the value; and every id left untranslated (blank counts as
    untranslated). Checked against the shipped rules, so an override that switches a rule off leaves its message
    known."""
    shipped = ruleset.shipped or ruleset
    questionnaire = shipped.questionnaire
    file = translation.file
    problems: list[str] = []
    untranslated: list[str] = []

    current = wording_version(shipped)
    if translation.translates != current:
        problems.append(
            f"{file}: translates: {translation.translates!r} is stale: the English wording is now {current!r} "
            "(bring the changed wording up to date, then have it approved again)"
        )
    problems += _approval_problems(translation.approval, file)

    has_yes_no = any(question.type == "yes_no" for question in questionnaire.questions)
    for key, value in translation.yes_no.items():
        if key not in YES_NO:
            problems.append(f"{file}: yes_no.{key}: unknown option (a yes/no question has yes and no) = {value!r}")
    if has_yes_no:
        untranslated += [f"yes_no.{key}" for key in YES_NO if not translation.yes_no.get(key, "").strip()]

    sections = {section.id for section in questionnaire.sections}
    for sid, title in translation.sections.items():
        if sid not in sections:
            problems.append(f"{file}: sections.{sid}: unknown section id (title {title!r})")
    untranslated += [
        f"sections.{s.id}.title" for s in questionnaire.sections if not translation.sections.get(s.id, "").strip()
    ]

    for qid, entry in translation.questions.items():
        question = questionnaire.by_id.get(qid)
        if question is None:
            problems.append(f"{file}: questions.{qid}: unknown question id (text {entry.get('text', '')!r})")
            continue
        if entry.get("help", "").strip() and not question.help:
            problems.append(f"{file}: questions.{qid}.help: the English has no help text (help {entry['help']!r})")
        options = question.option_ids if question.type != "yes_no" else ()
        for oid, label in entry["options"].items():
            if oid not in options:
                known = ", ".join(options) or "none: a yes/no question's labels are in [yes_no]"
                problems.append(
                    f"{file}: questions.{qid}.options.{oid}: unknown option id (known: {known}) = {label!r}"
                )
    for question in questionnaire.questions:
        entry = translation.questions.get(question.id, {"options": {}})
        if not entry.get("text", "").strip():
            untranslated.append(f"questions.{question.id}.text")
        if question.help and not entry.get("help", "").strip():
            untranslated.append(f"questions.{question.id}.help")
        if question.type != "yes_no":
            untranslated += [
                f"questions.{question.id}.options.{o.id}"
                for o in question.options
                if not entry["options"].get(o.id, "").strip()
            ]

    rules = {rule.id: rule for rule in shipped.rules}
    for rid, text in translation.messages.items():
        rule = rules.get(rid)
        if rule is None:
            problems.append(f"{file}: messages.{rid}: unknown rule id (patient_message {text!r})")
            continue
        if not text.strip():
            continue
        problems += _placeholder_problems(text, rule.patient_message, questionnaire, file, rid)
    untranslated += [
        f"messages.{rule.id}" for rule in shipped.rules if not translation.messages.get(rule.id, "").strip()
    ]
    return Report(translation, tuple(problems), tuple(untranslated))


def _approval_problems(approval: Approval, file: str) -> list[str]:
    if not approval.started:
        return []
    problems = []
    for key in _APPROVAL:
        if not getattr(approval, key).strip():
            others = ", ".join(f"{other} = {getattr(approval, other)!r}" for other in _APPROVAL if other != key)
            problems.append(f"{file}: {key}: missing, but the approval is partly filled in ({others})")
    when = approval.approved_at.strip()
    if when and not _is_iso_date(when):
        problems.append(f"{file}: approved_at: {when!r} is not a date (write it as YYYY-MM-DD)")
    return problems


def _is_iso_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _placeholders(message: Message) -> Counter:
    return Counter(
        f"{{{part.question_id} + {part.days} days}}" for part in message.parts if isinstance(part, DatePlaceholder)
    )


def _parse(text: str, questionnaire: Questionnaire, file: str, where: str) -> tuple[Message | None, list[str]]:
    problems = _Problems()
    message = _message(text, questionnaire, file, where, problems)  # the loader's own parsing, so both read alike
    return message, problems.items


def _placeholder_problems(text: str, english: Message, questionnaire: Questionnaire, file: str, rid: str) -> list[str]:
    message, problems = _parse(text, questionnaire, file, f"messages.{rid}")
    if message is None:
        return [f"{problem} in {text!r}" for problem in problems]
    wanted, given = _placeholders(english), _placeholders(message)
    found = []
    for placeholder in sorted(wanted - given):
        found.append(f"{file}: messages.{rid}: missing placeholder {placeholder} (the English has it) in {text!r}")
    for placeholder in sorted(given - wanted):
        found.append(f"{file}: messages.{rid}: placeholder {placeholder} is not in the English, in {text!r}")
    return found


# --------------------------------------------------------------------------------------------------------------------
# The rule set in another language


def localize(ruleset: RuleSet, translation: Translation) -> RuleSet:
    """The same rule set (same conditions, ids, levels, sources, overrides and version) with the translated wording
    in place of the English; anything untranslated or unusable keeps the English. Only the words change, so every
    outcome the engine gives is the same."""
    questionnaire = ruleset.questionnaire
    sections = []
    for section in questionnaire.sections:
        questions = tuple(_question(question, translation) for question in section.questions)
        title = translation.sections.get(section.id, "").strip() or section.title
        sections.append(replace(section, title=title, questions=questions))
    localized_questionnaire = Questionnaire(tuple(sections))
    rules = []
    for rule in ruleset.rules:
        text = translation.messages.get(rule.id, "")
        message = None
        if text.strip():
            message, problems = _parse(text, questionnaire, translation.file, f"messages.{rule.id}")
            if problems or message is None or _placeholders(message) != _placeholders(rule.patient_message):
                message = None
        rules.append(replace(rule, patient_message=message) if message is not None else rule)
    return replace(ruleset, questionnaire=localized_questionnaire, rules=tuple(rules))


def _question(question: Question, translation: Translation) -> Question:
    entry = translation.questions.get(question.id, {})
    labels = translation.yes_no if question.type == "yes_no" else entry.get("options", {})
    options = tuple(
        replace(option, label=labels.get(option.id, "").strip() or option.label) for option in question.options
    )
    return replace(
        question,
        text=entry.get("text", "").strip() or question.text,
        help=(entry.get("help", "").strip() or question.help) if question.help else "",
        options=options,
    )


def localized_message(fired: dict[str, Any], english: RuleSet, localized: RuleSet, env: dict[str, Any]) -> str:
    """A stored fired rule's patient message in the patient's language, rendered again from the localized rule with
    the same answers. The stored (English) message stands when the rule set no longer says it that way (a screening
    judged by older rules, or a rule not translated): the patient is never told words that the rules that judged them
    did not say."""
    stored = fired["patient_message"]
    rule_id = fired.get("rule_id")
    try:
        english_rule = english.rule(rule_id)
        localized_rule = localized.rule(rule_id)
    except StopIteration:
        return stored
    try:
        if english_rule.patient_message.render(env) != stored:
            return stored
        return localized_rule.patient_message.render(env)
    except Exception:  # a message that cannot be rendered again keeps the words the patient was first given
        return stored


def localized_fired(
    fired: list[dict[str, Any]],
    *,
    answers: dict[str, Any],
    screening_date: date,
    facts: dict[str, Any],
    english: RuleSet,
    localized: RuleSet,
) -> list[dict[str, Any]]:
    """A stored screening's fired rules with each message in the localized wording, rendered again with the answers
    the rules read (the record's facts included, as when it was judged)."""
    if localized is english:
        return fired
    checked, _ = english.questionnaire.check(answers, screening_date)
    env = judged_answers(english.questionnaire, checked, facts).env
    return [{**rule, "patient_message": localized_message(rule, english, localized, env)} for rule in fired]


# --------------------------------------------------------------------------------------------------------------------
# A pseudo-translation, to see that every word on the patient side comes from the wording data


_ACCENTS = str.maketrans(  # every letter, so no plain English word is left in a pseudo-translated page
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)


def pseudo(text: str) -> str:
    """Every letter accented, a third longer in words of tildes, placeholders kept: '[Ŵĥåţ îš ýöûŕ ~~~~]'."""
    if not text:
        return text
    pieces = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(text[position : match.start()].translate(_ACCENTS))
        pieces.append(match.group())
        position = match.end()
    pieces.append(text[position:].translate(_ACCENTS))
    extra = max(1, len(text) // 3)  # in words of up to four tildes: a translation runs longer in words, not one run
    padding = ["~" * 4] * (extra // 4) + (["~" * (extra % 4)] if extra % 4 else [])
    return "[" + "".join(pieces) + " " + " ".join(padding) + "]"


def pseudo_translation(ruleset: RuleSet, language: str = "qps") -> Translation:
    """A complete, valid pseudo-translation of every id (nothing approved: it is for tests and for looking)."""
    shipped = ruleset.shipped or ruleset
    questionnaire = shipped.questionnaire
    return Translation(
        file=f"{TRANSLATIONS_FOLDER}/{language}.toml",
        language=language,
        name="Pseudo",
        translates=wording_version(shipped),
        approval=Approval(),
        yes_no={"yes": pseudo("Yes"), "no": pseudo("No")},
        sections={section.id: pseudo(section.title) for section in questionnaire.sections},
        questions={
            question.id: {
                "text": pseudo(question.text),
                **({"help": pseudo(question.help)} if question.help else {}),
                "options": {o.id: pseudo(o.label) for o in question.options} if question.type != "yes_no" else {},
            }
            for question in questionnaire.questions
        },
        messages={rule.id: pseudo(rule.patient_message.text) for rule in shipped.rules},
    )


def _toml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string (the same escapes)


def translation_toml(translation: Translation) -> str:
    """A translation as the file load_translation reads: the header, [yes_no], each section, question and message
    (options in a question's inline table). Loading the text gives back the same wording."""
    approval = translation.approval
    lines = [
        f"language = {_toml_text(translation.language)}",
        f"name = {_toml_text(translation.name)}",
        f"translates = {_toml_text(translation.translates)}",
        f"approved_by = {_toml_text(approval.approved_by)}",
        f"register = {_toml_text(approval.register)}",
        f"approved_at = {_toml_text(approval.approved_at)}",
        "",
        "[yes_no]",
        *(f"{key} = {_toml_text(label)}" for key, label in translation.yes_no.items()),
    ]
    for sid, title in translation.sections.items():
        lines += ["", f"[sections.{sid}]", f"title = {_toml_text(title)}"]
    for qid, entry in translation.questions.items():
        lines += ["", f"[questions.{qid}]"]
        lines += [f"{key} = {_toml_text(entry[key])}" for key in ("text", "help") if key in entry]
        if entry.get("options"):
            options = ", ".join(f"{oid} = {_toml_text(label)}" for oid, label in entry["options"].items())
            lines.append(f"options = {{ {options} }}")
    for rid, message in translation.messages.items():
        lines += ["", f"[messages.{rid}]", f"patient_message = {_toml_text(message)}"]
    return "\n".join(lines) + "\n"


def translation_files(rules_dir: str | Path) -> list[Path]:
    """The translation files in a rules folder's translations/ (none when it is absent), by language."""
    folder = Path(rules_dir) / TRANSLATIONS_FOLDER
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []
