"""Clinicians' credentials: passwords (argon2id, NFKC, a common-password list) and the second factor (TOTP codes,
each usable once). No Flask here: the sign-in pages (screening/web/auth.py), the account services and the CLI use it."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import secrets
import unicodedata
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken

from screening import clock, store
from screening.db import connect, get_db

ROLES = ("clinician", "admin")


PASSWORD_MIN_LENGTH = 12


PASSWORD_MAX_LENGTH = 1024


COMMON_PASSWORDS = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt.gz"


# RFC 9106 defaults: argon2id, 64 MiB, 3 passes, 4 lanes. The hash releases the GIL, so other requests go on.
hasher = PasswordHasher()


@cache
def dummy_hash() -> str:
    """Verified for unknown or disabled accounts, so a wrong email takes as long as a wrong password. Made on first
    use, not at import: a command that never signs anyone in pays nothing for it."""
    return hasher.hash(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords that are refused, read once."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is refused, or None. Length and a common-password list, as NIST 800-63B and ASVS advise;
    no composition rules, and every character (spaces and Unicode included) counts."""
    password = normalise_password(password)  # Judged as it is hashed
    if password and not password.strip():
        return "The password must not be only spaces"
    if len(password) >= PASSWORD_MIN_LENGTH and len(set(password)) == 1:
        return "The password must not be one character repeated"
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"The password must be at least {PASSWORD_MIN_LENGTH} characters long"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"The password must be {PASSWORD_MAX_LENGTH} characters or fewer"
    folded = password.casefold()
    if folded in common_passwords():
        return "That password is on a list of commonly used passwords; choose another"
    if folded in {email.casefold(), email.split("@")[0].casefold(), name.casefold()}:
        return "The password must not be your email address or name"
    return None


def normalise_password(password: str) -> str:
    """NFKC: the same password typed on another keyboard or system (composed or decomposed accents,
    full-width digits) is the same password, as NIST 800-63B advises."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """An argon2id hash of the password as typed, NFKC-normalised."""
    return hasher.hash(normalise_password(password))


def check_password(clinician: dict[str, Any] | None, password: str) -> bool:
    """True when the account exists, is enabled and the password matches; the same work is done either way."""
    stored = clinician["password_hash"] if clinician and not clinician["disabled_at"] else dummy_hash()
    normalised = normalise_password(password)
    # Hashes made before NFKC normalisation hashed the password as typed: try the normalised form, then (only when
    # it differs, for known and unknown accounts alike) the raw one; a raw match is rehashed in the normalised form.
    matched = None
    for candidate in dict.fromkeys((normalised, password)):
        try:
            hasher.verify(stored, candidate)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        matched = candidate
        break
    if matched is None or stored is dummy_hash():
        return False
    if matched != normalised or hasher.check_needs_rehash(stored):
        store.update_password_hash(get_db(), clinician["id"], hasher.hash(normalised))
    return True


# --------------------------------------------------------------------------------------------------------------------
# TOTP seeds at rest: Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) with a key made from
# TOTP_SEED_KEY, which lives in instance/config.py beside AUDIT_KEY, never in the database. A copy of the database or
# of a backup holds no seed that makes a code. A seed stored before (bare base32) still works, and is encrypted at the
# next start (encrypt_clear_seeds).

ENCRYPTED_SEED = "fernet:"


def _fernet(seed_key: str) -> Fernet:
    digest = hashlib.sha256(b"screening totp seeds:" + seed_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seed_at_rest(seed_key: str | None, secret: str) -> str:
    """The seed as the database keeps it: encrypted with the instance's seed key (in clear only without one)."""
    if not seed_key:
        return secret
    return ENCRYPTED_SEED + _fernet(seed_key).encrypt(secret.encode()).decode()


def seed_in_use(seed_key: str | None, stored: str | None) -> str | None:
    """The seed a stored value holds, or None (none stored, or encrypted with a key this instance has not)."""
    if not stored or not stored.startswith(ENCRYPTED_SEED):
        return stored or None  # a seed stored before seeds were encrypted
    if not seed_key:
        return None
    try:
        return _fernet(seed_key).decrypt(stored[len(ENCRYPTED_SEED) :].encode()).decode()
    except InvalidToken:
        return None


def encrypt_clear_seeds(database: str | Path, seed_key: str | None) -> int:
    """At start: encrypt every seed stored in clear (set up before seeds were encrypted); returns how many."""
    if not seed_key:
        return 0
    db = connect(database)
    try:
        with store.write_transaction(db):
            changed = 0
            for row in store.clinician_seeds(db):
                secret, pending = row["totp_secret"], row["totp_pending"]
                if any(value and not value.startswith(ENCRYPTED_SEED) for value in (secret, pending)):
                    store.replace_totp_seeds(
                        db,
                        row["id"],
                        secret if not secret or secret.startswith(ENCRYPTED_SEED) else seed_at_rest(seed_key, secret),
                        pending
                        if not pending or pending.startswith(ENCRYPTED_SEED)
                        else seed_at_rest(seed_key, pending),
                    )
                    changed += 1
        if changed:
            store.checkpoint(db)  # the pages that held them in clear leave the -wal for the database file, zeroed
        return changed
    finally:
        db.close()


def new_totp_secret() -> str:
    """A new random secret for a clinician's authenticator app."""
    return pyotp.random_base32()


def totp_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads (the account and the issuer it names)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


QR_LABEL = "QR code of your sign-in key: scan it with your authenticator app"


def totp_qr_svg(uri: str) -> str:
    """The otpauth:// address as a QR code an authenticator app scans: an inline SVG drawn here (segno), black on a
    white square with its quiet zone, so it reads on a dark page too; no script, no image request."""
    drawing = segno.make_qr(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return drawing.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1)


def totp_step(secret: str | None, code: str, *, now: float | None = None) -> int | None:
    """The time step a 6-digit code belongs to (this 30-second window or either neighbour), or None."""
    code = "".join((code or "").split())
    if not secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.fromtimestamp(now, UTC) if now is not None else clock.utc_now())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_totp(clinician: dict[str, Any], secret: str | None, code: str) -> bool:
    """A right code that has not been used before (codes are single-use: the step is claimed atomically)."""
    step = totp_step(secret, code)
    return step is not None and store.claim_totp_step(get_db(), clinician["id"], step)
