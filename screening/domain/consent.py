"""Consent texts: what the practitioner goes through with the patient before a treatment, one file per treatment in
`rules/consent/`, versioned and naming its sources in `rules/sources.toml`. The text as shown is what the patient
signs: its SHA-256 is kept with the consent, so a later edit never changes what a signed consent says it showed.

`load_consent_texts` reads and checks the folder, collecting every problem with its file and field, like the rules."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .treatment_files import TREATMENTS, check_common, load_treatment_folder

__all__ = ["TREATMENTS", "ConsentText", "load_consent_texts"]

# The optional consents, asked separately from the treatment's and each withdrawable from the private page.
OPTIONS = {
    "photos_record": "Photographs for my clinical record",
    "photos_teaching": "Photographs for teaching or marketing",
    "gp_letter": "A letter to my GP about the treatment",
}

# The practitioner's psychological-suitability assessment, needed before consent when the screening's appearance
# questions fired (rule `bdd_concern`), or a clinic's licensed instrument scored positive.
ASSESSMENT_OUTCOMES = {
    "proceed": "Proceed",
    "proceed_after_discussion": "Proceed after a discussion",
    "refer_gp": "Refer to the GP (do not treat now)",
}
VULNERABILITY_RULES = frozenset({"bdd_concern"})


@dataclass(frozen=True)
class ConsentText:
    treatment: str  # toxin | filler
    version: str
    title: str
    what: str  # what the treatment is
    benefits: str
    alternatives: tuple[str, ...]  # including no treatment
    common_effects: tuple[str, ...]
    rare_risks: tuple[str, ...]
    duration: str  # how long results last
    report_at_once: tuple[str, ...]  # what the patient must report at once
    sources: tuple[str, ...]  # keys in sources.toml
    file: str = field(default="", compare=False)

    def as_shown(self) -> dict[str, object]:
        """The text as the patient is shown it and signs it (no file name, sources by key)."""
        return {
            "treatment": self.treatment,
            "version": self.version,
            "title": self.title,
            "what": self.what,
            "benefits": self.benefits,
            "alternatives": list(self.alternatives),
            "common_effects": list(self.common_effects),
            "rare_risks": list(self.rare_risks),
            "duration": self.duration,
            "report_at_once": list(self.report_at_once),
            "sources": list(self.sources),
        }

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.as_shown(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


CONSENT_FOLDER = "consent"
_TEXT_FIELDS = ("title", "what", "benefits", "duration")
_LIST_FIELDS = ("alternatives", "common_effects", "rare_risks", "report_at_once")
_KEYS = {"treatment", "version", "sources", *_TEXT_FIELDS, *_LIST_FIELDS}


def load_consent_texts(folder: str | Path, source_keys: set[str]) -> dict[str, ConsentText]:
    """Read every `*.toml` in the consent folder, one per treatment; raise RulesError naming each file and field that
    is wrong (a missing or unknown field, an unknown treatment, a source not in sources.toml, a second file for one
    treatment, or a treatment with no text)."""
    return load_treatment_folder(
        folder,
        CONSENT_FOLDER,
        "consent text",
        lambda name, document, problems: _consent_text(name, document, source_keys, problems),
    )


def _consent_text(name: str, document: dict, source_keys: set[str], problems: list[str]) -> ConsentText | None:
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
    treatment, version, sources = document.get("treatment"), document.get("version"), document.get("sources")
    if len(problems) > before:
        return None
    return ConsentText(
        treatment=treatment,
        version=version.strip(),
        title=document["title"].strip(),
        what=document["what"].strip(),
        benefits=document["benefits"].strip(),
        alternatives=tuple(document["alternatives"]),
        common_effects=tuple(document["common_effects"]),
        rare_risks=tuple(document["rare_risks"]),
        duration=document["duration"].strip(),
        report_at_once=tuple(document["report_at_once"]),
        sources=tuple(sources),
        file=name,
    )


CONSENT_STATES = {
    "awaiting_signature": "Awaiting the patient's signature",
    "signed": "Signed",
    "withdrawn": "Withdrawn by the patient",
}


def consent_state(consent: dict) -> str:
    """A consent row's state: withdrawn, signed, or awaiting the patient's signature."""
    if consent.get("withdrawn_at"):
        return "withdrawn"
    return "signed" if consent.get("signed_at") else "awaiting_signature"
