"""Restriction (UK GDPR Art. 18): a restricted screening is kept for the clinic's record and shown nowhere but the
admin's Records page: no list, no search, no page, no export, no diary, no queue, no FHIR bundle, not the patient's
own private link. Lists leave restricted rows out in their queries (screening/store); a page of one screening asks
here first. Restricting is erasure's business (lifecycle/erasure.py)."""

from __future__ import annotations

from typing import Any

from screening.errors import Restricted

# What lists that must show a booked time (the slots) show instead of a restricted patient's name.
WITHHELD_NAME = "a patient whose record is restricted"


def is_restricted(submission: dict[str, Any] | None) -> bool:
    """Whether this screening (a row with its restricted_at) is restricted."""
    return bool(submission and submission.get("restricted_at"))


def refuse_restricted(submission: dict[str, Any] | None, *, patient: bool = False) -> dict[str, Any] | None:
    """The screening as given, or Restricted (a 404 the web layer audits) when it is restricted. `patient` words the
    refusal for the patient's own pages."""
    if is_restricted(submission):
        raise Restricted(submission["id"], patient=patient)
    return submission


def withhold(person: dict[str, Any] | None) -> dict[str, Any] | None:
    """A booked patient as a list of times may show them: no name or email when their screening is restricted."""
    if not is_restricted(person):
        return person
    return {**person, "full_name": WITHHELD_NAME, "email": "", "restricted": True}
