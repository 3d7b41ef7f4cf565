"""Consent texts: what the practitioner goes through with the patient before a treatment, one file per treatment in
`rules/consent/`, versioned and naming its sources in `rules/sources.toml`. The text as shown is what the patient
signs: its SHA-256 is kept with the consent, so a later edit never changes what a signed consent says it showed.

`load_consent_texts` reads and checks the folder, collecting every problem with its file and field, like the rules."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

TREATMENTS = ("toxin", "filler")

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
