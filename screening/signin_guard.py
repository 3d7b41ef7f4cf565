"""Sign-in limits that cannot stall the site (issue 13, findings 3 and 7).

Before: one global lock serialised every sign-in POST (so that concurrent attempts could not all pass Flask-Limiter's
check before any was counted); 30 concurrent sign-ins held waitress's 8 threads and /healthz took seconds.

Now each attempt is counted *before* the work, atomically: under one mutex held only for a few dictionary
operations (microseconds, never during a hash), an attempt reserves a place in its address's and its account's
windows, or is refused at once with 429 and Retry-After. After the response, a success (303) gives its place back;
a failure keeps it. So twelve simultaneous wrong passwords from one address give five answers and seven 429s, with
no thread waiting on another's hash.

The argon2 work itself is bounded by a semaphore sized to the machine (one per CPU but one); four attempts may wait a
moment for a slot, and beyond that an attempt is answered 503 with Retry-After: 1 at once rather than queueing, so
most of waitress's threads stay free for everyone else (bench/bench_signin_storm.py).

The account limit is not a lockout an attacker can aim (finding 7; README "Sign-in limits"): once an account has
had LOGIN_LIMIT_PER_ACCOUNT failures, it is *slowed*, not closed: an attempt is checked only when ACCOUNT_SLOW_INTERVAL
has passed since the last checked one, from any address; the others are refused at once (and do not extend the
wait, so holding the account shut costs an attacker a real, counted, audited attempt every interval).
The right password from a new address therefore gets in within seconds of a retry, while guessing is held to at most
one try per interval for the whole world.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, request
from limits import parse_many

from screening import clock

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
    return app.extensions.setdefault("screening.signin_guard", SignInGuard())


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
