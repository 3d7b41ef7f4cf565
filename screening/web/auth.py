"""Signing clinicians in: sessions that can be revoked, the second factor at sign-in, admin-only views, rate limits.
Passwords and codes themselves are checked in screening/services/credentials.py."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from screening import clock, store
from screening.db import get_db
from screening.services.credentials import check_password, check_totp, new_totp_secret, seed_at_rest, seed_in_use
from screening.web import audit

IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
PENDING_LOGIN_LIFETIME = timedelta(minutes=5)


login_manager = LoginManager()
limiter = Limiter(get_remote_address, strategy="moving-window", headers_enabled=True)


def init_app(app: Flask) -> None:
    # No `current_user` in templates: loading it on a patient's page fails the strong session protection and
    # rewrites the patient's cookie on every response. Templates use `clinician` (audit.signed_in) instead.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.session_protection = "strong"
    login_manager.login_view = "account.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_signed_in_clinician)
    limiter.init_app(app)
    app.before_request(hold_for_own_password)
    app.after_request(remember_device)


# Signed-in pages are held until a password an admin chose is replaced; these stay open (and the patient's pages,
# which never load the signed-in clinician).
HELD_BLUEPRINTS = frozenset({"account", "clinician", "admin"})
OPEN_WHILE_HELD = frozenset({"account.choose_password", "account.logout", "account.reset"})


def hold_for_own_password():
    """Send a clinician who still has the password an admin chose to choose their own, from any other page."""
    if request.blueprint not in HELD_BLUEPRINTS or request.endpoint in OPEN_WHILE_HELD:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("account.choose_password"), 303)
    return None


# Sign-in POSTs used to be serialised by one global lock (so concurrent attempts could not all pass Flask-Limiter's
# check before any was counted); it was replaced by limits counted before the work: screening/web/protection.py.
SIGN_IN_ENDPOINTS = frozenset({"account.login", "account.login_code", "account.set_up_code"})


# --------------------------------------------------------------------------------------------------------------------
# Passwords


# --------------------------------------------------------------------------------------------------------------------
# Second factor


# --------------------------------------------------------------------------------------------------------------------
# Sessions: Flask-Login keeps only a random sign-in id in the cookie; the row behind it decides


class SignedInClinician(UserMixin):
    def __init__(self, row: dict[str, Any], session_token: str):
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]
        self.has_totp = bool(row["totp_secret"])
        self.must_change_password = bool(row.get("must_change_password"))
        self.session_id = row["session_id"]
        self._session_token = session_token

    def get_id(self) -> str:
        return self._session_token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def load_signed_in_clinician(session_token: str) -> SignedInClinician | None:
    db = get_db()
    row = store.live_session(db, session_token, idle=IDLE_TIMEOUT, absolute=ABSOLUTE_TIMEOUT)
    if row is None:
        return None  # revoked, idle for 15 minutes, older than 8 hours, or the account was disabled
    store.touch_session(db, row["session_id"])
    return SignedInClinician(row, session_token)


def sign_in(clinician: dict[str, Any]) -> None:
    """Start a new server-side sign-in and a fresh session cookie (the old one is never reused)."""
    session.clear()
    token = secrets.token_urlsafe(32)
    store.start_session(
        get_db(),
        clinician["id"],
        token,
        audit.event(
            "login_success",
            actor={"id": clinician["id"], "role": clinician["role"]},
            object_type="clinician",
            object_id=clinician["id"],
        ),
    )
    db_row = store.live_session(get_db(), token, idle=IDLE_TIMEOUT, absolute=ABSOLUTE_TIMEOUT)
    login_user(SignedInClinician(db_row, token), remember=False)
    g.signed_in_email = clinician["email"]  # remember_device marks this browser as a known device of the account


def sign_out() -> None:
    if current_user.is_authenticated:
        store.end_session(
            get_db(),
            current_user.get_id(),
            audit.event("logout", object_type="clinician", object_id=current_user.id),
        )
    logout_user()
    session.clear()


def admin_required(view):
    """Only admins; anyone else signed in gets 403 (and the attempt is audited)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            audit.record("access_denied", outcome="denied", object_type="route", object_id=request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --------------------------------------------------------------------------------------------------------------------
# Rate limits on signing in


def login_limit_per_ip() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def login_limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def account_key() -> str:
    """The per-account bucket: a hash of the email (Flask-Limiter logs keys; no raw input, no address, in logs)."""
    email = (request.form.get("email") or "").strip().lower()
    if not email and "pending_login" in session:
        email = f"pending:{session['pending_login'].get('id')}"
    if not email:
        email = f"address:{get_remote_address()}"
    return _account_key_of(email)


def _account_key_of(email: str) -> str:
    return "account:" + hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


# A known device: a browser that signed in to an account before carries a signed cookie naming that account's bucket
# (never the email) and a random device id. It gives that browser its own lane through a storm on the account
# (web/protection.py); it signs nobody in. HttpOnly, so a script cannot read it; signed with SECRET_KEY, so it cannot
# be made up; a few accounts per browser (a shared clinic computer), for 90 days from the last sign-in.
DEVICE_COOKIE = "__Host-device"
DEVICE_LIFETIME = timedelta(days=90)
DEVICE_ACCOUNTS = 5


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="screening.known-device")


def _device() -> dict[str, Any] | None:
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie or len(cookie) > 4096:
        return None
    try:
        found = _device_signer().loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadData:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("d"), str) or not isinstance(found.get("a"), list):
        return None
    return found


def known_device_key(account: str) -> str | None:
    """The lane of the known device making this attempt, when it signed in to this very account before."""
    device = _device()
    if device is None or account not in device["a"]:
        return None
    return f"device:{device['d']}:{account}"


def remember_device(response):
    """After a sign-in, the browser's device cookie names this account too (web/protection.py's known-device lane)."""
    email = g.pop("signed_in_email", None)
    if email is None:
        return response
    device = _device() or {"d": secrets.token_urlsafe(16), "a": []}
    account = _account_key_of(email)
    accounts = [account, *(a for a in device["a"] if a != account)][:DEVICE_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().dumps({"d": device["d"], "a": accounts}),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def alert_account_slowed() -> None:
    """Sign-ins to the account in this attempt are being slowed: audit it and tell the admins (web/protection.py
    calls this at most once an hour per account)."""
    from screening.services import accounts, clinic

    email = (request.form.get("email") or "").strip().lower()
    with contextlib.suppress(sqlite3.Error):  # the answer to the attempt must still be given
        accounts.alert_account_slowed(
            get_db(),
            clinic.effective_config(get_db(), current_app.config),
            audit.event("account_slowed", outcome="denied"),
            email,
        )


def failed_attempt(response) -> bool:
    """Only failed attempts count towards the limits: a success redirects (303)."""
    return response.status_code != 303


def audit_breach(limit: RequestLimit) -> None:
    audit.record(
        "rate_limited",
        outcome="denied",
        object_type="route",
        object_id=request.path,
        detail={"limit": str(limit.limit)},
    )


def sign_in_limits(view):
    """Both sign-in limits on a view's POSTs: per client address and per account, counting only failures, each
    attempt counted before its work without a global lock (screening/web/protection.py)."""
    from screening.web import protection

    return protection.limited(
        view,
        account_key=account_key,
        on_refusal=_refuse_sign_in,
        failed_attempt=failed_attempt,
        device_key=known_device_key,
        on_slowed=alert_account_slowed,
    )


def _refuse_sign_in(status: int, retry_after: float):
    """429 (a limit) or 503 (every hashing slot busy): at once, with Retry-After; a 429 is audited."""
    import math

    from screening.web.errors import render_error

    if status == 429:
        audit.record("rate_limited", outcome="denied", object_type="route", object_id=request.path)
    body, status = render_error(status)
    return body, status, {"Retry-After": str(math.ceil(retry_after))}


# --------------------------------------------------------------------------------------------------------------------
# The sign-in steps, as the pages take them


# Where a sign-in goes next: Flask-Login sends a signed-out visitor to the sign-in page with `?next=` (the path and
# query they asked for, from a link in an email, say), and each sign-in step keeps it in its own address. Only a path
# of this site is followed: it begins with one "/" (not "//" or "/\\", which browsers read as another host), has no
# scheme or host, no backslash, and nothing below a space (browsers drop tabs and line breaks, so "/\t/evil" is
# "//evil"). Anything else is ignored, and the clinician lands on the queue.
NEXT_LONGEST = 2000


def safe_next(value: str | None) -> str | None:
    """`value` when it is a path of this site to go to after signing in, else None."""
    if not value or len(value) > NEXT_LONGEST or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(character) < 0x20 or ord(character) == 0x7F for character in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def requested_next() -> str | None:
    """The same-site `next` of this request's address (the sign-in steps' pages), or None."""
    return safe_next(request.args.get("next"))


# The server's own computer: a visitor from its loopback address, with no sign of having come through a proxy (a
# proxy on the same computer makes every remote visitor's address 127.0.0.1; the headers it adds to say who the
# visitor is give it away). What only the person at the server may read (the first admin's command) needs this.
LOOPBACK = frozenset({"127.0.0.1", "::1"})
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Forwarded")


def from_this_computer() -> bool:
    """Whether this request comes from the server's own computer (loopback, not forwarded by a proxy)."""
    return request.remote_addr in LOOPBACK and not any(request.headers.get(name) for name in FORWARDING_HEADERS)


def sign_in_with_password(email: str, password: str) -> str | None:
    """The right password signs in, or leads to the code step (or to setting a code up when an admin requires
    one): returns the endpoint to go to. A wrong one is audited and returns None."""
    clinician = store.clinician_by_email(get_db(), email)
    if check_password(clinician, password):
        if clinician["totp_secret"] or clinician["totp_required"]:
            session.clear()
            session["pending_login"] = {"id": clinician["id"], "at": clock.utc_now().isoformat()}
            return "account.login_code" if clinician["totp_secret"] else "account.set_up_code"
        sign_in(clinician)
        return "account.choose_password" if clinician["must_change_password"] else "clinician.queue"
    _audit_failure(clinician)
    return None


def pending_clinician() -> dict[str, Any] | None:
    """The clinician who gave the right password and still owes a code; None once 5 minutes have passed."""
    pending = session.get("pending_login")
    if not pending:
        return None
    if clock.utc_now() - datetime.fromisoformat(pending["at"]) > PENDING_LOGIN_LIFETIME:
        session.pop("pending_login", None)
        return None
    clinician = store.clinician_by_id(get_db(), pending["id"])
    return None if clinician is None or clinician["disabled_at"] else clinician


def _seed_key() -> str | None:
    return current_app.config.get("TOTP_SEED_KEY") or None


def sign_in_with_code(clinician: dict[str, Any], code: str) -> bool:
    if check_totp(clinician, seed_in_use(_seed_key(), clinician["totp_secret"]), code):
        sign_in(clinician)
        return True
    _audit_failure(clinician, factor="code")
    return False


def clinician_setting_up_code() -> dict[str, Any] | None:
    """Who is setting up a code: the signed-in clinician, or one signing in whom an admin requires to."""
    if current_user.is_authenticated:
        return store.clinician_by_id(get_db(), current_user.id)
    return pending_clinician()


def secret_being_set_up(clinician: dict[str, Any]) -> str:
    """The key being set up: kept in the database (never in the cookie) until a code confirms it."""
    secret = seed_in_use(_seed_key(), clinician["totp_pending"])
    if secret is None:  # none yet (or kept with a key this instance no longer has): a new one
        secret = new_totp_secret()
        store.set_totp_pending(get_db(), clinician["id"], seed_at_rest(_seed_key(), secret))
    return secret


def confirm_code_set_up(clinician: dict[str, Any], secret: str, code: str) -> bool:
    """A right code makes the key the clinician's second factor (and finishes signing in, if they were)."""
    if not check_totp(clinician, secret, code):
        return False
    who = {"id": clinician["id"], "role": clinician["role"]}
    stored = seed_at_rest(_seed_key(), secret)
    store.set_totp_secret(get_db(), clinician["id"], stored, audit.event("totp_enrolled", actor=who))
    if not current_user.is_authenticated:
        sign_in(store.clinician_by_id(get_db(), clinician["id"]))
    return True


def _audit_failure(clinician: dict[str, Any] | None, **detail: Any) -> None:
    audit.record(
        "login_failure",
        outcome="failure",
        actor={"id": clinician["id"], "role": clinician["role"]} if clinician else None,
        object_type="clinician",
        object_id=clinician["id"] if clinician else "",
        detail=detail or None,
    )
