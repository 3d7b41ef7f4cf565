"""The per-treatment files beside the rules (the consent texts in `rules/consent/`, the aftercare in
`rules/aftercare/`): one TOML file per treatment, versioned, naming its sources in `rules/sources.toml`. Reading such a
folder and checking the fields every such file shares live here once; each kind's module lists its own fields and
builds its own record, and every problem is collected with its file and field, like the rules."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .loading import RulesError

TREATMENTS = ("toxin", "filler")

Record = TypeVar("Record")


def load_treatment_folder(
    folder: str | Path,
    folder_name: str,
    what: str,
    build: Callable[[str, dict[str, Any], list[str]], Record | None],
) -> dict[str, Record]:
    """Read every `*.toml` in `folder` (shown as `folder_name/<file>`), one `what` per treatment, each built by
    `build(name, document, problems)` (None when it added problems); raise RulesError naming each file and field at
    fault, a second file for one treatment, or a treatment with none. A record has `treatment` and `file`."""
    folder = Path(folder)
    problems: list[str] = []
    records: dict[str, Any] = {}
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    for path in files:
        name = f"{folder_name}/{path.name}"
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            problems.append(f"{name}: cannot be read: {error}")
            continue
        record = build(name, document, problems)
        if record is None:
            continue
        if record.treatment in records:
            first = records[record.treatment].file
            article = "an" if what[0] in "aeiou" else "a"
            problems.append(f"{name}: treatment: {record.treatment} has {article} {what} already in {first}")
            continue
        records[record.treatment] = record
    for treatment in TREATMENTS:
        if treatment not in records and not any(p.startswith(f"{folder_name}/") for p in problems):
            problems.append(f"{folder_name}/: no {what} for the treatment {treatment}")
    if problems:
        raise RulesError(problems)
    return records


def check_common(
    name: str,
    document: dict[str, Any],
    *,
    keys: set[str],
    texts: tuple[str, ...],
    lists: tuple[str, ...],
    source_keys: set[str],
    problems: list[str],
) -> None:
    """The fields every per-treatment file has: no unknown field, a known treatment, a version, each of `texts` a
    non-empty text, each of `lists` a list of one or more texts, and sources from sources.toml."""
    for key in sorted(set(document) - keys):
        problems.append(f"{name}: {key}: unknown field")
    treatment = document.get("treatment")
    if treatment not in TREATMENTS:
        problems.append(f"{name}: treatment: must be one of {', '.join(TREATMENTS)} (found {treatment!r})")
    version = document.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append(f'{name}: version: missing (a text such as "1.0"; raise it whenever the wording changes)')
    for key in texts:
        if not is_text(document.get(key)):
            problems.append(f"{name}: {key}: missing or empty")
    for key in lists:
        value = document.get(key)
        if not isinstance(value, list) or not value or not all(is_text(v) for v in value):
            problems.append(f"{name}: {key}: must be a list of one or more texts")
    sources = document.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        problems.append(f"{name}: sources: must name one or more sources from sources.toml")
    else:
        for key in sources:
            if key not in source_keys:
                problems.append(f"{name}: sources: {key} is not in sources.toml")


def is_text(value: Any) -> bool:
    """A non-empty text (not only spaces)."""
    return isinstance(value, str) and bool(value.strip())
