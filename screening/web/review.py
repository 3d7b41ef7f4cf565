"""Clinician pages: sign in, the queue, a submission and its decision, and the admin pages."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from screening import clock, store
from screening.db import get_db
from screening.domain.decisions import ACTIONS
from screening.errors import FieldError
from screening.services import clinic, credentials, people
from screening.services import review as reviewing
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit, auth
from screening.web.audit import actor
from screening.web.forms import (
    CodeForm,
    ConfirmForm,
    DecisionForm,
    LoginForm,
    NewClinicianForm,
    QueueFilterForm,
    SlotsForm,
    show_field_error,
)

bp = Blueprint("review", __name__, url_prefix="/clinician")

SIGN_IN_FAILED = "The email address or password is not right"
CODE_NOT_RIGHT = "That code is not right; check the time on your phone and try the newest code"


# --------------------------------------------------------------------------------------------------------------------
# Signing in and out


@bp.route("/login", methods=["GET", "POST"])
@auth.sign_in_limits
def login():
    """Sign a clinician in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("review.queue"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        next_step = auth.sign_in_with_password(form.email.data, form.password.data)
        if next_step:
            return redirect(url_for(next_step), 303)
        form.password.errors.append(SIGN_IN_FAILED)  # the same words for an unknown email and a wrong password
    return render_template("review/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@auth.sign_in_limits
def login_code():
    """Ask a clinician for their sign-in code, when they have a second factor."""
    clinician = auth.pending_clinician()
    if clinician is None or not clinician["totp_secret"]:
        return redirect(url_for("review.login"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        if auth.sign_in_with_code(clinician, form.code.data):
            return redirect(url_for("review.queue"), 303)
        form.code.errors.append(CODE_NOT_RIGHT)
    return render_template("review/code.html", form=form)


@bp.route("/login/set-up-code", methods=["GET", "POST"])
@auth.sign_in_limits
def set_up_code():
    """Set up a second factor: while signing in when an admin requires it, or from a signed-in session."""
    clinician = auth.clinician_setting_up_code()
    if clinician is None:
        return redirect(url_for("review.login"), 303)
    if clinician["totp_secret"]:
        # Replacing a code that works would let a stolen session lock its owner out; an admin resets it instead.
        flash("You already have a sign-in code set up.")
        return redirect(url_for("review.queue" if current_user.is_authenticated else "review.login_code"), 303)
    form, secret = CodeForm(), auth.secret_being_set_up(clinician)
    if form.validate_on_submit():
        if auth.confirm_code_set_up(clinician, secret, form.code.data):
            flash("Your sign-in code is set up. You will be asked for a code each time you sign in.")
            return redirect(url_for("review.queue"), 303)
        form.code.errors.append(CODE_NOT_RIGHT)
    uri = credentials.totp_uri(secret, clinician["email"], current_app.config["CLINIC_NAME"])
    return render_template("review/set_up_code.html", form=form, secret=secret, uri=uri)


@bp.post("/logout")
@login_required
def logout():
    """Sign a clinician out and end their session."""
    auth.sign_out()
    flash("You have signed out.")
    return redirect(url_for("review.login"), 303)


# --------------------------------------------------------------------------------------------------------------------
# The queue


@bp.get("/")
@login_required
def home():
    """Send a signed-in clinician to the queue."""
    return redirect(url_for("review.queue"), 303)


@bp.get("/queue")
@login_required
def queue():
    """Show clinicians the screenings waiting for a decision, most severe and longest waiting first."""
    filters = QueueFilterForm(request.args)
    if not filters.validate():
        filters = QueueFilterForm()
    page = reviewing.queue_page(get_db(), filters.data, after=request.args.get("after", ""))
    page["rows"] = _who(page["rows"])
    page["title"] = people.queue_heading(filters.data)
    return render_template("review/queue.html", filters=filters, waited=reviewing.waited, **page)


def _who(rows: list[dict]) -> list[dict]:
    """Every list of screenings shows who (name, age today, treatments and areas, rule titles)."""
    today = clock.today_in(clock.zone(current_app.config["CLINIC_TIMEZONE"]), clock.utc_now())
    return people.enrich(get_db(), current_ruleset().questionnaire, rows, today)


@bp.get("/cautions")
@login_required
def cautions():
    """Show clinicians the caution-level screenings, for the practitioner's preparation."""
    rows, next_cursor = store.queue(get_db(), outcomes=("caution",), states=(), after=request.args.get("after", ""))
    rows = _who(rows)
    return render_template("review/cautions.html", rows=rows, next_cursor=next_cursor, waited=reviewing.waited)


# --------------------------------------------------------------------------------------------------------------------
# A submission and its decision


def render_submission(found: dict, form: DecisionForm, status: int = 200):
    context = reviewing.page(get_db(), current_ruleset(), actor(), found)
    tz = clock.zone(current_app.config["CLINIC_TIMEZONE"])
    today = clock.today_in(tz, clock.utc_now())
    context |= people.summary(get_db(), current_ruleset().questionnaire, today, found)
    return render_template("review/submission.html", form=form, tz=tz, **context), status


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    """Show a clinician one screening: who, why it was flagged, the answers, the decisions (audited)."""
    found = reviewing.submission(get_db(), submission_id)
    reviewing.record_view(get_db(), actor(), submission_id)
    return render_submission(found, DecisionForm())


@bp.post("/submissions/<int:submission_id>/decision")
@login_required
def decide(submission_id: int):
    """Record a clinician's decision on a screening, or show why it could not be recorded."""
    found, form = reviewing.submission(get_db(), submission_id), DecisionForm()
    if form.validate():
        try:
            config = clinic.effective_config(get_db(), current_app.config)  # The clinic's own details
            decision = reviewing.decide(get_db(), config, actor(), found, **form.decision())
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(f"Decision recorded for screening {submission_id}: {ACTIONS[decision.action].replace('_', ' ')}.")
            return redirect(url_for("review.submission", submission_id=submission_id), 303)
    elif not reviewing.integrity_ok(found):
        raise reviewing.IntegrityFailure()
    return render_submission(found, form, 400)


# --------------------------------------------------------------------------------------------------------------------
# Admin: clinicians and the audit trail


@bp.route("/admin/clinicians", methods=["GET", "POST"])
@auth.admin_required
def clinicians():
    """Let an admin list and add clinicians."""
    form = NewClinicianForm()
    if form.validate_on_submit():
        try:
            clinic.add_clinician(
                get_db(),
                actor(),
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
            )
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(f"Added {form.name.data} ({form.role.data}). Give them their initial password in person.")
            return redirect(url_for("review.clinicians"), 303)
    clinicians = store.list_clinicians(get_db())
    return render_template("admin/clinicians.html", form=form, clinicians=clinicians, confirm=ConfirmForm())


@bp.post("/admin/clinicians/<int:clinician_id>/disable")
@auth.admin_required
def disable_clinician(clinician_id: int):
    """Let an admin disable a clinician, ending their sessions at once."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        ended = clinic.disable_clinician(get_db(), actor(), target)
        flash(f"Disabled {target['name']}; {ended} active session(s) ended.")
    return redirect(url_for("review.clinicians"), 303)


@bp.post("/admin/clinicians/<int:clinician_id>/require-code")
@auth.admin_required
def require_code(clinician_id: int):
    """Let an admin require a second factor at a clinician's next sign-in."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        required = not target["totp_required"]
        clinic.require_code(get_db(), actor(), target, required)
        flash(f"{target['name']} {'must now' if required else 'no longer needs to'} use a sign-in code.")
    return redirect(url_for("review.clinicians"), 303)


@bp.get("/admin/audit")
@auth.admin_required
def audit_trail():
    """Show an admin the audit trail, newest first."""
    args = request.args
    actor = store.clinician_by_email(get_db(), args.get("actor", "")) if args.get("actor") else None
    before = args.get("before", "")
    rows = store.audit_events(
        get_db(),
        action=args.get("action", "").strip(),
        actor_id=actor["id"] if actor else (-1 if args.get("actor") else None),
        object_type=args.get("object_type", "").strip(),
        object_id=args.get("object_id", "").strip(),
        since=args.get("since", "").strip(),
        until=args.get("until", "").strip(),
        before_id=int(before) if re.fullmatch(r"[0-9]{1,18}", before) else None,
    )
    audit.record("audit_viewed", object_type="audit_event")
    return render_template("admin/audit.html", rows=rows, args=args)


# --------------------------------------------------------------------------------------------------------------------
# Admin: consultation slots


@bp.route("/admin/slots", methods=["GET", "POST"])
@auth.admin_required
def slots():
    """Let an admin publish and list consultation slots."""
    tz = clock.zone(current_app.config["CLINIC_TIMEZONE"])
    form = SlotsForm()
    if form.validate_on_submit():
        try:
            published = clinic.publish_slots(get_db(), actor(), **form.slots(tz))
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(published.describe(tz))
            return redirect(url_for("review.slots"), 303)
    today = clock.today_in(tz)
    start, end = clock.day_start_utc(today, tz), clock.day_start_utc(today + timedelta(days=28), tz)
    rows = store.slots_between(get_db(), start, end)
    booked = store.people_for(get_db(), [row["submission_id"] for row in rows if row["submission_id"]])
    days = clock.group_by_day(rows, tz)  # Grouped by day, bookings with the patient's name
    return render_template(
        "admin/slots.html", form=form, rows=rows, days=days, booked=booked, tz=tz, confirm=ConfirmForm()
    ), 400 if form.errors else 200


@bp.post("/admin/slots/<int:slot_id>/cancel")
@auth.admin_required
def cancel_slot(slot_id: int):
    """Let an admin withdraw a slot; a booked one goes to the confirmation page first."""
    if ConfirmForm().validate_on_submit():
        held = store.slot_with_booking(get_db(), slot_id)
        if held and held["booking_id"]:
            # A booked slot is a patient's appointment: confirm and give a reason first.
            return redirect(url_for("day.withdraw", slot_id=slot_id), 303)
        held = clinic.withdraw_slot(get_db(), current_app.config, actor(), slot_id)
        flash(f"Slot withdrawn{'; its booking was cancelled and the patient will see this' if held else ''}.")
    return redirect(url_for("review.slots"), 303)
