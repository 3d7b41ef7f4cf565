"""The clinic's day, under /clinician: finding a patient and their page, the diary, the print view, the
consultation record, one's own account, password resets, the clinic's settings and withdrawing a booked slot.
Each view reads its form, calls one service and answers."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from screening import clock, store
from screening.db import get_db
from screening.errors import FieldError
from screening.services import accounts, clinic, diary, people
from screening.services import consultation as consulting
from screening.services import intake as patients
from screening.services import review as reviewing
from screening.services.rules.rulebook import current_ruleset
from screening.web import auth
from screening.web.audit import actor
from screening.web.forms import (
    ID_DOCUMENTS,
    ClinicSettingsForm,
    ConfirmForm,
    ConsultationForm,
    PasswordChangeForm,
    ProfileForm,
    ResetForm,
    SearchForm,
    WithdrawForm,
    show_field_error,
)
from screening.web.intake import hold_draft

bp = Blueprint("day", __name__, url_prefix="/clinician")


@bp.app_context_processor
def day_context():
    return {"id_documents": ID_DOCUMENTS}


def zone():
    return clock.zone(current_app.config["CLINIC_TIMEZONE"])


def today():
    return clock.today_in(zone(), clock.utc_now())


def config():
    if "clinic_config" not in g:
        g.clinic_config = clinic.effective_config(get_db(), current_app.config)
    return g.clinic_config


def me() -> dict:
    return clinic.clinician(get_db(), clinician_id=current_user.id)


# --------------------------------------------------------------------------------------------------------------------
# Patients


@bp.get("/patients")
@login_required
def patients_search():
    """Let a clinician find a patient by name, email, date of birth or reference (audited)."""
    form = SearchForm(request.args)
    results, searched = [], bool(request.args)
    if searched and form.validate():
        try:
            results = people.search(
                get_db(), current_ruleset().questionnaire, today(), text=form.q.data or "", date_of_birth=form.dob.data
            )
        except FieldError as problem:
            show_field_error(form, problem)
        else:  # who searched and how many they found; never what they typed (a name or a date of birth)
            store.append_audit(get_db(), actor().event("patients_searched", detail={"results": len(results)}))
    elif searched and form.dob.errors:
        form.dob.errors = ["Enter the date of birth as a real date, for example 22 7 1990"]
    return render_template("day/patients.html", form=form, results=results, searched=searched and not form.errors)


@bp.get("/patients/<int:submission_id>")
@login_required
def patient(submission_id: int):
    """Show a clinician one person's screenings, versions, decisions, appointments and consultations."""
    page = people.patient_page(get_db(), current_ruleset().questionnaire, today(), submission_id)
    store.append_audit(get_db(), actor().event("patient_viewed", object_type="submission", object_id=submission_id))
    return render_template("day/patient.html", tz=zone(), **page)


# --------------------------------------------------------------------------------------------------------------------
# The diary


@bp.get("/diary")
@login_required
def diary_page():
    """Show clinicians today's and the coming week's appointments, in the clinic's time."""
    own = request.args.get("mine") == "1"
    days = diary.week(
        get_db(), current_ruleset().questionnaire, zone(), today(), practitioner=current_user.name if own else ""
    )
    return render_template("day/diary.html", days=days, own=own, tz=zone())


# --------------------------------------------------------------------------------------------------------------------
# A screening: print view, consultation record


def submission_context(found: dict) -> dict:
    context = reviewing.page(get_db(), current_ruleset(), actor(), found)
    context |= people.summary(get_db(), current_ruleset().questionnaire, today(), found)
    return context


@bp.get("/submissions/<int:submission_id>/print")
@login_required
def print_view(submission_id: int):
    """Give a clinician an A4 print view of one screening, with a signature line."""
    found = reviewing.submission(get_db(), submission_id)
    store.append_audit(get_db(), actor().event("submission_printed", object_type="submission", object_id=submission_id))
    return render_template(
        "day/print.html",
        tz=zone(),
        printing=True,
        now_text=clock.readable(clock.to_utc_iso(clock.utc_now()), zone()),
        **submission_context(found),
    )


@bp.route("/submissions/<int:submission_id>/consultation", methods=["GET", "POST"])
@login_required
def consultation(submission_id: int):
    """Let the practitioner record the face-to-face consultation: attendance, identity, answers confirmed."""
    found, form, practitioner = reviewing.submission(get_db(), submission_id), ConsultationForm(), me()
    if form.validate_on_submit():
        try:
            recorded = consulting.record(get_db(), actor(), found, practitioner, today(), **form.record())
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            return after_consultation(found, recorded)
    form.explain_date_errors()
    page = render_template(
        "day/consultation.html",
        form=form,
        practitioner=practitioner,
        tz=zone(),
        later=consulting.later_version(get_db(), submission_id),
        **submission_context(found),
    )
    return page, 400 if request.method == "POST" else 200


def after_consultation(found: dict, recorded):
    """Back to the screening; or, when answers changed, to check-your-answers with them pre-filled, to go through
    with the patient and send as a new version (which shows what changed)."""
    if not recorded.answers_changed:
        flash("Consultation recorded.")
        return redirect(url_for("review.submission", submission_id=found["id"]), 303)
    hold_draft(patients.screen_again(get_db(), config(), found))
    flash(
        "Consultation recorded. Change the answers that changed with the patient (Change links), then "
        "send them: they are screened again as a new version, which shows what changed."
    )
    return redirect(url_for("intake.check"), 303)


# --------------------------------------------------------------------------------------------------------------------
# One's own account


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Let a clinician keep their profile and change their own password."""
    practitioner = me()
    profile, password = profile_form(practitioner), PasswordChangeForm(prefix="password")
    if request.method == "POST":
        which = request.form.get("which")
        if which == "profile":
            profile = ProfileForm(prefix="profile")
            done = saved_profile(profile, practitioner)
        elif which == "password":
            done = changed_password(password, practitioner)
        else:
            abort(400)
        if done:
            return done
    page = render_template("day/account.html", profile=profile, password=password, practitioner=practitioner)
    return page, 400 if request.method == "POST" else 200


def profile_form(practitioner: dict) -> ProfileForm:
    fields = ("name", "register", "register_number")
    return ProfileForm(prefix="profile", data={field: practitioner[field] for field in fields})


def saved_profile(profile: ProfileForm, practitioner: dict):
    """Save the display name and professional register; a redirect when saved, else None (errors on the form)."""
    if not profile.validate_on_submit():
        return None
    fields = {"name": profile.name.data, "register": profile.register.data, "number": profile.register_number.data}
    try:
        accounts.update_profile(get_db(), actor(), practitioner, **{**fields, "number": fields["number"] or ""})
    except FieldError as problem:
        show_field_error(profile, problem)
        return None
    flash("Your profile is saved.")
    return redirect(url_for("day.account"), 303)


def changed_password(password: PasswordChangeForm, practitioner: dict):
    """Change one's password (the current one is required); the other sessions end. A redirect when changed."""
    if not password.validate_on_submit():
        return None
    try:
        ended = accounts.change_password(
            get_db(),
            actor(),
            practitioner,
            current=password.current.data,
            new=password.new.data,
            again=password.again.data,
            keep_session=current_user.get_id(),
        )
    except FieldError as problem:
        show_field_error(password, problem)
        return None
    flash(f"Your password is changed. {ended} other session(s) signed out.")
    return redirect(url_for("day.account"), 303)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """The emailed one-time link: set a new password (no sign-in needed; the link is the proof)."""
    target = accounts.reset_target(get_db(), token)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.use_reset_link(get_db(), actor("clinician"), token, new=form.new.data, again=form.again.data)
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash("Your new password is set. Sign in with it.")
            return redirect(url_for("review.login"), 303)
    return render_template("day/reset.html", form=form, target=target), 400 if form.errors else 200


# --------------------------------------------------------------------------------------------------------------------
# Admin: accounts, the clinic's settings, withdrawing a booked slot


@bp.post("/admin/clinicians/<int:clinician_id>/reset")
@auth.admin_required
def send_reset(clinician_id: int):
    """Let an admin send a clinician a one-time password-reset link."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        accounts.send_reset_link(get_db(), config(), actor(), target, lambda token: url_for("day.reset", token=token))
        flash(f"A one-time link to set a new password (valid for an hour) was emailed to {target['email']}.")
    return redirect(url_for("review.clinicians"), 303)


@bp.post("/admin/clinicians/<int:clinician_id>/enable")
@auth.admin_required
def enable(clinician_id: int):
    """Let an admin re-enable a disabled clinician."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        accounts.enable(get_db(), actor(), target)
        flash(f"{target['name']} can sign in again.")
    return redirect(url_for("review.clinicians"), 303)


@bp.route("/admin/settings", methods=["GET", "POST"])
@auth.admin_required
def settings():
    """Let an admin keep the clinic's details that patients' pages, emails and calendar files use."""
    current = clinic.details(get_db(), current_app.config)
    form = ClinicSettingsForm(data={**current.__dict__})
    if request.method == "POST":
        form = ClinicSettingsForm()
        if form.validate_on_submit():
            try:
                clinic.save_details(get_db(), actor(), {key: form[key].data for key in clinic.CLINIC_SETTINGS})
            except FieldError as problem:
                show_field_error(form, problem)
            else:
                flash("The clinic's details are saved. Pages, emails and calendar files use them from now on.")
                return redirect(url_for("day.settings"), 303)
    return render_template("day/settings.html", form=form), 400 if form.errors else 200


@bp.route("/admin/slots/<int:slot_id>/withdraw", methods=["GET", "POST"])
@auth.admin_required
def withdraw(slot_id: int):
    """Withdrawing a booked slot cancels a patient's appointment: confirm it, and give the reason they will read."""
    slot = store.slot_with_booking(get_db(), slot_id)
    if slot is None:
        flash("That slot is no longer published.")
        return redirect(url_for("review.slots"), 303)
    patient = store.get_submission(get_db(), slot["submission_id"]) if slot["booking_id"] else None
    form = WithdrawForm()
    if patient is None:
        form.reason.validators = []
    if form.validate_on_submit():
        held = clinic.withdraw_slot(get_db(), current_app.config, actor(), slot_id, form.reason.data or "")
        flash(
            "Slot withdrawn."
            + (
                " The patient's appointment is cancelled and they have been emailed, kindly, "
                "with your reason and a way to choose another time."
                if held
                else ""
            )
        )
        return redirect(url_for("review.slots"), 303)
    return render_template("day/withdraw.html", form=form, slot=slot, patient=patient, tz=zone()), (
        400 if form.errors else 200
    )
