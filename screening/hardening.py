"""The production profile (issue 13): which Host names the service answers to, the reverse proxy in front of it,
HSTS over HTTPS, and headers a few responses were missing.

- TRUSTED_HOSTS: a request whose Host header names anything else gets 400 before any view runs, so a foreign Host
  never reaches a page, a link or an .ics. The default is the host of PUBLIC_URL plus the loopback names (the
  server's own health checks and `make run`). Links in pages, emails and the .ics UID come from PUBLIC_URL anyway.
- PROXY_COUNT: with N reverse proxies in front (a TLS terminator: 1), werkzeug's ProxyFix trusts the last N
  X-Forwarded-For/-Proto/-Host values, so rate limits and audit rows see the client's address, not the proxy's,
  and HTTPS is recognised. With 0 (the default), those headers are ignored: a client cannot forge its address.
  Under waitress keep 0 and use waitress's own --trusted-proxy flags instead: waitress 3 drops X-Forwarded-* from
  untrusted peers before the app sees them (README "Running behind a TLS reverse proxy").
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

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
    if response.mimetype == "text/calendar":  # an appointment's time and place: not for shared caches either
        response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------------------------------------------------
# The smaller findings (issue 13, item 9)


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
    from screening import audit
    from screening.views.errors import render_error

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
