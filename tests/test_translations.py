"""The patient side's catalogues (screening/translations/): the template holds every message the code and the
templates ask for, and each offered language translates every one of them, with the same placeholders, in a compiled
catalogue that matches its .po. A string wrapped but not extracted, or extracted but not translated, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "screening" / "translations"
LANGUAGES = sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file())
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|<a [^>]*>")


def extracted() -> set[str]:
    found = set()
    for folder, method in (("screening", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], keywords=KEYWORDS, options_map={pattern: {}}
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def template_ids() -> set[str]:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        return {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(handle) if m.id}


def test_the_template_holds_every_message_the_code_and_templates_ask_for():
    missing = extracted() - template_ids()
    assert sorted(missing) == [], "run `make translations-update` and translate the new messages"


def test_there_is_a_spanish_catalogue():
    assert "es" in LANGUAGES


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_language_translates_every_message_with_the_same_placeholders(code):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    wanted = template_ids()
    untranslated, mismatched = [], []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            untranslated.append(ids[0])
            continue
        expected = sorted(PLACEHOLDER.findall(ids[0]))  # a plural's forms share the singular's placeholders
        if any(sorted(PLACEHOLDER.findall(string)) != expected for string in strings):
            mismatched.append(ids[0])
    held = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue if m.id}
    assert sorted(wanted - held) == [], "run `make translations-update`"
    assert untranslated == []
    assert mismatched == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_compiled_catalogue_matches_its_po(code):
    folder = TRANSLATIONS / code / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        written, compiled = read_po(po), read_mo(mo)

    def pairs(catalogue):
        return {_key(m.id): _key(m.string) for m in catalogue if m.id}

    assert pairs(compiled) == pairs(written), "run `make translations-compile`"


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value
