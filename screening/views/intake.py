"""Patient pages: start, one step per section, contact details, check your answers, the outcome."""

from __future__ import annotations

import contextlib
import secrets
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from .. import audit, auth, intake, store
from ..app import current_ruleset
from ..db import get_db
from ..domain import InvalidAnswers, evaluate_screening
from ..forms import ContactForm, DeclarationForm, patient_message, step_form_class

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
def begin():
    db = get_db()
    store.purge_stale_drafts(db, current_app.config["DRAFT_LIFETIME"])
    draft_token = secrets.token_urlsafe(16)
    store.create_draft(db, draft_token, submission_key=secrets.token_urlsafe(16))
    session.clear()
    session["draft"] = draft_token
    session["access_token"] = secrets.token_urlsafe(16)  # 128 bits; becomes the private link on submission
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
    )


@bp.post("/check-your-answers")
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
    if form.errors or form.submission_key.data != draft.submission_key:
        return render_check(draft, form)
    try:
        answers = ruleset.questionnaire.normalise(draft.answers, today())
    except InvalidAnswers:  # for example a date now in the past of a new day: send them back to fix it
        return redirect(
            step_url(intake.first_incomplete_step(ruleset.questionnaire, draft.answers, draft.contact, today())), 303
        )
    evaluation = evaluate_screening(ruleset, answers)
    # A concurrent retry may have stored it first: the first submission stands.
    with contextlib.suppress(store.DuplicateSubmission):
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
        )
    return show_result(access_token)


def already_submitted(submission_key: str | None) -> bool:
    return bool(submission_key) and store.submission_id_for_key(get_db(), submission_key) is not None


def show_result(access_token: str):
    session.pop("draft", None)
    session["result"] = access_token
    return redirect(url_for("intake.result"), 303)


@bp.get("/your-result")
def result():
    token = session.get("result")
    submission = store.submission_for_token(get_db(), token) if token else None
    if submission is None:
        abort(404)
    return render_template(
        "intake/result.html",
        submission=submission,
        treatment_names=TREATMENT_NAMES,
        private_link=url_for("intake.private_link", token=token, _external=True),
    )


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
