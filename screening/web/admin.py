"""An admin's pages: clinicians, the audit trail, slots, the clinic's settings, a patient's records (erasure,
restriction, exports), a screening's rules diff and trying a case.

Each view reads its form, calls one service and answers; what a service refuses is turned into a page or a
message in one place (web/errors.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for

from screening import clock
from screening.db import get_db
from screening.domain import Questionnaire
from screening.domain.audit_words import ACTION_WORDS
from screening.domain.conditions import tree_to_json
from screening.domain.journey import ShownQuestion
from screening.errors import FieldError
from screening.services import accounts, clinic, diary, kiosks, products
from screening.services.lifecycle import erasure, exports
from screening.services.rules import catalogue
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit, auth, clinic_config
from screening.web.audit import actor
from screening.web.forms import (
    BatchForm,
    ClinicSettingsForm,
    ConfirmForm,
    EraseConfirmForm,
    ExportForm,
    InviteClinicianForm,
    NewClinicianForm,
    PatientRecordsForm,
    ProductForm,
    ProductInUseForm,
    WeekSlotsForm,
    WithdrawForm,
    WithdrawSlotsForm,
    show_field_error,
    try_form_class,
)

bp = Blueprint("admin", __name__, url_prefix="/clinician")


def config():
    return clinic_config()


def zone():
    return clock.zone(current_app.config["CLINIC_TIMEZONE"])


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


def erased_message(result, patient) -> str:
    message = (
        f"Erased {len(result.erased_submissions)} screening version(s), {result.drafts} unfinished questionnaire(s)"
        f" and {result.messages} email message(s)."
    )
    if patient.retained:
        message += f" {len(patient.retained)} screening(s) were kept: the clinic must keep them (see below)."
    return message


def planned(form: PatientRecordsForm):
    """The patient the confirmed form names; otherwise the form again, with its errors (400)."""
    patient = _plan(form) if form.validate_on_submit() else None
    if patient is None:
        abort(make_response(render_template("admin/records.html", form=form, patient=None), 400))
    return patient


def shown_questions(questionnaire: Questionnaire) -> list[ShownQuestion]:
    """Every question on one page; those with a condition carry it for the page script, and the server drops the
    answers to questions that turn out hidden, as it does for patients."""
    return [
        ShownQuestion(q, q.shown_when is not None, tree_to_json(q.shown_when.tree) if q.shown_when else None)
        for q in questionnaire.questions
    ]


def today() -> date:
    """Today in the clinic's time zone (the default screening date when trying a case)."""
    return clock.today_in(clock.zone(current_app.config["CLINIC_TIMEZONE"]))


def _date_or_error(form) -> date | None:
    if not form.screening_date.data:
        return today()
    try:
        return date.fromisoformat(form.screening_date.data)
    except ValueError:
        form.screening_date.errors = ["Enter a real date, for example 2026-03-10"]
        return None


def tried(ruleset, form):
    """The case judged under the current rules and under the draft overrides; nothing is stored."""
    screening_date = _date_or_error(form)
    if screening_date is None:
        return None
    questions = ruleset.questionnaire.questions
    raw = {q.id: form[q.id].data for q in questions if form[q.id].data not in (None, "", [])}
    result = catalogue.try_case(ruleset, raw, screening_date, form.draft_overrides.data or "")
    if result.overrides_problems:
        form.draft_overrides.errors = list(result.overrides_problems)
    return result


def _submission_or_none(reference: str):
    return catalogue.screening(get_db(), reference)


def try_form(questionnaire: Questionnaire):
    """The form, filled in from a stored screening when the page is opened with ?from=ID (that view is audited)."""
    form_class = try_form_class(questionnaire)
    reference = request.args.get("from", "") if request.method == "GET" else ""
    if not reference:
        return form_class(), None
    started_from = _submission_or_none(reference)
    if started_from is None:
        form = form_class(formdata=None)
        form.screening_date.errors = [f"No stored screening has the reference {reference[:20]!r}"]
        return form, None
    audit.record("try_case_from_submission", object_type="submission", object_id=started_from["id"])
    form = form_class(formdata=None, data={**started_from["answers"]})
    form.screening_date.data = started_from["screening_date"]
    return form, started_from


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
            return redirect(url_for("admin.clinicians"), 303)
    return clinicians_page(form, InviteClinicianForm(prefix="invite", formdata=None))


def clinicians_page(form: NewClinicianForm, invitation: InviteClinicianForm):
    """The Clinicians page with both ways to add one; 400 when an invitation came back with errors."""
    clinicians = clinic.clinicians(get_db())
    page = render_template(
        "admin/clinicians.html", form=form, invitation=invitation, clinicians=clinicians, confirm=ConfirmForm()
    )
    return page, 400 if invitation.errors else 200


@bp.post("/admin/clinicians/invite")
@auth.admin_required
def invite_clinician():
    """Let an admin add a clinician who chooses their own password from an emailed one-time link."""
    invitation = InviteClinicianForm(prefix="invite")
    if invitation.validate_on_submit():
        fields = {"email": invitation.email.data, "name": invitation.name.data, "role": invitation.role.data}
        try:
            clinic.invite_clinician(get_db(), config(), actor(), **fields)
        except FieldError as problem:
            show_field_error(invitation, problem)
        else:
            flash(f"An invitation to choose a password (valid for three days) was emailed to {fields['email']}.")
            return redirect(url_for("admin.clinicians"), 303)
    return clinicians_page(NewClinicianForm(formdata=None), invitation)


@bp.post("/admin/clinicians/<int:clinician_id>/disable")
@auth.admin_required
def disable_clinician(clinician_id: int):
    """Let an admin disable a clinician, ending their sessions at once."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        ended = clinic.disable_clinician(get_db(), actor(), target)
        flash(f"Disabled {target['name']}; {ended} active session(s) ended.")
    return redirect(url_for("admin.clinicians"), 303)


@bp.post("/admin/clinicians/<int:clinician_id>/require-code")
@auth.admin_required
def require_code(clinician_id: int):
    """Let an admin require a second factor at a clinician's next sign-in."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        required = not target["totp_required"]
        clinic.require_code(get_db(), actor(), target, required)
        flash(f"{target['name']} {'must now' if required else 'no longer needs to'} use a sign-in code.")
    return redirect(url_for("admin.clinicians"), 303)


@bp.get("/admin/audit")
@auth.admin_required
def audit_trail():
    """Show an admin the audit trail, newest first."""
    args = request.args
    tz = clock.zone(current_app.config["CLINIC_TIMEZONE"])
    rows = clinic.audit_trail(
        get_db(),
        actor_email=args.get("actor", ""),
        before=args.get("before", ""),
        tz=tz,
        **{name: args.get(name, "") for name in ("action", "object_type", "object_id", "since", "until")},
    )
    audit.record("audit_viewed", object_type="audit_event")
    actions = sorted(ACTION_WORDS.items(), key=lambda item: item[1])
    return render_template("admin/audit.html", rows=rows, args=args, tz=tz, actions=actions)


def _slots_page(form: WeekSlotsForm, bulk: WithdrawSlotsForm, week_text: str | None):
    """The slots page: the week template to publish from, and the week's grid to withdraw from."""
    tz = zone()
    week = diary.chosen_week(week_text, clock.today_in(tz))
    if form.week.data is None and not form.week.errors:
        form.week.data = week.today + timedelta(days=7 - week.today.weekday())  # next Monday
    grid = clinic.week_grid(get_db(), tz, week.start)
    failed = bool(form.errors or bulk.errors)
    page = render_template("admin/slots.html", form=form, bulk=bulk, week=week, grid=grid, tz=tz)
    return page, 400 if failed else 200


@bp.route("/admin/slots", methods=["GET", "POST"])
@auth.admin_required
def slots():
    """Let an admin publish a week of slots from a template and see the week's slots as a grid."""
    form = WeekSlotsForm()
    if form.validate_on_submit():
        try:
            published = clinic.publish_schedule(get_db(), actor(), zone(), **form.template())
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(published.describe())
            return redirect(url_for("admin.slots", week=form.week.data.isoformat()), 303)
    return _slots_page(form, WithdrawSlotsForm(formdata=None), request.args.get("week"))


@bp.post("/admin/slots/withdraw-selected")
@auth.admin_required
def withdraw_selected():
    """Let an admin withdraw the ticked slots, or a whole day, in one go; booked ones need the patients' reason."""
    bulk = WithdrawSlotsForm()
    week = bulk.week.data.isoformat() if bulk.week.data else None
    if bulk.validate_on_submit():
        try:
            if bulk.day.data:
                done = clinic.withdraw_day(
                    get_db(), current_app.config, actor(), zone(), bulk.day.data, bulk.reason.data or ""
                )
            else:
                done = clinic.withdraw_slots(
                    get_db(), current_app.config, actor(), bulk.slots.data, bulk.reason.data or ""
                )
        except FieldError as problem:
            show_field_error(bulk, problem)
        else:
            flash(done.describe())
            return redirect(url_for("admin.slots", week=week), 303)
    return _slots_page(WeekSlotsForm(formdata=None), bulk, week)


@bp.post("/admin/slots/<int:slot_id>/cancel")
@auth.admin_required
def cancel_slot(slot_id: int):
    """Let an admin withdraw a slot; a booked one goes to the confirmation page first."""
    if ConfirmForm().validate_on_submit():
        if clinic.slot_is_booked(get_db(), slot_id):
            # A booked slot is a patient's appointment: confirm and give a reason first.
            return redirect(url_for("admin.withdraw", slot_id=slot_id), 303)
        held = clinic.withdraw_slot(get_db(), current_app.config, actor(), slot_id)
        flash(f"Slot withdrawn{'; its booking was cancelled and the patient will see this' if held else ''}.")
    return redirect(url_for("admin.slots"), 303)


@bp.post("/admin/clinicians/<int:clinician_id>/reset")
@auth.admin_required
def send_reset(clinician_id: int):
    """Let an admin send a clinician a one-time password-reset link."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        accounts.send_reset_link(get_db(), config(), actor(), target)
        flash(f"A one-time link to set a new password (valid for an hour) was emailed to {target['email']}.")
    return redirect(url_for("admin.clinicians"), 303)


@bp.post("/admin/clinicians/<int:clinician_id>/enable")
@auth.admin_required
def enable(clinician_id: int):
    """Let an admin re-enable a disabled clinician."""
    if ConfirmForm().validate_on_submit():
        target = clinic.clinician(get_db(), clinician_id=clinician_id)
        accounts.enable(get_db(), actor(), target)
        flash(f"{target['name']} can sign in again.")
    return redirect(url_for("admin.clinicians"), 303)


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
                return redirect(url_for("admin.settings"), 303)
    return render_template("admin/settings.html", form=form, alerts=clinic.ALERTS), 400 if form.errors else 200


def products_page(product_form: ProductForm, batch_form: BatchForm):
    """The products and batches page with both forms; 400 when one came back with errors."""
    found = products.catalogue(get_db())
    page = render_template(
        "admin/products.html",
        product_form=product_form,
        batch_form=batch_form.offer(found["products"]),
        today=today().isoformat(),
        **found,
    )
    return page, 400 if product_form.errors or batch_form.errors else 200


@bp.route("/admin/products", methods=["GET", "POST"])
@auth.admin_required
def products_list():
    """Let an admin list the clinic's products and batches, and add a product."""
    form = ProductForm(formdata=None) if request.method == "GET" else ProductForm()
    if form.validate_on_submit():
        fields = {name: form[name].data for name in ("brand", "generic_name", "kind", "unit", "max_per_session")}
        try:
            products.add_product(get_db(), actor(), **fields)
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(f"Added {fields['brand'].strip()} to the clinic's products.")
            return redirect(url_for("admin.products_list"), 303)
    return products_page(form, BatchForm(prefix="batch", formdata=None))


@bp.post("/admin/products/batches")
@auth.admin_required
def add_batch():
    """Let an admin add a batch of a listed product."""
    form = BatchForm(prefix="batch")
    if form.validate_on_submit():
        fields = {name: form[name].data for name in ("product_id", "lot_number", "expiry_date", "received_date")}
        try:
            products.add_batch(get_db(), actor(), **fields)
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(f"Added batch {fields['lot_number'].strip()}.")
            return redirect(url_for("admin.products_list"), 303)
    return products_page(ProductForm(formdata=None), form)


@bp.post("/admin/products/<int:product_id>/in-use")
@auth.admin_required
def product_in_use(product_id: int):
    """Let an admin retire a product from the treatment form, or put a retired one back in use."""
    form = ProductInUseForm()
    if form.validate_on_submit():
        product = products.set_in_use(get_db(), actor(), product_id, form.in_use.data == "yes")
        if form.in_use.data == "yes":
            flash(f"{product['brand']} is in use again: the treatment form offers it and its batches.")
        else:
            flash(f"{product['brand']} is retired: the treatment form no longer offers it. Its records are kept.")
    return redirect(url_for("admin.products_list"), 303)


@bp.get("/admin/kiosks")
@auth.admin_required
def kiosks_list():
    """Let an admin see every reception tablet: its name, who turned it on and when, and how it ended."""
    return render_template(
        "admin/kiosks.html", registrations=kiosks.registrations(get_db()), confirm=ConfirmForm(formdata=None), tz=zone()
    )


@bp.post("/admin/kiosks/<int:kiosk_id>/revoke")
@auth.admin_required
def revoke_kiosk(kiosk_id: int):
    """Let an admin revoke a reception tablet: its kiosk cookie stops working at its next request."""
    if ConfirmForm().validate_on_submit():
        found = kiosks.revoke(get_db(), actor(), kiosk_id)
        flash(f"{found['name']} is revoked: it is no longer a reception tablet.")
    return redirect(url_for("admin.kiosks_list"), 303)


@bp.route("/admin/batches/<int:batch_id>/recall", methods=["GET", "POST"])
@auth.admin_required
def batch_recall(batch_id: int):
    """Let an admin see every patient treated from a batch and send each a kind message asking them to get in
    touch."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            sent = products.send_recall(get_db(), config(), actor(), batch_id)
        except FieldError as problem:
            flash(problem.message)
        else:
            flash(f"A message was queued to each of the {sent} patient(s) treated from this batch.")
        return redirect(url_for("admin.batch_recall", batch_id=batch_id), 303)
    found = products.recall(get_db(), batch_id)
    return render_template("admin/recall.html", recall=found, confirm=ConfirmForm(formdata=None), tz=zone())


@bp.route("/admin/slots/<int:slot_id>/withdraw", methods=["GET", "POST"])
@auth.admin_required
def withdraw(slot_id: int):
    """Withdrawing a booked slot cancels a patient's appointment: confirm it, and give the reason they will read."""
    slot, patient = clinic.slot_to_withdraw(get_db(), slot_id)
    if slot is None:
        flash("That slot is no longer published.")
        return redirect(url_for("admin.slots"), 303)
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
        return redirect(url_for("admin.slots"), 303)
    return render_template("admin/withdraw.html", form=form, slot=slot, patient=patient, tz=zone()), (
        400 if form.errors else 200
    )


@bp.route("/admin/records", methods=["GET", "POST"])
@auth.admin_required
def records():
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


@bp.post("/admin/records/erase")
@auth.admin_required
def erase():
    """Show an admin what erasing a patient takes (which screenings, emails and bookings) and what is kept and why,
    changing nothing: erasure cannot be undone, so it is done by a second POST from this page."""
    form = PatientRecordsForm()
    patient = planned(form)
    return render_template("admin/erase_confirm.html", patient=patient, tz=zone(), changed=False)


@bp.post("/admin/records/erase/confirmed")
@auth.admin_required
def erase_confirmed():
    """Erase a patient's screenings as the confirmation page showed, or say why they are kept; a plan that changed
    since it was shown is shown again (409), not carried out."""
    form = EraseConfirmForm()
    patient = planned(form)
    if form.plan.data != patient.fingerprint:
        return render_template("admin/erase_confirm.html", patient=patient, tz=zone(), changed=True), 409
    outbox = Path(current_app.instance_path) / "outbox"
    flash(erased_message(erasure.erase(get_db(), patient, audit.event("patient_erased"), outbox_dir=outbox), patient))
    if patient.retained:  # the clinic must keep these: shown below, with restriction offered instead
        return render_template("admin/records.html", form=form, patient=_plan(form)), 409
    return redirect(url_for("admin.records"), 303)


@bp.post("/admin/records/restrict")
@auth.admin_required
def restrict():
    """Let an admin restrict a screening that must be retained (UK GDPR Art. 18) instead of erasing it."""
    form = PatientRecordsForm()
    patient = planned(form)
    marked = erasure.restrict(get_db(), patient, audit.event("submission_restricted"))
    flash(f"Restricted {len(marked)} screening version(s): kept for the record, shown in no list.")
    return render_template("admin/records.html", form=form, patient=_plan(form))


@bp.get("/admin/records/export")
@auth.admin_required
def export():
    """Screenings in a date range as CSV (a download when the range is given and valid, else the form)."""
    form = ExportForm(request.args)
    if request.args and form.validate():
        since, until = form.since.data, form.until.data
        tz = clock.zone(current_app.config["CLINIC_TIMEZONE"])
        body, rows = exports.screenings_csv(get_db(), current_ruleset().questionnaire, since, until, tz)
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


@bp.get("/rules/diff/<int:submission_id>")
@auth.admin_required
def submission_diff(submission_id: int):
    """Show a clinician what changed between the rules that judged a screening and today's."""
    submission = catalogue.screening(get_db(), submission_id)
    if submission is None:
        abort(404)
    audit.record("rules_diff_viewed", object_type="submission", object_id=submission_id)
    diff = catalogue.submission_rules_diff(get_db(), submission["ruleset_version"], current_ruleset())
    return render_template("admin/rules_diff.html", submission=submission, diff=diff)


@bp.route("/rules/try", methods=["GET", "POST"])
@auth.admin_required
def try_case():
    """Let an admin try a case under the current rules and under a draft of overrides."""
    ruleset = current_ruleset()
    form, started_from = try_form(ruleset.questionnaire)
    result = tried(ruleset, form) if request.method == "POST" and form.validate_on_submit() else None
    status = 200 if not form.errors or request.method == "GET" else 400
    page = render_template(
        "admin/try_case.html",
        form=form,
        shown=shown_questions(ruleset.questionnaire),
        result=result,
        started_from=started_from,
        today=today().isoformat(),
    )
    return page, status
