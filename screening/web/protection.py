"""CSRF on every form, and the response headers every page carries."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
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
# Sign-in limits that cannot stall the site.
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
# The argon2 work itself is bounded by a semaphore sized to the machine (one per CPU but one); four attempts may wait a
# moment for a slot, and beyond that an attempt is answered 503 with Retry-After: 1 at once rather than queueing, so
# most of waitress's threads stay free for everyone else (bench/bench_signin_storm.py).
#
# The account limit is not a lockout an attacker can aim (docs/security.md, "Sign-in limits"): once an account has
# had LOGIN_LIMIT_PER_ACCOUNT failures, it is *slowed*, not closed: an attempt is checked only when
# ACCOUNT_SLOW_INTERVAL
# has passed since the last checked one, from any address; the others are refused at once (and do not extend the
# wait, so holding the account shut costs an attacker a real, counted, audited attempt every interval).
# The right password from a new address therefore gets in within seconds of a retry, while guessing is held to at most
# one try per interval for the whole world.


ACCOUNT_SLOW_INTERVAL = timedelta(seconds=10)
# argon2id (64 MiB, 3 passes) keeps one core busy for each hash: leave a core for every other request.
ARGON2_SLOTS = max(1, (os.cpu_count() or 1) - 1)
# With waitress's 8 threads and 2 cores: at most 5 threads inside a sign-in, 3 always free for everyone else; and the
# 5 attempts one address may make at once (LOGIN_LIMIT_PER_IP) are all checked, none answered 503.
MAX_WAITING = 4
WORK_WAIT = 5.0  # seconds a sign-in may wait for a hashing slot


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


class SignInGuard:
    """Per-process counters for the sign-in limits; every method holds the mutex for dictionary work only."""

    def __init__(self, slots: int = ARGON2_SLOTS):
        self._mutex = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.work = threading.BoundedSemaphore(slots)
        self._waiting = 0

    def admit(
        self, ip_key: str, ip_limits: list[tuple[int, float]], account_key: str, account_limits: list[tuple[int, float]]
    ) -> Admission | float:
        """Reserve a place for one attempt, or return how many seconds to wait (a refusal)."""
        now = clock.utc_now().timestamp()
        with self._mutex:
            ip = self._buckets.setdefault(ip_key, _Bucket())
            account = self._buckets.setdefault(account_key, _Bucket())
            ip.prune(now, max(s for _, s in ip_limits))
            account.prune(now, max(s for _, s in account_limits))
            for amount, seconds in ip_limits:
                if ip.count_within(now, seconds) >= amount:
                    oldest = [t for t in ip.times if t > now - seconds][0]
                    return max(1.0, oldest + seconds - now)
            slowed = any(account.count_within(now, seconds) >= amount for amount, seconds in account_limits)
            if slowed:  # one checked attempt per interval after the last one, from anywhere
                until = account.times[-1] + ACCOUNT_SLOW_INTERVAL.total_seconds()
                if now < until:
                    return max(1.0, until - now)
            ip.times.append(now)
            account.times.append(now)
            return Admission((ip_key, account_key), now, slowed)

    def enter_work(self) -> bool:
        """A hashing slot, waiting up to WORK_WAIT for one only while fewer than MAX_WAITING others wait: at most
        slots + MAX_WAITING of waitress's threads are ever inside a sign-in."""
        if self.work.acquire(blocking=False):
            return True
        with self._mutex:
            if self._waiting >= MAX_WAITING:
                return False
            self._waiting += 1
        try:
            return self.work.acquire(timeout=WORK_WAIT)
        finally:
            with self._mutex:
                self._waiting -= 1

    def succeeded(self, admission: Admission) -> None:
        """A successful attempt does not count: give its places back."""
        with self._mutex:
            for key in admission.keys:
                bucket = self._buckets.get(key)
                if bucket is not None:
                    with contextlib.suppress(ValueError):
                        bucket.times.remove(admission.at)


def guard_for(app) -> SignInGuard:
    return app.extensions.setdefault("screening.web.protection", SignInGuard())


def limited(view, *, account_key, on_refusal, failed_attempt):
    """The sign-in limits on a view's POSTs: count first, answer 429 or 503 at once, refund a success."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if request.method != "POST" or not current_app.config["RATELIMIT_ENABLED"]:
            return view(*args, **kwargs)
        guard = guard_for(current_app)
        admitted = guard.admit(
            f"ip:{request.remote_addr}",
            _windows(current_app.config["LOGIN_LIMIT_PER_IP"]),
            account_key(),
            _windows(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
        )
        if not isinstance(admitted, Admission):
            return on_refusal(429, admitted)
        if not guard.enter_work():  # every hashing slot busy and enough waiting: answer now, do not queue
            guard.succeeded(admitted)  # not an attempt: nothing was checked
            return on_refusal(503, 1.0)
        g.sign_in_slowed = admitted.slowed
        try:
            response = current_app.make_response(view(*args, **kwargs))
        finally:
            guard.work.release()
        if not failed_attempt(response):
            guard.succeeded(admitted)
        return response

    return wrapped
