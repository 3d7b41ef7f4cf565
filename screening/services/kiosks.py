"""Reception tablets (kiosk mode): a clinician turns a device into a kiosk locked to the patient form, an admin sees
every kiosk and revokes one, a clinician turns kiosk mode off on the device with their email and password, and the
draft of a patient who walked away is wiped before the next one. The device's cookie is request plumbing
(screening/web/kiosk.py); the registration, its secret's hash and every audit event are here."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from screening import store
from screening.errors import FieldError, Forbidden, NotFound
from screening.services.credentials import check_password

NAME_LONGEST = 60
TURN_OFF_REFUSED = "The email address or password is not right"


@dataclass(frozen=True)
class KioskPass:
    """What the device's signed cookie carries: the registration's id and its random secret (hashed at rest)."""

    kiosk_id: int
    secret: str


def turn_on(db: Database, actor: store.Actor, name: str) -> KioskPass:
    """Register the device a signed-in clinician is using as a kiosk named `name` (audited as kiosk_turned_on)."""
    name = " ".join((name or "").split())
    if not name:
        raise FieldError("name", "Enter a name for this device, for example Reception tablet 1")
    if len(name) > NAME_LONGEST:
        raise FieldError("name", f"Enter a name of {NAME_LONGEST} characters or fewer")
    if actor.id is None:  # the page is for signed-in clinicians only; a command or a patient has no business here
        raise Forbidden("Sign in as a clinician to turn kiosk mode on.")
    secret = secrets.token_urlsafe(32)
    kiosk_id = store.add_kiosk(db, name, secret, actor.id, actor.event("kiosk_turned_on"))
    return KioskPass(kiosk_id, secret)


def live(db: Database, kiosk_id: Any, secret: Any) -> dict[str, Any] | None:
    """The kiosk a device's cookie names, unless it was revoked or turned off (or the cookie says nothing sensible)."""
    if not isinstance(kiosk_id, int) or isinstance(kiosk_id, bool) or not isinstance(secret, str):
        return None
    return store.live_kiosk(db, kiosk_id, secret)


def registrations(db: Database) -> list[dict[str, Any]]:
    """Every kiosk for an admin: the ones in use first, then those ended, each with who turned it on and off."""
    return store.kiosks(db)


def revoke(db: Database, actor: store.Actor, kiosk_id: int) -> dict[str, Any]:
    """An admin ends a kiosk: its device's cookie no longer makes it a kiosk (audited once, as kiosk_revoked)."""
    found = store.get_kiosk(db, kiosk_id)
    if found is None:
        raise NotFound("There is no such reception tablet.")
    store.end_kiosk(db, kiosk_id, actor.id, "revoked", actor.event("kiosk_revoked"))
    return found


def turn_off(db: Database, actor: store.Actor, kiosk_id: int, email: str, password: str) -> dict[str, Any]:
    """A clinician turns kiosk mode off on the device itself: their email and password, checked as at sign-in (which
    this is not: nobody is signed in). Audited as kiosk_turned_off under that clinician; a wrong email or password
    as kiosk_turn_off_refused, and FieldError."""
    clinician = store.clinician_by_email(db, email)
    if not check_password(clinician, password):
        who = dataclasses.replace(actor, id=clinician["id"] if clinician else None)  # the account tried, if any
        store.append_audit(
            db, who.event("kiosk_turn_off_refused", outcome="failure", object_type="kiosk", object_id=kiosk_id)
        )
        raise FieldError("password", TURN_OFF_REFUSED)
    staff = dataclasses.replace(actor, role=clinician["role"], id=clinician["id"])
    store.end_kiosk(db, kiosk_id, clinician["id"], "turned_off", staff.event("kiosk_turned_off"))
    return clinician


def still_here(db: Database, draft_token: str | None) -> None:
    """The patient at a kiosk said they are still there: their draft counts as touched now. Kept in the database,
    not the session cookie, so this request's answer sets no cookie that could overwrite one a page set meanwhile."""
    if draft_token:
        store.touch_draft(db, store.token_hash(draft_token))


def draft_touched(db: Database, draft_token: str | None) -> datetime | None:
    """When the kiosk's draft last changed or was touched, if there is one."""
    stored = store.draft_updated_at(db, store.token_hash(draft_token)) if draft_token else None
    return None if stored is None else datetime.fromisoformat(stored)


def wipe_draft(db: Database, draft_token: str | None) -> None:
    """The draft of a patient who finished or walked away from a kiosk: deleted, so the next person finds nothing."""
    if draft_token:
        store.delete_draft(db, store.token_hash(draft_token))
