"""Clinician pages: sign in, the queue, a submission and its decision, and the admin pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from .. import appointments, audit, auth, clinic_time, mail, reviewing, store
from ..app import current_ruleset
from ..db import get_db
from ..domain.review import ACTIONS, InvalidDecision, approvable, make_decision
from ..forms import CodeForm, ConfirmForm, DecisionForm, LoginForm, NewClinicianForm, QueueFilterForm, SlotsForm

bp = Blueprint("review", __name__, url_prefix="/clinician")

SIGN_IN_FAILED = "The email address or password is not right"


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------------------------------------------------
# Signing in and out


@bp.route("/login", methods=["GET", "POST"])
@auth.sign_in_limits
def login():
    if current_user.is_authenticated:
        return redirect(url_for("review.queue"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        clinician = store.clinician_by_email(get_db(), form.email.data)
        if auth.check_password(clinician, form.password.data):
            if clinician["totp_secret"] or clinician["totp_required"]:
                session.clear()
                session["pending_login"] = {"id": clinician["id"], "at": datetime.now(UTC).isoformat()}
                step = "review.login_code" if clinician["totp_secret"] else "review.set_up_code"
                return redirect(url_for(step), 303)
            auth.sign_in(clinician)
            return redirect(url_for("review.queue"), 303)
        audit.record(
            "login_failure",
            outcome="failure",
            actor={"id": clinician["id"], "role": clinician["role"]} if clinician else None,
            object_type="clinician",
            object_id=clinician["id"] if clinician else "",
        )
        form.password.errors.append(SIGN_IN_FAILED)  # the same words for an unknown email and a wrong password
    return render_template("review/login.html", form=form)


def pending_clinician():
    """The clinician who gave the right password and still owes a code; None once 5 minutes have passed."""
    pending = session.get("pending_login")
    if not pending:
        return None
    started = datetime.fromisoformat(pending["at"])
    if datetime.now(UTC) - started > auth.PENDING_LOGIN_LIFETIME:
        session.pop("pending_login", None)
        return None
    clinician = store.clinician_by_id(get_db(), pending["id"])
    return None if clinician is None or clinician["disabled_at"] else clinician


@bp.route("/login/code", methods=["GET", "POST"])
@auth.sign_in_limits
def login_code():
    clinician = pending_clinician()
    if clinician is None or not clinician["totp_secret"]:
        return redirect(url_for("review.login"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        if auth.check_totp(clinician, clinician["totp_secret"], form.code.data):
            auth.sign_in(clinician)
            return redirect(url_for("review.queue"), 303)
        audit.record(
            "login_failure",
            outcome="failure",
            actor={"id": clinician["id"], "role": clinician["role"]},
            object_type="clinician",
            object_id=clinician["id"],
            detail={"factor": "code"},
        )
        form.code.errors.append("That code is not right; check the time on your phone and try the newest code")
    return render_template("review/code.html", form=form)


@bp.route("/login/set-up-code", methods=["GET", "POST"])
@auth.sign_in_limits
def set_up_code():
    """Set up a second factor: while signing in when an admin requires it, or from a signed-in session."""
    clinician = store.clinician_by_id(get_db(), current_user.id) if current_user.is_authenticated else None
    clinician = clinician or pending_clinician()
    if clinician is None:
        return redirect(url_for("review.login"), 303)
    if clinician["totp_secret"]:
        # Replacing a code that works would let a stolen session lock its owner out; an admin resets it instead.
        flash("You already have a sign-in code set up.")
        return redirect(url_for("review.queue" if current_user.is_authenticated else "review.login_code"), 303)
    db = get_db()
    if not clinician["totp_pending"]:
        store.set_totp_pending(db, clinician["id"], auth.new_totp_secret())
        clinician = store.clinician_by_id(db, clinician["id"])
    secret = clinician["totp_pending"]
    form = CodeForm()
    if form.validate_on_submit():
        if auth.check_totp(clinician, secret, form.code.data):
            store.set_totp_secret(
                db,
                clinician["id"],
                secret,
                audit.event("totp_enrolled", actor={"id": clinician["id"], "role": clinician["role"]}),
            )
            if not current_user.is_authenticated:
                auth.sign_in(store.clinician_by_id(db, clinician["id"]))
            flash("Your sign-in code is set up. You will be asked for a code each time you sign in.")
            return redirect(url_for("review.queue"), 303)
        form.code.errors.append("That code is not right; check the time on your phone and try the newest code")
    uri = auth.totp_uri(secret, clinician["email"], current_app.config["CLINIC_NAME"])
    return render_template("review/set_up_code.html", form=form, secret=secret, uri=uri)


@bp.post("/logout")
@login_required
def logout():
    auth.sign_out()
    flash("You have signed out.")
    return redirect(url_for("review.login"), 303)


# --------------------------------------------------------------------------------------------------------------------
# The queue


@bp.get("/")
@login_required
def home():
    return redirect(url_for("review.queue"), 303)


@bp.get("/queue")
@login_required
def queue():
    filters = QueueFilterForm(request.args)
    if not filters.validate():
        filters = QueueFilterForm()
    level, state, treatment = filters.level.data, filters.state.data, filters.treatment.data
    outcomes = ("decline", "defer", "review", "caution", "clear") if level == "any" else (level,)
    states = () if state == "any" else (state,)
    rows, next_cursor = store.queue(
        get_db(),
        outcomes=outcomes,
        states=states,
        treatment="" if treatment == "any" else treatment,
        since=filters.since.data.isoformat() if filters.since.data else "",
        until=(filters.until.data + timedelta(days=1)).isoformat() if filters.until.data else "",
        after=request.args.get("after", ""),
    )
    return render_template(
        "review/queue.html",
        filters=filters,
        rows=rows,
        next_cursor=next_cursor,
        counts=store.state_counts(get_db(), outcomes),
        waited=reviewing.waited,
        title="Screenings waiting for review",
    )


@bp.get("/cautions")
@login_required
def cautions():
    rows, next_cursor = store.queue(get_db(), outcomes=("caution",), states=(), after=request.args.get("after", ""))
    return render_template("review/cautions.html", rows=rows, next_cursor=next_cursor, waited=reviewing.waited)


# --------------------------------------------------------------------------------------------------------------------
# A submission and its decision


def load_submission(submission_id: int) -> dict:
    submission = store.get_submission(get_db(), submission_id)
    if submission is None:
        abort(404)
    return submission


def render_submission(submission: dict, form: DecisionForm, status: int = 200):
    intact = reviewing.integrity_ok(submission)
    changes, question = None, ""
    if submission["previous_id"]:
        previous = store.get_submission(get_db(), submission["previous_id"])
        changes = reviewing.changes_since(current_ruleset().questionnaire, previous, submission)
        question = store.clinician_question(get_db(), previous["id"])
    if not intact:
        audit.record("integrity_failure", outcome="failure", object_type="submission", object_id=submission["id"])
    return (
        render_template(
            "review/submission.html",
            submission=submission,
            sections=reviewing.answers_by_section(current_ruleset().questionnaire, submission),
            answers_read=reviewing.answers_read(current_ruleset().questionnaire, submission),
            decisions=store.decisions_for(get_db(), submission["id"]),
            approvable=approvable(submission["treatments"], amended=submission["kind"] == "amendment"),
            changes=changes,
            question=question,
            form=form,
            intact=intact,
            ruleset_current=submission["ruleset_version"] == current_ruleset().version,
        ),
        status,
    )


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    found = load_submission(submission_id)
    audit.record("submission_viewed", object_type="submission", object_id=submission_id)
    return render_submission(found, DecisionForm())


@bp.post("/submissions/<int:submission_id>/decision")
@login_required
def decide(submission_id: int):
    found = load_submission(submission_id)
    form = DecisionForm()
    if not reviewing.integrity_ok(found):
        abort(409)
    if form.validate():
        try:
            decision = make_decision(
                form.action.data,
                treatments=form.treatments.data or [],
                treatment_outcomes=found["treatments"],
                defer_until=form.defer_until.data,
                note=form.note.data or "",
                today=date.today(),
                amended=found["kind"] == "amendment",
            )
        except InvalidDecision as problem:
            form[problem.field].errors = [*form[problem.field].errors, problem.message]
        else:
            try:
                store.record_decision(
                    get_db(),
                    submission_id,
                    clinician_id=current_user.id,
                    action=decision.action,
                    state=decision.state,
                    treatments=decision.treatments,
                    defer_until=decision.defer_until.isoformat() if decision.defer_until else None,
                    note=decision.note,
                    audit=audit.event(
                        "decision_recorded", detail={"action": decision.action, "treatments": list(decision.treatments)}
                    ),
                    mails=(
                        mail.decision(
                            current_app.config,
                            found["email"],
                            mail.patient_link(current_app.config, current_app.secret_key, found["submission_key"]),
                        ),
                    ),
                )
                mail.nudge(current_app._get_current_object())
            except store.DecisionConflict as conflict:
                audit.record(
                    "decision_conflict",
                    outcome="failure",
                    object_type="submission",
                    object_id=submission_id,
                    detail={"action": decision.action},
                )
                return render_template(
                    "review/conflict.html", submission=found, decided=conflict.decided, actions=ACTIONS
                ), 409
            flash(f"Decision recorded for screening {submission_id}: {ACTIONS[decision.action].replace('_', ' ')}.")
            return redirect(url_for("review.submission", submission_id=submission_id), 303)
    return render_submission(found, form, 400)


# --------------------------------------------------------------------------------------------------------------------
# Admin: clinicians and the audit trail


@bp.route("/admin/clinicians", methods=["GET", "POST"])
@auth.admin_required
def clinicians():
    db = get_db()
    form = NewClinicianForm()
    if form.validate_on_submit():
        problem = auth.password_problem(form.password.data, email=form.email.data, name=form.name.data)
        if problem:
            form.password.errors.append(problem)
        else:
            try:
                store.add_clinician(
                    db,
                    email=form.email.data,
                    name=form.name.data,
                    role=form.role.data,
                    password_hash=auth.hash_password(form.password.data),
                    audit=audit.event("clinician_created", detail={"role": form.role.data}),
                )
            except store.DuplicateClinician:
                form.email.errors.append("A clinician with that email address exists already")
            else:
                flash(f"Added {form.name.data} ({form.role.data}). Give them their initial password in person.")
                return redirect(url_for("review.clinicians"), 303)
    return render_template(
        "admin/clinicians.html", form=form, clinicians=store.list_clinicians(db), confirm=ConfirmForm()
    )


@bp.post("/admin/clinicians/<int:clinician_id>/disable")
@auth.admin_required
def disable_clinician(clinician_id: int):
    db = get_db()
    if ConfirmForm().validate_on_submit():
        target = store.clinician_by_id(db, clinician_id)
        if target is None:
            abort(404)
        if target["id"] == current_user.id:
            flash("You cannot disable your own account; ask another admin.")
        else:
            ended = store.disable_clinician(db, clinician_id, audit.event("clinician_disabled"))
            if ended:
                audit.record(
                    "session_revoked", object_type="clinician", object_id=clinician_id, detail={"sessions": ended}
                )
            flash(f"Disabled {target['name']}; {ended} active session(s) ended.")
    return redirect(url_for("review.clinicians"), 303)


@bp.post("/admin/clinicians/<int:clinician_id>/require-code")
@auth.admin_required
def require_code(clinician_id: int):
    db = get_db()
    if ConfirmForm().validate_on_submit():
        target = store.clinician_by_id(db, clinician_id)
        if target is None:
            abort(404)
        required = not target["totp_required"]
        store.set_totp_required(
            db, clinician_id, required, audit.event("totp_requirement_changed", detail={"required": required})
        )
        flash(f"{target['name']} {'must now' if required else 'no longer needs to'} use a sign-in code.")
    return redirect(url_for("review.clinicians"), 303)


@bp.get("/admin/audit")
@auth.admin_required
def audit_trail():
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
    db = get_db()
    tz = clinic_time.zone(current_app.config["CLINIC_TIMEZONE"])
    form = SlotsForm()
    if form.validate_on_submit():
        try:
            made = clinic_time.make_slots(
                datetime.combine(form.day.data, form.start.data, tz),
                datetime.combine(form.day.data, form.end.data, tz),
                clinic_time.parse_every(form.every.data),
            )
        except clinic_time.TimeInputError as problem:
            form.end.errors.append(str(problem).capitalize())
        else:
            practitioner = (form.practitioner.data or "").strip()
            added = store.add_slots(db, made, practitioner, audit.event("slots_added"))
            flash(f"Published {added} slot(s); {len(made) - added} existed already.")
            return redirect(url_for("review.slots"), 303)
    today = clinic_time.today_in(tz)
    rows = store.slots_between(
        db, clinic_time.day_start_utc(today, tz), clinic_time.day_start_utc(today + timedelta(days=28), tz)
    )
    return render_template("admin/slots.html", form=form, rows=rows, tz=tz, confirm=ConfirmForm())


@bp.post("/admin/slots/<int:slot_id>/cancel")
@auth.admin_required
def cancel_slot(slot_id: int):
    db = get_db()
    if ConfirmForm().validate_on_submit():
        if store.get_slot(db, slot_id) is None:
            abort(404)
        booking = store.cancel_slot(
            db, slot_id, audit.event("slot_cancelled"), mails_for=appointments.clinic_cancellation(slot_id)
        )
        mail.nudge(current_app._get_current_object())
        flash(f"Slot withdrawn{'; its booking was cancelled and the patient will see this' if booking else ''}.")
    return redirect(url_for("review.slots"), 303)
