"""Where the server listens, and whether the links in emails (PUBLIC_URL) lead back to it.

`make run` passes the address it gives waitress as SCREENING_LISTEN (host:port). Precedence for PUBLIC_URL, highest
first: SCREENING_PUBLIC_URL in the environment, PUBLIC_URL in instance/config.py, then http://LISTEN when the server
was told where it listens, then the built-in default (http://127.0.0.1:5000). A PUBLIC_URL set on purpose is never
replaced; when it does not lead to where the server listens, a line at start says so (right behind a proxy that
forwards to this address, wrong otherwise)."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from flask import Config

log = logging.getLogger(__name__)
DEFAULT_PORTS = {"http": 80, "https": 443}
ANY_ADDRESS = {"0.0.0.0", "::", "[::]", ""}  # noqa: S104 - recognised, not bound
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def split_listen(listen: str) -> tuple[str, int] | None:
    """'127.0.0.1:5077' -> ('127.0.0.1', 5077); None when it is not host:port."""
    host, _, port = listen.strip().rpartition(":")
    return (host, int(port)) if port.isdigit() and host else None


def url_for_listen(listen: str) -> str | None:
    parts = split_listen(listen)
    if parts is None:
        return None
    host, port = parts
    host = "127.0.0.1" if host in ANY_ADDRESS else host
    return f"http://{host}:{port}"


def public_url_set_explicitly(instance_path: str, environ: dict[str, str] | None = None) -> bool:
    """Whether the operator chose PUBLIC_URL (in the environment or instance/config.py) rather than the default."""
    environ = os.environ if environ is None else environ
    if "SCREENING_PUBLIC_URL" in environ:
        return True
    own = Config(instance_path)
    own.from_pyfile("config.py", silent=True)
    return "PUBLIC_URL" in own


def mismatch(public_url: str, listen: str) -> str | None:
    """A sentence for the log when links would not lead to where the server listens; None when they do."""
    parts = split_listen(listen)
    if parts is None:
        return None
    host, port = parts
    link = urlsplit(public_url)
    link_port = link.port or DEFAULT_PORTS.get(link.scheme)
    host_matches = host in ANY_ADDRESS or link.hostname == host.strip("[]") or {host, link.hostname or ""} <= LOOPBACK
    if link_port == port and host_matches:
        return None
    return (
        f"PUBLIC_URL is {public_url} but this server listens on {host}:{port}: links in emails will lead there only "
        "if a proxy forwards that address to this one. Set PUBLIC_URL (instance/config.py or SCREENING_PUBLIC_URL) "
        "to the address patients use."
    )


def settle(config: dict[str, Any], instance_path: str, *, explicit: bool | None = None) -> None:
    """Give PUBLIC_URL its default from the listen address when nobody chose it; log a mismatch."""
    listen = config.get("LISTEN")
    if not listen:
        return
    if explicit is None:
        explicit = public_url_set_explicitly(instance_path)
    if not explicit and (derived := url_for_listen(listen)):
        config["PUBLIC_URL"] = derived
    if problem := mismatch(config["PUBLIC_URL"], listen):
        log.warning(problem)
