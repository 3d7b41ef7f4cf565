"""Error pages: one handler for HTTP errors, a calm 503 for a busy or full database, an incident id for the rest."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from traceback import extract_tb

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException, InternalServerError

from screening import clock
from screening.errors import Restricted, ServiceError
from screening.web import audit

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

# SQLite errors that mean "try again shortly": the lock is held, the disk is full, the file is read-only.
_TRANSIENT = ("locked", "busy", "full", "readonly", "read-only", "disk i/o")


STAFF_PREFIX = "/clinician"  # every clinician's, admin's and account page (their blueprints' url_prefix)


def for_staff() -> bool:
    """Whether the failed request was a clinician's page (they get their own wording), not a patient's."""
    return request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/")


def render_error(status: int, **context):
    context.setdefault("staff", for_staff())
    try:
        body = render_template(f"errors/{status}.html", status=status, **context)
    except TemplateNotFound:
        body = render_template("errors/error.html", status=status, **context)
    return body, status


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    try:
        audit.record("csrf_failure", outcome="denied", object_type="route", object_id=request.path)
    except sqlite3.Error:
        log.warning("could not audit a CSRF failure")  # the refusal itself must still happen
    return render_error(400, reason="csrf")


@bp.app_errorhandler(ServiceError)
def service_error(error: ServiceError):
    """What a service refused, answered once for every view: back to a page with the message, a page of its own,
    or the error page for its status."""
    if isinstance(error, Restricted):
        _audit_restricted(error)
    message = error.message if for_staff() or not error.message else gettext(error.message)  # errors.N_
    if error.back_to:
        flash(message)
        return redirect(url_for(error.back_to), 303)
    if error.template:
        tz = clock.zone(current_app.config["CLINIC_TIMEZONE"])  # a page of its own tells times in the clinic's zone
        return render_template(error.template, error=error, message=message, tz=tz, **error.detail), error.status
    return render_error(error.status, message=message)


def _audit_restricted(error: Restricted) -> None:
    """Every refused opening of a restricted screening is audited: who, which screening, from which page."""
    try:
        audit.record(
            "restricted_access_refused",
            outcome="denied",
            object_type="submission",
            object_id=error.submission_id,
            detail={"page": request.endpoint or ""},
            **({"actor_role": "patient"} if error.patient else {}),
        )
    except sqlite3.Error:
        log.warning("could not audit a refused opening of a restricted screening")  # the refusal still happens


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    response = render_error(error.code or 500)
    headers = {}
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return (*response, headers)


@bp.app_errorhandler(sqlite3.OperationalError)
def database_error(error: sqlite3.OperationalError):
    if any(word in str(error).lower() for word in _TRANSIENT):
        log.warning("database unavailable: %s", error)  # the message names the condition, never patient data
        body, status = render_error(503)
        return body, status, {"Retry-After": "5"}
    return unexpected_error(error)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return http_error(error)
    incident = secrets.token_hex(6)
    # Where it failed, never what the exception says: a message can quote an answer.
    frames = " < ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in extract_tb(error.__traceback__)[::-1]
    )
    log.error("incident %s: unhandled %s at %s", incident, type(error).__name__, frames)
    return render_error(500, incident=incident)
