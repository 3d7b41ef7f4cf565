"""Clinicians' own accounts: profile (display name, professional register and number), changing
one's password (the current one required; every other session ends), an admin's one-time reset link (emailed, an
hour, single use), and re-enabling a disabled account. All audited; no Flask."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from screening import mail, store
from screening.errors import FieldError, NotFound
from screening.mail import links
from screening.services import credentials

RESET_LIFETIME = timedelta(hours=1)


# The professional registers a clinician's number may belong to.
REGISTERS = {"": "None", "GMC": "GMC", "NMC": "NMC", "GPhC": "GPhC", "GDC": "GDC", "other": "Other"}


class ResetLinkExpired(NotFound):
    message = "This reset link has expired or has been used. Ask an admin for a new one."
    template = "account/reset_expired.html"


def update_profile(
    db: Database, actor: store.Actor, clinician: dict[str, Any], *, name: str, register: str, number: str
) -> None:
    """Keep a clinician's own display name and professional register and number (audited)."""
    name, number = " ".join(name.split()), number.strip()
    if not name:
        raise FieldError("name", "Enter your name")
    if register not in REGISTERS:
        raise FieldError("register", "Choose a register from the list")
    if register and not number:
        raise FieldError("register_number", "Enter your registration number")
    if number and not register:
        raise FieldError("register", "Choose the register your number belongs to")
    store.update_profile(
        db, clinician["id"], name, register, number, actor.event("profile_updated", detail={"register": register})
    )


def _new_password_problem(clinician: dict[str, Any], new: str, again: str) -> None:
    if new != again:
        raise FieldError("again", "The two new passwords are not the same")
    problem = credentials.password_problem(new, email=clinician["email"], name=clinician["name"])
    if problem:
        raise FieldError("new", problem)


def change_password(
    db: Database,
    actor: store.Actor,
    clinician: dict[str, Any],
    *,
    current: str,
    new: str,
    again: str,
    keep_session: str,
) -> int:
    """Set a new password; every other session of the account ends. Returns how many ended."""
    if not credentials.check_password(clinician, current):
        store.append_audit(
            db,
            actor.event(
                "password_change_failed", outcome="failure", object_type="clinician", object_id=clinician["id"]
            ),
        )
        raise FieldError("current", "Your current password is not right")
    _new_password_problem(clinician, new, again)
    return store.change_password(
        db, clinician["id"], credentials.hash_password(new), actor.event("password_changed"), keep_session=keep_session
    )


def choose_own_password(
    db: Database, actor: store.Actor, clinician: dict[str, Any], *, new: str, again: str, keep_session: str
) -> None:
    """At first sign-in with a password an admin chose: set the clinician's own (audited, "password_chosen"); it
    must differ from the one they were given. Every other session of the account ends."""
    _new_password_problem(clinician, new, again)
    if credentials.check_password(clinician, new):
        raise FieldError("new", "Choose a new password of your own, not the one you were given")
    store.change_password(
        db, clinician["id"], credentials.hash_password(new), actor.event("password_chosen"), keep_session=keep_session
    )


def send_reset_link(db: Database, config: dict[str, Any], actor: store.Actor, target: dict[str, Any]) -> None:
    """Email the clinician a one-time link to set a new password (an hour). The outbox holds a nonce, the token is
    derived from it with SECRET_KEY at delivery, and only the token's hash is stored: nothing at rest opens the link."""
    nonce = links.new_reset_nonce()
    token = links.reset_token(config["SECRET_KEY"], nonce)
    store.create_password_reset(
        db,
        token,
        target["id"],
        RESET_LIFETIME,
        actor.event("password_reset_sent"),
        (mail.password_reset(config, target["email"], nonce),),
    )
    mail.nudge(config)


def reset_target(db: Database, token: str) -> dict[str, Any]:
    """The clinician a password-reset link belongs to, or ResetLinkExpired."""
    clinician_id = store.password_reset_clinician(db, token) if len(token) <= 100 else None
    if clinician_id is None:
        raise ResetLinkExpired()
    return store.clinician_by_id(db, clinician_id)


def use_reset_link(db: Database, actor: store.Actor, token: str, *, new: str, again: str) -> None:
    """Set a clinician's new password from a reset link, once, ending every session (audited)."""
    target = reset_target(db, token)
    _new_password_problem(target, new, again)
    done = store.use_password_reset(
        db,
        token,
        credentials.hash_password(new),
        store.Actor("clinician", target["id"], actor.remote_addr, actor.request_id).event("password_reset_used"),
    )
    if done is None:
        raise ResetLinkExpired()


def enable(db: Database, actor: store.Actor, target: dict[str, Any]) -> None:
    """Re-enable a disabled clinician (audited)."""
    store.enable_clinician(db, target["id"], actor.event("clinician_enabled"))


def alert_account_slowed(db: Database, config: dict[str, Any], audit: store.AuditEvent, email: str) -> None:
    """Sign-ins to an account are being slowed (web/protection.py decides when, at most once an hour per account):
    an audit event, and when the account exists, an email to every enabled admin."""
    clinician = store.clinician_by_email(db, email) if email else None
    admins = [row["email"] for row in store.list_clinicians(db) if row["role"] == "admin" and not row["disabled_at"]]
    mails = tuple(mail.account_slowed(config, admin, clinician["email"]) for admin in admins) if clinician else ()
    store.record_account_slowed(db, clinician["id"] if clinician else None, audit, mails)
    if mails:
        mail.nudge(config)
