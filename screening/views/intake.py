"""Patient pages: start, one step per section, contact details, check your answers, the outcome."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for

from .. import appointments, audit, auth, calendar, clinic_time, intake, mail, store
from ..app import current_ruleset
from ..db import get_db
from ..domain import InvalidAnswers, evaluate_screening
from ..forms import (
    ConfirmForm,
    ContactForm,
    DeclarationForm,
    patient_message,
    returning_form_class,
    step_form_class,
)

bp = Blueprint("intake", __name__)

TREATMENT_NAMES = {"toxin": "Anti-wrinkle injections", "filler": "Dermal filler"}


def today() -> date:
    return date.today()


def current_draft():
    token = session.get("draft")
    if not token:
        return None
    return store.get_draft(get_db(), token, current_app.config["DRAFT_LIFETIME"])


def draft_or_restart():
    draft = current_draft()
    if draft is None:
        abort(redirect(url_for("intake.start", expired=1 if session.get("draft") else None), 303))
    return draft


def guard(step: str, draft) -> None:
    """Send a patient who jumps ahead to the first step they still have to complete."""
    questionnaire = current_ruleset().questionnaire
    if not intake.may_visit(questionnaire, step, draft.answers, draft.contact, today()):
        first = intake.first_incomplete_step(questionnaire, draft.answers, draft.contact, today())
        abort(redirect(step_url(first), 303))


def step_url(step: str, **params) -> str:
    if step == intake.DETAILS_STEP:
        return url_for("intake.details", **params)
    if step == intake.CHECK_STEP:
        return url_for("intake.check", **params)
    return url_for("intake.step", slug=step, **params)


def progress(step: str) -> dict:
    order = intake.steps(current_ruleset().questionnaire)
    previous = intake.previous_step(current_ruleset().questionnaire, step)
    return {"number": order.index(step) + 1, "total": len(order), "back": step_url(previous) if previous else None}


def after_saving(step: str, draft_answers: dict, contact: dict) -> str:
    """Where a saved step leads: onward in order, or, when changing an answer, to what is still missing."""
    questionnaire = current_ruleset().questionnaire
    if request.args.get("change"):
        return step_url(intake.first_incomplete_step(questionnaire, draft_answers, contact, today()))
    return step_url(intake.next_step(questionnaire, step))


# --------------------------------------------------------------------------------------------------------------------


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/")
def start():
    return render_template("intake/start.html", expired=bool(request.args.get("expired")))


@bp.post("/start")
@auth.limiter.limit("30 per minute;300 per day")  # each start writes a draft: keep a flood from filling the disk
def begin():
    db = get_db()
    store.purge_stale_drafts(db, current_app.config["DRAFT_LIFETIME"])
    draft_token, submission_key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    store.create_draft(db, draft_token, submission_key=submission_key)
    session.clear()
    session["draft"] = draft_token
    # 128 bits, derived from the submission key so that emails can carry the link; becomes it on submission.
    session["access_token"] = mail.private_token(current_app.secret_key, submission_key)
    return redirect(step_url(current_ruleset().questionnaire.sections[0].slug), 303)


@bp.route("/questions/<slug>", methods=["GET", "POST"])
def step(slug: str):
    questionnaire = current_ruleset().questionnaire
    section = questionnaire.section(slug)
    if section is None:
        abort(404)
    draft = draft_or_restart()
    guard(slug, draft)
    form = step_form_class(section)(data={q.id: draft.answers.get(q.id) for q in section.questions})
    if request.method == "POST":
        form.validate()  # only the fields' own checks: several values for one answer, a partial date
        submitted = {q.id: form[q.id].data for q in section.questions if not form[q.id].errors}
        merged = intake.merge_step(section, draft.answers, submitted)
        checked, errors = questionnaire.check(merged, today())
        visible = set(questionnaire.visible_ids(checked.values, today()))
        for question in section.questions:
            if question.id not in visible:
                form[question.id].errors = []  # whatever was sent for a question that does not apply is ignored
        problems = [e for e in intake.step_errors(section, errors) if not form[e.question_id].errors]
        for error in problems:
            form[error.question_id].errors.append(patient_message(questionnaire.by_id[error.question_id], error))
        if not any(form[q.id].errors for q in section.questions):
            store.save_draft_answers(get_db(), draft, checked.values)
            return redirect(after_saving(slug, checked.values, draft.contact), 303)
        shown, known = intake.shown_questions(questionnaire, section, merged, today())
    else:
        shown, known = intake.shown_questions(questionnaire, section, draft.answers, today())
    return render_template(
        "intake/step.html", form=form, section=section, shown=shown, known=known, progress=progress(slug)
    )


@bp.route("/your-details", methods=["GET", "POST"])
def details():
    draft = draft_or_restart()
    guard(intake.DETAILS_STEP, draft)
    form = ContactForm(data=draft.contact)
    if form.validate_on_submit():
        contact = {"full_name": form.full_name.data, "email": form.email.data, "phone": form.phone.data or ""}
        store.save_draft_contact(get_db(), draft, contact)
        return redirect(after_saving(intake.DETAILS_STEP, draft.answers, contact), 303)
    return render_template("intake/details.html", form=form, progress=progress(intake.DETAILS_STEP))


@bp.get("/check-your-answers")
def check():
    draft = draft_or_restart()
    guard(intake.CHECK_STEP, draft)
    form = DeclarationForm(data={"submission_key": draft.submission_key})
    return render_check(draft, form)


def render_check(draft, form):
    questionnaire = current_ruleset().questionnaire
    checked, _ = questionnaire.check(draft.answers, today())
    return render_template(
        "intake/check.html",
        form=form,
        questionnaire=questionnaire,
        answers=checked.values,
        contact=draft.contact,
        progress=progress(intake.CHECK_STEP),
        question=store.clinician_question(get_db(), draft.amends) if draft.amends else None,
    )


@bp.post("/check-your-answers")
@auth.limiter.limit("10 per minute;100 per day")  # per address; generous for a clinic behind one shared address
def submit():
    ruleset, db = current_ruleset(), get_db()
    form = DeclarationForm()
    access_token = session.get("access_token")
    if not access_token:
        return redirect(url_for("intake.start", expired=1), 303)
    if already_submitted(form.submission_key.data):
        return show_result(access_token)  # a double click or a retried POST: the first submission stands
    draft = current_draft()
    if draft is None:
        # A concurrent retry may have stored it (and removed the draft) since the check above.
        if already_submitted(form.submission_key.data):
            return show_result(access_token)
        return redirect(url_for("intake.start", expired=1), 303)
    guard(intake.CHECK_STEP, draft)
    if form.validate() and not form.signed_by(draft.contact["full_name"]):
        form.signature.errors.append("Type your full name as you gave it in your details")
    if draft.kind == "amendment" and not (form.reply.data or "").strip():
        form.reply.errors = [*form.reply.errors, "Answer the clinician's question"]
    if form.errors or form.submission_key.data != draft.submission_key:
        return render_check(draft, form)
    try:
        answers = ruleset.questionnaire.normalise(draft.answers, today())
    except InvalidAnswers:  # for example a date now in the past of a new day: send them back to fix it
        return redirect(
            step_url(intake.first_incomplete_step(ruleset.questionnaire, draft.answers, draft.contact, today())), 303
        )
    evaluation = evaluate_screening(ruleset, answers)
    try:
        store.record_submission(
            db,
            submission_key=draft.submission_key,
            access_token=access_token,
            answers=answers,
            evaluation=evaluation,
            contact=draft.contact,
            attested_name=form.signature.data,
            ruleset_version=ruleset.version,
            draft_id=draft.id,
            audit_context=audit.request_context(),
            mails_for=lambda submission_id: submission_mails(draft, evaluation.outcome, submission_id),
            amends=draft.amends,
            reply=(form.reply.data or "").strip() if draft.kind == "amendment" else "",
            rescreen_of=draft.rescreen_of,
            overrides=[override.as_json() for override in ruleset.overrides],
        )
        mail.nudge(current_app._get_current_object())
    except store.DuplicateSubmission:
        pass  # a concurrent retry stored it first: the first submission stands
    except store.NotAmendable:
        # The clinic decided, or the question was answered, meanwhile: keep the page the patient had.
        session.pop("draft", None)
        flash("The clinic has already dealt with that question, so your changes were not sent.")
        return redirect(url_for("intake.result"), 303)
    return show_result(access_token)


def submission_mails(draft, outcome: str, submission_id: int) -> tuple:
    """The patient's copy of their private link; the clinic's notice when a clinician must review."""
    config = current_app.config
    link = mail.patient_link(config, current_app.secret_key, draft.submission_key)
    mails = [mail.submitted(config, draft.contact["email"], link)]
    if outcome == "review" or draft.kind == "amendment":
        mails.append(mail.review_needed(config, submission_id))
    return tuple(mails)


def already_submitted(submission_key: str | None) -> bool:
    return bool(submission_key) and store.submission_id_for_key(get_db(), submission_key) is not None


def show_result(access_token: str):
    session.pop("draft", None)
    session["result"] = access_token
    return redirect(url_for("intake.result"), 303)


def current_submission() -> dict:
    """The screening this browser holds the private link for; 404 otherwise (the same page as any unknown one)."""
    token = session.get("result")
    submission = store.submission_for_token(get_db(), token) if token else None
    if submission is None:
        abort(404)
    return submission


def own_link(submission: dict) -> str:
    return mail.patient_link(current_app.config, current_app.secret_key, submission["submission_key"])


def clinic_zone():
    return clinic_time.zone(current_app.config["CLINIC_TIMEZONE"])


def booking_status(submission: dict):
    today = store.utc_now().astimezone(clinic_zone()).date()  # one clock for the whole app (tests move it)
    return appointments.status_of(
        get_db(), submission, today=today, valid_days=current_app.config["SCREENING_VALID_DAYS"]
    )


@bp.get("/your-result")
def result():
    submission = current_submission()
    status = booking_status(submission)
    tz = clinic_zone()
    slots = []
    if status.window and not status.booking:
        now = clinic_time.to_utc_iso(store.utc_now())
        slots = appointments.free_slots(get_db(), status.window, tz, now_utc=now)
    return render_template(
        "intake/result.html",
        submission=submission,
        question=store.clinician_question(get_db(), submission["id"])
        if submission["review_state"] == "information_requested"
        else "",
        status=status,
        slots=slots,
        tz=tz,
        treatment_names=TREATMENT_NAMES,
        private_link=url_for("intake.private_link", token=session["result"], _external=True),
    )


def chosen_slot(submission: dict, slot_id: str | None):
    """A free slot this screening may book, or None (taken, withdrawn, outside the window, or nothing bookable)."""
    status = booking_status(submission)
    if not status.window or status.booking or not (slot_id or "").isdigit() or len(slot_id) > 18:
        return status, None
    now = clinic_time.to_utc_iso(store.utc_now())
    free = appointments.free_slots(get_db(), status.window, clinic_zone(), now_utc=now)
    return status, next((slot for slot in free if slot["id"] == int(slot_id)), None)


@bp.post("/your-result/answer")
def answer_question():
    """Start answering the clinician's question: a draft with this screening's answers, to change if need be."""
    submission = current_submission()
    if not ConfirmForm().validate_on_submit() or submission["review_state"] != "information_requested":
        flash("There is no question waiting for your answer.")
        return redirect(url_for("intake.result"), 303)
    draft_token, submission_key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    contact = {key: submission[key] for key in ("full_name", "email", "phone")}
    store.create_draft(
        get_db(), draft_token, submission_key, answers=submission["answers"], contact=contact, amends=submission["id"]
    )
    session["draft"] = draft_token
    session["access_token"] = mail.private_token(current_app.secret_key, submission_key)
    return redirect(url_for("intake.check"), 303)


@bp.get("/your-result/book")
def confirm_booking():
    submission = current_submission()
    status, slot = chosen_slot(submission, request.args.get("slot"))
    if slot is None:
        flash("Choose one of the appointments listed.")
        return redirect(url_for("intake.result"), 303)
    return render_template(
        "intake/confirm_booking.html",
        slot=slot,
        tz=clinic_zone(),
        treatments=status.bookable_treatments,
        treatment_names=TREATMENT_NAMES,
        form=ConfirmForm(),
    )


@bp.post("/your-result/book")
def book():
    submission = current_submission()
    status, slot = chosen_slot(submission, request.form.get("slot"))
    if ConfirmForm().validate_on_submit() and slot is not None:
        try:
            store.book_slot(
                get_db(),
                submission_id=submission["id"],
                slot_id=slot["id"],
                treatments=status.bookable_treatments,
                audit=audit.event("booking_created", actor_role="patient", detail={"slot": slot["id"]}),
                mails=(
                    mail.booked(
                        current_app.config,
                        submission["email"],
                        own_link(submission),
                        clinic_time.readable(slot["starts_at"], clinic_zone()),
                    ),
                ),
            )
            mail.nudge(current_app._get_current_object())
        except store.SlotTaken:
            flash("Sorry, someone booked that time a moment ago. Please choose another.")
        except store.AlreadyBooked:
            flash("You have an appointment already. Cancel it first to choose another time.")
        else:
            flash("Your appointment is booked.")
    else:
        flash("That time is no longer available. Please choose another.")
    return redirect(url_for("intake.result"), 303)


@bp.post("/your-result/cancel")
def cancel_booking():
    submission = current_submission()
    held = store.active_booking(get_db(), submission["id"])
    notice = (
        (
            mail.cancelled(
                current_app.config,
                submission["email"],
                own_link(submission),
                clinic_time.readable(held["starts_at"], clinic_zone()),
                by_clinic=False,
            ),
        )
        if held
        else ()
    )
    if ConfirmForm().validate_on_submit() and store.cancel_booking(
        get_db(), submission["id"], audit.event("booking_cancelled", actor_role="patient"), mails=notice
    ):
        mail.nudge(current_app._get_current_object())
        flash("Your appointment is cancelled. You can choose another time below.")
    return redirect(url_for("intake.result"), 303)


@bp.get("/your-result/appointment.ics")
def appointment_calendar():
    """The appointment as a calendar file: the time and place only, nothing clinical."""
    submission = current_submission()
    booking = store.active_booking(get_db(), submission["id"])
    if booking is None:
        abort(404)
    body = calendar.ics_event(
        uid=f"booking-{booking['id']}@{request.host.split(':')[0]}",
        starts_at=booking["starts_at"],
        ends_at=booking["ends_at"],
        summary=f"Consultation at {current_app.config['CLINIC_NAME']}",
        description="Your consultation. Bring photo ID. To change or cancel, use your private link.",
        stamp=clinic_time.to_utc_iso(store.utc_now()),
    )
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="appointment.ics"'},
    )


RETURN_LINK_LIFETIME = timedelta(hours=1)


@bp.route("/returning", methods=["GET", "POST"])
@auth.limiter.limit("5 per minute;20 per day", methods=["POST"])  # each request can send an email
def returning():
    """A returning patient asks for a link to start again from their last answers."""
    dob = current_ruleset().questionnaire.by_id["date_of_birth"]
    form = returning_form_class(dob)()
    if request.method == "POST" and form.validate_on_submit() and form.date_of_birth.data:
        db = get_db()
        found = store.latest_submission_for(db, form.email.data, form.date_of_birth.data)
        if found is not None:
            token = secrets.token_urlsafe(16)
            held = store.get_submission(db, found)
            link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("intake.use_return_link", token=token)
            store.create_return_link(
                db, token, found, RETURN_LINK_LIFETIME, (mail.return_link(current_app.config, held["email"], link),)
            )
            mail.nudge(current_app._get_current_object())
        audit.record("return_link_requested", actor_role="patient", detail={"matched": found is not None})
        # The same answer whether or not the details matched: nobody can learn who has been screened here.
        return render_template("intake/returning_sent.html")
    if request.method == "POST" and not form.date_of_birth.data and not form.date_of_birth.errors:
        form.date_of_birth.errors = ["Enter your date of birth"]
    date_question = intake.ShownQuestion(dob, False)
    return render_template("intake/returning.html", form=form, date_question=date_question)


@bp.get("/returning/<token>")
@auth.limiter.limit("30 per minute")
def use_return_link(token: str):
    """Spend the emailed link: a new screening pre-filled from the last one, to check and change."""
    db = get_db()
    submission_id = store.use_return_link(db, token) if len(token) <= 64 else None
    if submission_id is None:
        return render_template("intake/returning_expired.html"), 404
    held = store.get_submission(db, submission_id)
    draft_token, submission_key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    contact = {key: held[key] for key in ("full_name", "email", "phone")}
    store.create_draft(
        db, draft_token, submission_key, answers=held["answers"], contact=contact, rescreen_of=submission_id
    )
    session.clear()
    session["draft"] = draft_token
    session["access_token"] = mail.private_token(current_app.secret_key, submission_key)
    flash(
        "We have filled in your answers from last time. Please check each one and change anything that is "
        "different now."
    )
    return redirect(step_url(current_ruleset().questionnaire.sections[0].slug), 303)


@bp.get("/r/<token>")
@auth.limiter.limit("30 per minute;300 per day")  # guessing 128-bit tokens is hopeless; this keeps the audit sane
def private_link(token: str):
    """Exchange the private link for a cookie, then move to a URL without the token in it."""
    if len(token) > 64 or store.submission_for_token(get_db(), token) is None:
        audit.record("access_denied", outcome="denied", object_type="private_link", actor_role="patient")
        abort(404)
    session.clear()
    session["result"] = token
    return redirect(url_for("intake.result"), 303)
