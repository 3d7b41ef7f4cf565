"""FHIR R4 downloads for clinicians: a screening as a Bundle, from its page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask_login import login_required

from screening.db import get_db
from screening.services.lifecycle import fhir
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit

bp = Blueprint("fhir", __name__, url_prefix="/clinician")


def fhir_base() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/fhir"


@bp.get("/submissions/<int:submission_id>/fhir.json")
@login_required
def bundle(submission_id: int):
    """Give a clinician one screening as a FHIR R4 Bundle to download."""
    found = fhir.bundle(get_db(), current_ruleset(), submission_id, fhir_base())
    if found is None:
        abort(404)
    audit.record(
        "fhir_exported",
        object_type="submission",
        object_id=submission_id,
        detail={"resources": len(found["entry"])},
    )
    return current_app.response_class(
        fhir.to_json(found),
        mimetype="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="screening-{submission_id}.fhir.json"'},
    )
