"""Signing in and out, and a clinician's own account: password, second factor, a reset link.

Each view reads its form, calls one service and answers; what a service refuses is turned into a page or a
message in one place (web/errors.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from screening.db import get_db
from screening.errors import FieldError
from screening.services import accounts, clinic, credentials, kiosks
from screening.web import auth, clinic_details, kiosk
from screening.web.audit import actor
from screening.web.forms import (
    CodeForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetForm,
    show_field_error,
)

bp = Blueprint("account", __name__, url_prefix="/clinician")


SIGN_IN_FAILED = "The email address or password is not right"

CODE_NOT_RIGHT = "That code is not right; check the time on your phone and try the newest code"


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
    return redirect(url_for("account.account"), 303)


def me() -> dict:
    return clinic.clinician(get_db(), clinician_id=current_user.id)


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
    return redirect(url_for("account.account"), 303)


def signed_in_to(next_path: str | None):
    """Where a finished sign-in goes: choosing one's own password first when it is owed, then the same-site `next`
    the sign-in began with (auth.safe_next), else the queue."""
    if current_user.must_change_password:
        return redirect(url_for("account.choose_password", next=next_path), 303)
    return redirect(next_path or url_for("clinician.queue"), 303)


@bp.route("/login", methods=["GET", "POST"])
@auth.sign_in_limits
def login():
    """Sign a clinician in with email and password; `?next=` (a path of this site) is where they go after."""
    next_path = auth.requested_next()
    if current_user.is_authenticated:
        return redirect(next_path or url_for("clinician.queue"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        next_step = auth.sign_in_with_password(form.email.data, form.password.data)
        if next_step in ("clinician.queue", "account.choose_password"):
            return signed_in_to(next_path)
        if next_step:
            return redirect(url_for(next_step, next=next_path), 303)
        form.password.errors.append(SIGN_IN_FAILED)  # the same words for an unknown email and a wrong password
    first_admin = None
    if auth.from_this_computer():  # only the person at the server is told how to make the first admin
        first_admin = clinic.first_admin_command(get_db(), current_app.instance_path)
    return render_template("account/login.html", form=form, first_admin=first_admin)


@bp.route("/login/code", methods=["GET", "POST"])
@auth.sign_in_limits
def login_code():
    """Ask a clinician for their sign-in code, when they have a second factor."""
    clinician = auth.pending_clinician()
    next_path = auth.requested_next()
    if clinician is None or not clinician["totp_secret"]:
        return redirect(url_for("account.login", next=next_path), 303)
    form = CodeForm()
    if form.validate_on_submit():
        if auth.sign_in_with_code(clinician, form.code.data):
            return signed_in_to(next_path)
        form.code.errors.append(CODE_NOT_RIGHT)
    return render_template("account/code.html", form=form)


@bp.route("/login/set-up-code", methods=["GET", "POST"])
@auth.sign_in_limits
def set_up_code():
    """Set up a second factor: while signing in when an admin requires it, or from a signed-in session."""
    clinician = auth.clinician_setting_up_code()
    next_path = auth.requested_next()
    if clinician is None:
        return redirect(url_for("account.login", next=next_path), 303)
    if clinician["totp_secret"]:
        # Replacing a code that works would let a stolen session lock its owner out; an admin resets it instead
        # (`screening clinician reset-code`).
        flash("You already have a sign-in code set up.")
        if current_user.is_authenticated:
            return redirect(next_path or url_for("clinician.queue"), 303)
        return redirect(url_for("account.login_code", next=next_path), 303)
    form, secret = CodeForm(), auth.secret_being_set_up(clinician)
    if form.validate_on_submit():
        was_signed_in = current_user.is_authenticated  # set up from one's account page, not while signing in
        if auth.confirm_code_set_up(clinician, secret, form.code.data):
            flash("Your sign-in code is set up. You will be asked for a code each time you sign in.")
            return redirect(url_for("account.account"), 303) if was_signed_in else signed_in_to(next_path)
        form.code.errors.append(CODE_NOT_RIGHT)
    uri = credentials.totp_uri(secret, clinician["email"], clinic_details().name)  # the clinic's name, as set
    qr = credentials.totp_qr_svg(uri)
    return render_template("account/set_up_code.html", form=form, secret=secret, uri=uri, qr=qr)


@bp.post("/logout")
@login_required
def logout():
    """Sign a clinician out and end their session."""
    auth.sign_out()
    flash("You have signed out.")
    return redirect(url_for("account.login"), 303)


@bp.route("/kiosk/turn-off", methods=["GET", "POST"])
@auth.sign_in_limits
def kiosk_off():
    """On a reception tablet, let a clinician turn kiosk mode off with their email and password (signing nobody in)."""
    registration = kiosk.current()
    if registration is None:
        return redirect(url_for("account.login"), 303)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            kiosks.turn_off(get_db(), actor("kiosk"), registration["id"], form.email.data, form.password.data)
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            kiosk.turned_off()
            flash("Kiosk mode is off on this device. Sign in to use it as a clinician.")
            return kiosk.without_cookie(redirect(url_for("account.login"), 303))
    page = render_template("account/kiosk_off.html", form=form, registration=registration)
    return page, 400 if request.method == "POST" else 200


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
    page = render_template("account/account.html", profile=profile, password=password, practitioner=practitioner)
    return page, 400 if request.method == "POST" else 200


@bp.route("/account/choose-password", methods=["GET", "POST"])
@login_required
def choose_password():
    """At first sign-in with a password an admin chose: choose one's own before any other page."""
    next_path = auth.requested_next()
    if not current_user.must_change_password:
        return redirect(next_path or url_for("clinician.queue"), 303)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.choose_own_password(
                get_db(), actor(), me(), new=form.new.data, again=form.again.data, keep_session=current_user.get_id()
            )
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash("Your own password is set. Use it from now on.")
            return redirect(next_path or url_for("clinician.queue"), 303)
    return render_template("account/choose_password.html", form=form), 400 if form.errors else 200


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
            return redirect(url_for("account.login"), 303)
    return render_template("account/reset.html", form=form, target=target), 400 if form.errors else 200
