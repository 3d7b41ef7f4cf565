"""Admin pages for a patient's records: find them by email and date of birth, erase them or restrict them."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for

from screening.db import get_db
from screening.services.lifecycle import erasure, exports
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit, auth
from screening.web.forms import ExportForm, PatientRecordsForm

bp = Blueprint("records", __name__, url_prefix="/clinician/admin/records")


def _years() -> float:
    return float(current_app.config["RETENTION_CONSULTED_YEARS"])


def _plan(form: PatientRecordsForm):
    """The erasure plan for the form's patient, or None with the reason on the form's fields."""
    try:
        return erasure.plan(get_db(), form.email.data, form.date_of_birth.data.isoformat(), consulted_years=_years())
    except erasure.ErasureInputError as problem:
        field = form.date_of_birth if "date of birth" in str(problem) else form.email
        field.errors = [*field.errors, str(problem).capitalize()]
        return None


@bp.route("", methods=["GET", "POST"])
@auth.admin_required
def find():
    """Find a patient (POST, so no email or date of birth ends up in a URL or an access log)."""
    form = PatientRecordsForm()
    patient = None
    if form.validate_on_submit():
        patient = _plan(form)
        if patient is not None:
            audit.record(
                "patient_records_viewed",
                object_type="patient",
                detail={"screenings": len(patient.screenings), "drafts": patient.drafts},
            )
    return render_template("admin/records.html", form=form, patient=patient), 200 if form.errors == {} else 400


@bp.post("/erase")
@auth.admin_required
def erase():
    """Let an admin erase a patient's screenings, or say why they are kept."""
    form = PatientRecordsForm()
    patient = planned(form)
    outbox = Path(current_app.instance_path) / "outbox"
    flash(erased_message(erasure.erase(get_db(), patient, audit.event("patient_erased"), outbox_dir=outbox), patient))
    if patient.retained:  # the clinic must keep these: shown below, with restriction offered instead
        return render_template("admin/records.html", form=form, patient=_plan(form)), 409
    return redirect(url_for("records.find"), 303)


def planned(form: PatientRecordsForm):
    """The patient the confirmed form names; otherwise the form again, with its errors (400)."""
    patient = _plan(form) if form.validate_on_submit() else None
    if patient is None:
        abort(make_response(render_template("admin/records.html", form=form, patient=None), 400))
    return patient


def erased_message(result, patient) -> str:
    message = (
        f"Erased {len(result.erased_submissions)} screening version(s), {result.drafts} unfinished questionnaire(s)"
        f" and {result.messages} email message(s)."
    )
    if patient.retained:
        message += f" {len(patient.retained)} screening(s) were kept: the clinic must keep them (see below)."
    return message


@bp.post("/restrict")
@auth.admin_required
def restrict():
    """Let an admin restrict a screening that must be retained (UK GDPR Art. 18) instead of erasing it."""
    form = PatientRecordsForm()
    patient = planned(form)
    marked = erasure.restrict(get_db(), patient, audit.event("submission_restricted"))
    flash(f"Restricted {len(marked)} screening version(s): kept for the record, shown in no list.")
    return render_template("admin/records.html", form=form, patient=_plan(form))


@bp.get("/export")
@auth.admin_required
def export():
    """Screenings in a date range as CSV (a download when the range is given and valid, else the form)."""
    form = ExportForm(request.args)
    if request.args and form.validate():
        since, until = form.since.data, form.until.data
        body, rows = exports.screenings_csv(get_db(), current_ruleset().questionnaire, since, until)
        audit.record(
            "screenings_exported",
            object_type="submission",
            detail={"format": "csv", "rows": rows, "since": since.isoformat(), "until": until.isoformat()},
        )
        name = f"screenings-{since.isoformat()}-to-{until.isoformat()}.csv"
        return current_app.response_class(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render_template("admin/export.html", form=form), 400 if request.args else 200
