"""The patient's copy of their data, from their private page: a readable page and a JSON download."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template

from screening import clock
from screening.db import get_db
from screening.domain import TREATMENT_NAMES
from screening.services.lifecycle import patient_copy
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit
from screening.web.intake import current_submission

bp = Blueprint("patient_copy", __name__)


def _copy(form: str) -> dict:
    """Everything held about the patient whose private link this browser holds (404 for anyone else); audited."""
    submission = current_submission()
    ruleset = current_ruleset()
    data = patient_copy.build(
        get_db(),
        ruleset.questionnaire,
        ruleset.version,
        submission["id"],
        clinic=current_app.config["CLINIC_NAME"],
        now=clock.utc_now(),
    )
    audit.record(
        "patient_copy_downloaded",
        actor_role="patient",
        object_type="submission",
        object_id=submission["id"],
        detail={"format": form, "screenings": len(data["screenings"])},
    )
    return data


@bp.get("/your-result/your-data")
def page():
    """Show the patient a copy of what the clinic holds about their screening (audited)."""
    return render_template("intake/your_data.html", data=_copy("html"), treatment_names=TREATMENT_NAMES)


@bp.get("/your-result/your-data.json")
def download():
    """Give the patient that copy as a JSON file (audited)."""
    return current_app.response_class(
        json.dumps(_copy("json"), indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="your-screening-data.json"'},
    )
