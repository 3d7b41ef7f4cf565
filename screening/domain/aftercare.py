"""Aftercare: what the patient is told after a treatment, one file per treatment in `rules/aftercare/`, versioned and
naming its sources in `rules/sources.toml`, read and checked like the consent texts (domain/treatment_files.py): what
is normal and for how long, what to avoid, and the symptoms that need a call now. The urgent symptoms are the tick
list of the patient's problem report: a report that ticks one is urgent, and one marked `emergency` (breathing,
vision) tells the patient to call 999 or go to A&E."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .treatment_files import check_common, is_text, load_treatment_folder

AFTERCARE_FOLDER = "aftercare"
_TEXT_FIELDS = ("title", "settles", "call_window")
_LIST_FIELDS = ("normal", "avoid")
_KEYS = {"treatment", "version", "sources", "urgent", *_TEXT_FIELDS, *_LIST_FIELDS}
_URGENT_KEYS = {"id", "text", "emergency"}
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class UrgentSymptom:
    id: str  # the tick box's value on the problem report
    text: str
    emergency: bool = False  # breathing or vision: 999 or A&E, not only the clinic


@dataclass(frozen=True)
class Aftercare:
    treatment: str  # toxin | filler
    version: str
    title: str
    normal: tuple[str, ...]  # what is normal after the treatment
    settles: str  # how long the normal effects last
    avoid: tuple[str, ...]
    call_window: str  # for how long after the treatment the urgent symptoms matter
    urgent: tuple[UrgentSymptom, ...]  # call the clinic now
    sources: tuple[str, ...]  # keys in sources.toml
    file: str = field(default="", compare=False)

    def symptom(self, symptom_id: str) -> UrgentSymptom | None:
        """The urgent symptom with this id, or None."""
        return next((s for s in self.urgent if s.id == symptom_id), None)


def load_aftercare(folder: str | Path, source_keys: set[str]) -> dict[str, Aftercare]:
    """Read every `*.toml` in the aftercare folder, one per treatment; raise RulesError naming each file and field
    that is wrong (a missing or unknown field, an unknown treatment, a source not in sources.toml, an urgent symptom
    without an id or text, a second file for one treatment, or a treatment with none)."""
    return load_treatment_folder(
        folder,
        AFTERCARE_FOLDER,
        "aftercare text",
        lambda name, document, problems: _aftercare(name, document, source_keys, problems),
    )


def _aftercare(name: str, document: dict, source_keys: set[str], problems: list[str]) -> Aftercare | None:
    before = len(problems)
    check_common(
        name,
        document,
        keys=_KEYS,
        texts=_TEXT_FIELDS,
        lists=_LIST_FIELDS,
        source_keys=source_keys,
        problems=problems,
    )
    urgent = _urgent(name, document.get("urgent"), problems)
    if len(problems) > before:
        return None
    return Aftercare(
        treatment=document["treatment"],
        version=document["version"].strip(),
        title=document["title"].strip(),
        normal=tuple(v.strip() for v in document["normal"]),
        settles=document["settles"].strip(),
        avoid=tuple(v.strip() for v in document["avoid"]),
        call_window=document["call_window"].strip(),
        urgent=urgent,
        sources=tuple(document["sources"]),
        file=name,
    )


def _urgent(name: str, value: object, problems: list[str]) -> tuple[UrgentSymptom, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        problems.append(f"{name}: urgent: must list one or more symptoms ([[urgent]] with an id and a text)")
        return ()
    symptoms, seen = [], set()
    for number, table in enumerate(value, 1):
        where = f"{name}: urgent {number}"
        for key in sorted(set(table) - _URGENT_KEYS):
            problems.append(f"{where}: {key}: unknown field")
        symptom_id = table.get("id")
        if not isinstance(symptom_id, str) or not _ID.fullmatch(symptom_id):
            problems.append(f"{where}: id: must be a short lower-case name such as vision_change")
        elif symptom_id in seen:
            problems.append(f"{where}: id: {symptom_id} is listed twice")
        seen.add(symptom_id)
        if not is_text(table.get("text")):
            problems.append(f"{where}: text: missing or empty")
        emergency = table.get("emergency", False)
        if not isinstance(emergency, bool):
            problems.append(f"{where}: emergency: must be true or false")
        symptoms.append(UrgentSymptom(str(symptom_id), str(table.get("text") or "").strip(), emergency is True))
    return tuple(symptoms)
