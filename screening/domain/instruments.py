"""A clinic's licensed assessment instrument (a validated scored questionnaire such as one for body dysmorphic
concern), as a data file in `rules/instruments/<id>.toml`. The product ships none: such texts are held under licence
and may not be altered or passed on without the holder's permission, so only a clinic that holds a licence adds one.

`load_instruments` reads and checks the folder (absent by default: no instrument), collecting every problem with its
file and field, like the rules. `Instrument.score` adds up the answers' scores and says whether the cut-off is
reached; a positive score sends the screening to the practitioner's psychological-suitability assessment."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .loading import RulesError

INSTRUMENTS_FOLDER = "instruments"
_ID = re.compile(r"[a-z][a-z0-9_]*")
_TEXT_FIELDS = ("title", "version", "licence_holder", "licence_notice")
_KEYS = {"id", "reference", "cut_off", "options", "items", *_TEXT_FIELDS}
_ITEM_KEYS = {"id", "text", "options", "optional"}
_OPTION_KEYS = {"id", "label", "score"}


@dataclass(frozen=True)
class AnswerOption:
    id: str
    label: str
    score: int


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    options: tuple[AnswerOption, ...]
    optional: bool = False  # may be left unanswered (it then scores 0), for example a follow-up question

    def option(self, option_id: str) -> AnswerOption | None:
        return next((option for option in self.options if option.id == option_id), None)


class InstrumentScore(NamedTuple):
    score: int
    positive: bool  # the cut-off was reached (score >= cut_off)


class InvalidInstrumentAnswers(ValueError):
    """Answers that cannot be scored; `problems` names each item at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    version: str
    licence_holder: str
    licence_notice: str
    items: tuple[Item, ...]
    cut_off: int  # positive when the sum of the answers' scores is at or above this
    reference: str = ""
    file: str = field(default="", compare=False)

    @property
    def lowest_score(self) -> int:
        return sum(0 if item.optional else min(o.score for o in item.options) for item in self.items)

    @property
    def highest_score(self) -> int:
        return sum(max(o.score for o in item.options) for item in self.items)

    def score(self, answers: Mapping[str, str]) -> InstrumentScore:
        """The sum of the chosen options' scores and whether it reaches the cut-off; raise InvalidInstrumentAnswers
        for an unknown item or option, or a required item left unanswered (nothing is guessed)."""
        problems = [f"item '{item_id}': not in {self.id}" for item_id in sorted(set(answers) - self._item_ids)]
        total = 0
        for item in self.items:
            answer = answers.get(item.id)
            if answer is None or answer == "":
                if not item.optional:
                    problems.append(f"item '{item.id}': not answered")
                continue
            option = item.option(answer)
            if option is None:
                choices = ", ".join(o.id for o in item.options)
                problems.append(f"item '{item.id}': no option {answer!r} (its options: {choices})")
                continue
            total += option.score
        if problems:
            raise InvalidInstrumentAnswers(problems)
        return InstrumentScore(total, total >= self.cut_off)

    @property
    def _item_ids(self) -> set[str]:
        return {item.id for item in self.items}

    def as_used(self) -> dict[str, Any]:
        """The instrument as it is administered and scored (no file name)."""
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "licence_holder": self.licence_holder,
            "licence_notice": self.licence_notice,
            "reference": self.reference,
            "cut_off": self.cut_off,
            "items": [
                {
                    "id": item.id,
                    "text": item.text,
                    "optional": item.optional,
                    "options": [{"id": o.id, "label": o.label, "score": o.score} for o in item.options],
                }
                for item in self.items
            ],
        }

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.as_used(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_instruments(folder: str | Path) -> dict[str, Instrument]:
    """Read every `*.toml` in the instruments folder (none when the folder is absent); raise RulesError naming each
    file and field that is wrong."""
    folder = Path(folder)
    problems: list[str] = []
    instruments: dict[str, Instrument] = {}
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    for path in files:
        name = f"{INSTRUMENTS_FOLDER}/{path.name}"
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            problems.append(f"{name}: cannot be read: {error}")
            continue
        instrument = _instrument(name, path.stem, document, problems)
        if instrument is not None:
            instruments[instrument.id] = instrument
    if problems:
        raise RulesError(problems)
    return instruments


def _instrument(name: str, stem: str, document: dict, problems: list[str]) -> Instrument | None:
    before = len(problems)
    for key in sorted(set(document) - _KEYS):
        problems.append(f"{name}: {key}: unknown field")
    instrument_id = document.get("id")
    if not isinstance(instrument_id, str) or not _ID.fullmatch(instrument_id):
        problems.append(f"{name}: id: must be lower-case letters, digits and _ (found {instrument_id!r})")
    elif instrument_id != stem:
        problems.append(f"{name}: id: {instrument_id} must match the file's name ({instrument_id}.toml)")
    for key in _TEXT_FIELDS:
        if not _text(document.get(key)):
            problems.append(f"{name}: {key}: missing or empty")
    reference = document.get("reference", "")
    if not isinstance(reference, str):
        problems.append(f"{name}: reference: must be a text")
    shared = None
    if "options" in document:
        shared = _options(name, "options", document["options"], problems)
    items = _items(name, document.get("items"), shared, "options" in document, problems)
    cut_off = document.get("cut_off")
    if not _whole(cut_off):
        problems.append(f"{name}: cut_off: must be a whole number (positive when the score is at or above it)")
    elif items:
        lowest = sum(0 if i.optional else min(o.score for o in i.options) for i in items)
        highest = sum(max(o.score for o in i.options) for i in items)
        if not lowest < cut_off <= highest:
            problems.append(
                f"{name}: cut_off: {cut_off} must be above the lowest score ({lowest}) and at most the highest"
                f" ({highest}), or every answer would score the same way"
            )
    if len(problems) > before:
        return None
    return Instrument(
        id=instrument_id,
        title=document["title"].strip(),
        version=document["version"].strip(),
        licence_holder=document["licence_holder"].strip(),
        licence_notice=document["licence_notice"].strip(),
        items=tuple(items),
        cut_off=cut_off,
        reference=reference.strip(),
        file=name,
    )


def _items(
    name: str, value: Any, shared: tuple[AnswerOption, ...] | None, shared_given: bool, problems: list[str]
) -> list[Item]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        problems.append(f"{name}: items: must be one or more [[items]] tables")
        return []
    items: list[Item] = []
    seen: set[str] = set()
    for position, data in enumerate(value, start=1):
        item_id = data.get("id")
        where = f"item '{item_id}'" if isinstance(item_id, str) and item_id else f"items[{position}]"
        before = len(problems)
        for key in sorted(set(data) - _ITEM_KEYS):
            problems.append(f"{name}: {where}: {key}: unknown field")
        if not isinstance(item_id, str) or not _ID.fullmatch(item_id):
            problems.append(f"{name}: {where}: id: must be lower-case letters, digits and _ (found {item_id!r})")
        elif item_id in seen:
            problems.append(f"{name}: {where}: id: used by an earlier item")
        seen.add(item_id)
        if not _text(data.get("text")):
            problems.append(f"{name}: {where}: text: missing or empty")
        optional = data.get("optional", False)
        if not isinstance(optional, bool):
            problems.append(f"{name}: {where}: optional: must be true or false")
        if "options" in data:
            options = _options(name, f"{where}: options", data["options"], problems)
        elif shared_given:
            options = shared  # None when the shared options are refused: said once, above
        else:
            problems.append(f"{name}: {where}: options: missing (give the item's options, or options for all items)")
            options = None
        if len(problems) == before and options:
            items.append(Item(item_id, data["text"].strip(), options, optional))
    return items if len(items) == len(value) else []


def _options(name: str, where: str, value: Any, problems: list[str]) -> tuple[AnswerOption, ...] | None:
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) for v in value):
        problems.append(f"{name}: {where}: must be two or more options, each {{ id, label, score }}")
        return None
    before = len(problems)
    options: list[AnswerOption] = []
    for position, data in enumerate(value, start=1):
        option_id = data.get("id")
        at = f"{where}: option '{option_id}'" if isinstance(option_id, str) and option_id else f"{where}[{position}]"
        for key in sorted(set(data) - _OPTION_KEYS):
            problems.append(f"{name}: {at}: {key}: unknown field")
        if not isinstance(option_id, str) or not _ID.fullmatch(option_id):
            problems.append(f"{name}: {at}: id: must be lower-case letters, digits and _ (found {option_id!r})")
        elif any(option.id == option_id for option in options):
            problems.append(f"{name}: {at}: id: used by an earlier option")
        if not _text(data.get("label")):
            problems.append(f"{name}: {at}: label: missing or empty")
        if not _whole(data.get("score")) or data["score"] < 0:
            problems.append(f"{name}: {at}: score: must be a whole number, 0 or more")
        if len(problems) == before:
            options.append(AnswerOption(option_id, data["label"].strip(), data["score"]))
    return tuple(options) if len(problems) == before else None


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
