"""CSRF on every form, and the response headers every page carries."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFProtect
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from screening import clock

csrf = CSRFProtect()

# Scripts and styles only from our own files: no inline script, so an injected tag cannot run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),  # private links must never leak through Referer
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers iterates as (name, value) pairs
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if request.endpoint != "static":
        # Pages, downloads, the .ics and the FHIR record hold health data or an appointment: never keep them in a
        # shared or back-button cache. Only the stylesheet, scripts and images may be cached.
        headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------------------------------------------------
# The production profile: which Host names the service answers to, the reverse proxy in front of it,
# HSTS over HTTPS, and headers a few responses were missing.
#
# - TRUSTED_HOSTS: a request whose Host header names anything else gets 400 before any view runs, so a foreign Host
#   never reaches a page, a link or an .ics. The default is the host of PUBLIC_URL plus the loopback names (the
#   server's own health checks and `make run`). Links in pages, emails and the .ics UID come from PUBLIC_URL anyway.
# - PROXY_COUNT: with N reverse proxies in front (a TLS terminator: 1), werkzeug's ProxyFix trusts the last N
#   X-Forwarded-For/-Proto/-Host values, so rate limits and audit rows see the client's address, not the proxy's,
#   and HTTPS is recognised. With 0 (the default), those headers are ignored: a client cannot forge its address.
#   Under waitress keep 0 and use waitress's own --trusted-proxy flags instead: waitress 3 drops X-Forwarded-* from
#   untrusted peers before the app sees them (README "Running behind a TLS reverse proxy").


LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
HSTS = "max-age=63072000; includeSubDomains"


def public_host(config: dict[str, Any]) -> str:
    return (urlsplit(config["PUBLIC_URL"]).hostname or "").lower()


def trusted_hosts(config: dict[str, Any]) -> frozenset[str]:
    configured = config.get("TRUSTED_HOSTS")
    if isinstance(configured, str):
        configured = [name for name in configured.split(",") if name.strip()]
    names = configured if configured else [public_host(config)]
    return frozenset(name.strip().lower() for name in [*names, *LOOPBACK] if name.strip())


def init_app(app: Flask) -> None:
    """CSRF on every form, the security headers, trusted hosts, the reverse proxy and HSTS, and form size limits
    (the rate limiter's own hooks come after, in init_after_limiter)."""
    csrf.init_app(app)
    app.after_request(set_security_headers)
    allowed = trusted_hosts(app.config)
    app.extensions["screening.trusted_hosts"] = allowed
    # Flask 3.1 reads a setting of the same name, but its check fails while the request context is made, before
    # the error page can build its URLs (a foreign Host would get a 500): this module checks instead, so Flask gets
    # None. The names allowed are in app.extensions["screening.trusted_hosts"].
    app.config["TRUSTED_HOSTS"] = None
    proxies = int(app.config["PROXY_COUNT"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    def refuse_foreign_host() -> None:
        host = (request.environ.get("HTTP_HOST") or request.environ.get("SERVER_NAME") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in allowed:
            abort(400)

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_foreign_host)  # before any other hook
    app.before_request(_form_limits)
    app.after_request(_headers)
    app.after_request(_restore_the_apps_retry_after)  # registered before the limiter's hook, so it runs after it


def _headers(response: Response) -> Response:
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --------------------------------------------------------------------------------------------------------------------
# The smaller findings of the security review


def _form_limits() -> None:
    """MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS bind multipart bodies only in werkzeug; hold urlencoded bodies to the
    same limits (the README promised both), before any view parses them."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return
    from flask import current_app

    if (request.content_length or 0) > current_app.config["MAX_FORM_MEMORY_SIZE"]:
        abort(413)
    if sum(len(values) for _, values in request.form.lists()) > current_app.config["MAX_FORM_PARTS"]:
        abort(413)


def _audit_rate_limit(error: RateLimitExceeded):
    """A patient-side limit reached is audited like a sign-in one (Flask-Limiter's own limits)."""
    from screening.web import audit
    from screening.web.errors import render_error

    with contextlib.suppress(sqlite3.Error):  # the refusal itself must still happen
        audit.record(
            "rate_limited",
            outcome="denied",
            object_type="route",
            object_id=request.path,
            detail={"limit": str(error.limit.limit)},
        )
    return render_error(429)


def _keep_the_apps_retry_after(response: Response) -> Response:
    """Runs before Flask-Limiter's header hook: remember the Retry-After the app chose for a 503."""
    if response.status_code == 503 and "Retry-After" in response.headers:
        g.app_retry_after = response.headers["Retry-After"]
    return response


def _restore_the_apps_retry_after(response: Response) -> Response:
    """Runs after Flask-Limiter's header hook, which would stretch a 503's Retry-After to its window (55 to 60 s)."""
    if "app_retry_after" in g:
        response.headers["Retry-After"] = g.app_retry_after
    return response


def init_after_limiter(app: Flask) -> None:
    """Called by create_app once the rate limiter is set up (hooks run in reverse order of registration)."""
    app.after_request(_keep_the_apps_retry_after)
    app.register_error_handler(RateLimitExceeded, _audit_rate_limit)


# --------------------------------------------------------------------------------------------------------------------
# Sign-in limits that cannot stall the site, and that a storm cannot use to keep real clinicians out.
#
# Before: one global lock serialised every sign-in POST (so that concurrent attempts could not all pass Flask-Limiter's
# check before any was counted); 30 concurrent sign-ins held waitress's 8 threads and /healthz took seconds.
#
# Now each attempt is counted *before* the work, atomically: under one mutex held only for a few dictionary
# operations (microseconds, never during a hash), an attempt reserves a place in its address's and its account's
# windows, or is refused at once with 429 and Retry-After. After the response, a success (303) gives its place back;
# a failure keeps it. So twelve simultaneous wrong passwords from one address give five answers and seven 429s, with
# no thread waiting on another's hash.
#
# The argon2 work itself is bounded by hashing slots sized to the machine (one per CPU but one), with MAX_WAITING
# places to wait a moment for one; beyond that an attempt is answered 503 with Retry-After: 1 at once rather than
# queueing, so most of waitress's threads stay free for everyone else (bench/bench_signin_storm.py). The places are
# shared per account: each account has at most one attempt waiting (and a known device one more, in its own lane),
# so a storm on one account, from however many addresses, holds one place and cannot starve another account's
# sign-in. One place is kept for known devices, and a freed slot goes to a known device first, then to the
# attempt that has waited longest.
#
# The account limit is not a lockout an attacker can aim (docs/security.md, "Sign-in limits"): once an account has
# had LOGIN_LIMIT_PER_ACCOUNT failures, it is *slowed*, not closed: an attempt is checked only when
# ACCOUNT_SLOW_INTERVAL has passed since the last checked one, from any address; the others are refused at once (and
# do not extend the wait, so holding the account shut costs an attacker a real, counted, audited attempt every
# interval). The first time an account is found slowed, and then at most once every ALERT_EVERY, the caller is told
# to raise an alert (an audit event and an email to the clinic's admins).
#
# A known device, one that signed in to this account before (a signed cookie set at each success, web/auth.py), is
# not slowed by its account's storm: the right password from it is checked at once, in its own lane. The address
# limits still hold for it, and a device that has DEVICE_FAILURES of its own within the hour loses the lane until
# they age out, so a stolen cookie buys an attacker a handful of guesses, not a way round the limit. An address that
# signed someone in within RECENT_SUCCESS (the clinic's own network) shares the lane's waiting place and priority, but
# not the way through its account's slowing: an address is shared, a device cookie is not.


ACCOUNT_SLOW_INTERVAL = timedelta(seconds=10)
ALERT_EVERY = timedelta(hours=1)
# argon2id (64 MiB, 3 passes) keeps one core busy for each hash: leave a core for every other request.
ARGON2_SLOTS = max(1, (os.cpu_count() or 1) - 1)
# With waitress's 8 threads and 2 cores: at most 5 threads inside a sign-in, 3 always free for everyone else.
MAX_WAITING = 4
DEVICE_PLACES = 1  # of the MAX_WAITING places, kept for known devices and recently successful addresses
RECENT_SUCCESS = timedelta(days=7)  # an address that signed someone in this recently shares the known devices' lane
WORK_WAIT = 5.0  # seconds a sign-in may wait for a hashing slot
DEVICE_FAILURES = (5, 3600.0)  # a known device's own failures within an hour before it loses its lane


def _windows(text: str) -> list[tuple[int, float]]:
    return [(item.amount, float(item.get_expiry())) for item in parse_many(text)]


@dataclass
class _Bucket:
    times: deque = field(default_factory=deque)  # when each counted attempt (failed, or still running) started

    def count_within(self, now: float, seconds: float) -> int:
        return sum(1 for t in self.times if t > now - seconds)

    def prune(self, now: float, longest: float) -> None:
        while self.times and self.times[0] <= now - longest:
            self.times.popleft()


@dataclass(frozen=True)
class Admission:
    keys: tuple[str, ...]
    at: float
    slowed: bool = False
    account: str = ""
    known_device: bool = False
    alert: bool = False  # the account is being slowed and nobody has been told within ALERT_EVERY
    trusted: bool = False  # a known device, or an address that signed someone in within RECENT_SUCCESS: its lane


@dataclass(frozen=True)
class Refusal:
    wait: float  # seconds, for Retry-After
    alert: bool = False


class SignInGuard:
    """Per-process counters for the sign-in limits, and the hashing slots; every method holds the mutex for
    dictionary work only (a waiting attempt waits on the condition, which releases it)."""

    def __init__(self, slots: int = ARGON2_SLOTS):
        self._mutex = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._alerted: dict[str, float] = {}
        self._recent: dict[str, float] = {}  # address key -> its last successful sign-in
        self._slot_freed = threading.Condition(self._mutex)
        self._free = slots
        self._queue: list[tuple[bool, object]] = []  # (known device, ticket), in order of arrival
        self._waiting: set[tuple[str, bool]] = set()  # (account, known device) of each attempt waiting

    def admit(
        self,
        ip_key: str,
        ip_limits: list[tuple[int, float]],
        account_key: str,
        account_limits: list[tuple[int, float]],
        device_key: str | None = None,
    ) -> Admission | Refusal:
        """Reserve a place for one attempt, or refuse it with how many seconds to wait."""
        now = clock.utc_now().timestamp()
        with self._mutex:
            ip = self._buckets.setdefault(ip_key, _Bucket())
            account = self._buckets.setdefault(account_key, _Bucket())
            ip.prune(now, max(s for _, s in ip_limits))
            account.prune(now, max(s for _, s in account_limits))
            for amount, seconds in ip_limits:
                if ip.count_within(now, seconds) >= amount:
                    oldest = [t for t in ip.times if t > now - seconds][0]
                    return Refusal(max(1.0, oldest + seconds - now))
            device = None
            if device_key is not None:
                device = self._buckets.setdefault(device_key, _Bucket())
                device.prune(now, DEVICE_FAILURES[1])
                if device.count_within(now, DEVICE_FAILURES[1]) >= DEVICE_FAILURES[0]:
                    device = None  # too many failures of its own: an attempt like any other
            slowed = any(account.count_within(now, seconds) >= amount for amount, seconds in account_limits)
            alert = slowed and self._alert_due(account_key, now)
            if slowed and device is None:  # one checked attempt per interval after the last one, from anywhere
                until = account.times[-1] + ACCOUNT_SLOW_INTERVAL.total_seconds()
                if now < until:
                    return Refusal(max(1.0, until - now), alert)
            ip.times.append(now)
            account.times.append(now)
            keys = (ip_key, account_key)
            if device is not None:
                device.times.append(now)
                keys = (*keys, device_key)
            recent = self._recent.get(ip_key)
            trusted = device is not None or (recent is not None and now - recent < RECENT_SUCCESS.total_seconds())
            return Admission(keys, now, slowed, account_key, device is not None, alert, trusted)

    def _alert_due(self, account_key: str, now: float) -> bool:
        every = ALERT_EVERY.total_seconds()
        last = self._alerted.get(account_key)
        if last is not None and now - last < every:
            return False
        if len(self._alerted) > 10_000:  # a storm over many made-up addresses: forget alerts older than the hour
            self._alerted = {key: at for key, at in self._alerted.items() if now - at < every}
        self._alerted[account_key] = now
        return True

    def enter_work(self, account: str = "", trusted: bool = False, *, wait: bool = True) -> bool:
        """A hashing slot, now or after waiting up to WORK_WAIT, or False (answer 503). An account has at most one
        attempt waiting in each lane; ordinary attempts may take MAX_WAITING - DEVICE_PLACES places to wait, trusted
        ones (a known device, a recently successful address) any; a freed slot goes to the first trusted attempt
        waiting, else to the first attempt waiting."""
        lane = (account, trusted)
        with self._slot_freed:
            if self._free > 0 and not self._queue:
                self._free -= 1
                return True
            ordinary = sum(1 for device, _ in self._queue if not device)
            if (
                not wait
                or lane in self._waiting
                or len(self._queue) >= MAX_WAITING
                or (not trusted and ordinary >= MAX_WAITING - DEVICE_PLACES)
            ):
                return False
            entry = (trusted, object())
            self._queue.append(entry)
            self._waiting.add(lane)
            deadline = time.monotonic() + WORK_WAIT
            try:
                while not (self._free > 0 and self._next() is entry):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._slot_freed.wait(remaining)
                self._free -= 1
                return True
            finally:
                self._queue.remove(entry)
                self._waiting.discard(lane)
                self._slot_freed.notify_all()

    def _next(self) -> tuple[bool, object] | None:
        return next((entry for entry in self._queue if entry[0]), self._queue[0] if self._queue else None)

    def leave_work(self) -> None:
        """Give back a hashing slot taken by enter_work."""
        with self._slot_freed:
            self._free += 1
            self._slot_freed.notify_all()

    def succeeded(self, admission: Admission, *, signed_in: bool = False) -> None:
        """A successful attempt does not count: give its places back (and, when it signed someone in, its address
        has the lane for RECENT_SUCCESS)."""
        with self._mutex:
            if signed_in:
                if len(self._recent) > 10_000:
                    horizon = admission.at - RECENT_SUCCESS.total_seconds()
                    self._recent = {key: at for key, at in self._recent.items() if at > horizon}
                self._recent[admission.keys[0]] = admission.at
            for key in admission.keys:
                bucket = self._buckets.get(key)
                if bucket is not None:
                    with contextlib.suppress(ValueError):
                        bucket.times.remove(admission.at)


def guard_for(app) -> SignInGuard:
    return app.extensions.setdefault("screening.web.protection", SignInGuard())


def limited(view, *, account_key, on_refusal, failed_attempt, device_key=lambda account: None, on_slowed=None):
    """The sign-in limits on a view's POSTs: count first, answer 429 or 503 at once, refund a success.
    `device_key(account)` names the known device making the attempt, if any; `on_slowed()` raises the alert."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if request.method != "POST" or not current_app.config["RATELIMIT_ENABLED"]:
            return view(*args, **kwargs)
        guard = guard_for(current_app)
        account = account_key()
        admitted = guard.admit(
            f"ip:{request.remote_addr}",
            _windows(current_app.config["LOGIN_LIMIT_PER_IP"]),
            account,
            _windows(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
            device_key(account),
        )
        if admitted.alert and on_slowed is not None:
            on_slowed()
        if isinstance(admitted, Refusal):
            return on_refusal(429, admitted.wait)
        if not guard.enter_work(account, admitted.trusted):  # no slot and no place to wait: answer now
            guard.succeeded(admitted)  # not an attempt: nothing was checked
            return on_refusal(503, 1.0)
        g.sign_in_slowed = admitted.slowed
        try:
            response = current_app.make_response(view(*args, **kwargs))
        finally:
            guard.leave_work()
        if not failed_attempt(response):
            guard.succeeded(admitted, signed_in=True)
        return response

    return wrapped
