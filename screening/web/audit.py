"""Write audit events from a request: who (the signed-in clinician, a patient, or nobody), from where, which request."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, g, has_request_context, request, session
from flask_login import current_user

from screening import store
from screening.db import get_db


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_expose_request_id)
    app.context_processor(lambda: {"clinician": signed_in()})


def signed_in():
    """The signed-in clinician, or None. A patient's session never holds a sign-in, so it is not checked against one:
    asking Flask-Login on a patient's page would fail its strong session protection (a non-empty session without a
    sign-in identifier) and rewrite the patient's cookie on every response."""
    if not has_request_context() or "_user_id" not in session:
        return None
    return current_user if current_user.is_authenticated else None


def _assign_request_id() -> None:
    request_id()


def request_id() -> str:
    """This request's id, given on first need: a check that runs before this module's (CSRF, the trusted hosts, the
    limits) may write an audit row before the request would otherwise have its id."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return g.request_id


def _expose_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-Id"] = g.request_id
    return response


def event(
    action: str,
    *,
    outcome: str = "success",
    object_type: str = "",
    object_id: Any = "",
    detail: dict[str, Any] | None = None,
    actor: dict[str, Any] | None = None,
    actor_role: str | None = None,
) -> store.AuditEvent:
    """An audit event with the request's context filled in. `detail` must never carry answers or patient names."""
    clinician = signed_in() if actor is None else None
    if clinician is not None:
        actor = {"id": clinician.id, "role": clinician.role}
    role = actor_role or (actor["role"] if actor else "anonymous")
    return store.AuditEvent(
        action=action,
        actor_role=role,
        outcome=outcome,
        actor_id=actor["id"] if actor else None,
        object_type=object_type,
        object_id=str(object_id),
        remote_addr=(request.remote_addr or "") if has_request_context() else "",
        request_id=request_id() if has_request_context() else "",
        detail=detail,
    )


def actor(role: str | None = None) -> store.Actor:
    """Who is asking, from where, for this request: the signed-in clinician, else a patient (or `role`)."""
    clinician = signed_in()
    if clinician is not None:
        who, role = clinician.id, role or clinician.role
    else:
        who, role = None, role or "patient"
    return store.Actor(role, who, request.remote_addr or "", request_id())


def record(action: str, **kwargs: Any) -> None:
    """Append an audit event in its own transaction (or the caller's, if one is open)."""
    store.append_audit(get_db(), event(action, **kwargs))
