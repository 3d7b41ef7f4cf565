"""The production profile (issue 13): which Host names the service answers to, the reverse proxy in front of it,
HSTS over HTTPS, and headers a few responses were missing.

- TRUSTED_HOSTS: a request whose Host header names anything else gets 400 before any view runs, so a foreign Host
  never reaches a page, a link or an .ics. The default is the host of PUBLIC_URL plus the loopback names (the
  server's own health checks and `make run`). Links in pages, emails and the .ics UID come from PUBLIC_URL anyway.
- PROXY_COUNT: with N reverse proxies in front (a TLS terminator: 1), werkzeug's ProxyFix trusts the last N
  X-Forwarded-For/-Proto/-Host values, so rate limits and audit rows see the client's address, not the proxy's,
  and HTTPS is recognised. With 0 (the default), those headers are ignored: a client cannot forge its address.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
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
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/calendar":  # an appointment's time and place: not for shared caches either
        response.headers["Cache-Control"] = "no-store"
    return response
