"""CSRF on every form, and the response headers every page carries."""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

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


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(set_security_headers)


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
    if response.mimetype == "text/html":
        # Pages hold health answers: never keep them in a shared or back-button cache.
        headers["Cache-Control"] = "no-store"
    return response
