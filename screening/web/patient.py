"""Patient pages: start, one step per section, contact details, check your answers, the outcome and booking.

Each view reads its form, calls one service (screening.services.intake) and answers; what a service refuses is
turned into a page or a message in one place (views/errors.py)."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from screening import clock, store
from screening.db import get_db
from screening.domain import journey, patient_page
from screening.domain.consent import OPTIONS as CONSENT_OPTIONS
from screening.errors import FieldError
from screening.services import aftercare, kiosks, products, recall, treatment
from screening.services import consent as consenting
from screening.services import intake as patients
from screening.services.lifecycle import patient_copy
from screening.services.rules.rulebook import current_ruleset, ruleset_for
from screening.web import audit, auth, clinic_config, clinic_details, kiosk, language, prg
from screening.web.audit import actor
from screening.web.forms import (
    BookingForm,
    ConfirmForm,
    ConsentOptionForm,
    ContactForm,
    DeclarationForm,
    ProblemForm,
    ReplyForm,
    SaveForLaterForm,
    SignatureForm,
    WithdrawConsentForm,
    patient_message,
    resume_form_class,
    returning_form_class,
    show_field_error,
    step_form_class,
)
from screening.web.prg import step_url

bp = Blueprint("patient", __name__)


def config():
    # The clinic's details from its settings page (database) over the instance settings.
    return clinic_config()


def today():
    return patients.clinic_today(config())


def patient_ruleset():
    """The rule set in the patient's language, for what the patient reads (the questions, their answers, the rules'
    messages): localized when that language is offered, the clinic's own otherwise. Judging and storing always use
    the clinic's own (current_ruleset), so the record and the clinician's pages keep the clinic's wording."""
    return ruleset_for(language.patient_language())


def current_draft() -> store.Draft | None:
    token = session.get("draft")
    return patients.draft_for(get_db(), token, config()["DRAFT_LIFETIME"])


def draft_or_restart() -> store.Draft:
    draft = current_draft()
    if draft is None and session.get("sent") and session.get("result"):
        # Back after sending: the answers were kept; say so, with the way to the result
        abort(make_response(render_template("patient/already_sent.html")))
    if draft is None:
        abort(redirect(url_for("patient.start", expired=1 if session.get("draft") else None), 303))
    return draft


def first_incomplete(draft: store.Draft) -> str:
    return journey.first_incomplete_step(current_ruleset().questionnaire, draft.answers, draft.contact, today())


def guard(step: str, draft: store.Draft) -> None:
    """Send a patient who jumps ahead to the first step they still have to complete."""
    if not journey.may_visit(current_ruleset().questionnaire, step, draft.answers, draft.contact, today()):
        abort(redirect(step_url(first_incomplete(draft)), 303))


def progress(step: str) -> dict:
    order = journey.steps(current_ruleset().questionnaire)
    previous = journey.previous_step(current_ruleset().questionnaire, step)
    return {"number": order.index(step) + 1, "total": len(order), "back": step_url(previous) if previous else None}


def after_saving(step: str, draft: store.Draft, answers: dict, contact: dict) -> str:
    """Where a saved step leads: onward in order, or, when changing an answer, to what is still missing."""
    if request.args.get("change"):
        questionnaire = current_ruleset().questionnaire
        return step_url(journey.first_incomplete_step(questionnaire, answers, contact, today()))
    return step_url(journey.next_step(current_ruleset().questionnaire, step))


def hold_draft(new: patients.NewDraft, *, fresh: bool = False) -> None:
    """The browser keeps random references only: the draft's and the private link's tokens."""
    if fresh:
        language.keep_language_through(session.clear)
    session.pop("sent", None)
    session["draft"] = new.draft_token
    session["access_token"] = new.access_token


# --------------------------------------------------------------------------------------------------------------------


@bp.get("/healthz")
def healthz():
    """Tell a monitor (or a load balancer) that the server answers."""
    return {"status": "ok"}


@bp.get("/language/<code>")
def switch_language(code: str):
    """Put the patient's pages in another language the clinic offers, and go back to the page they were on (a
    step's answers are kept: the draft is on the server). A language not offered is not available: a 404."""
    if code not in language.offered():
        abort(404)
    session[language.SESSION_KEY] = code
    return redirect(language.safe_next(request.args.get("next")), 303)


@bp.get("/")
def start():
    """Show a patient what the screening is, before they start."""
    return render_template(
        "patient/start.html",
        expired=bool(request.args.get("expired")),
        draft_lifetime=language.span_words(config()["DRAFT_LIFETIME"]),
    )


@bp.post("/start")
@auth.limiter.limit("30 per minute;300 per day")  # each start writes a draft: keep a flood from filling the disk
def begin():
    """Start a new screening for a patient and send them to its first question."""
    hold_draft(patients.start(get_db(), config()), fresh=True)
    return redirect(step_url(current_ruleset().questionnaire.sections[0].slug), 303)


@bp.get("/resume")
def resume():
    """The first step still to complete (where a patient is sent when answers need checking again)."""
    return redirect(step_url(first_incomplete(draft_or_restart())), 303)


@bp.get("/questions/<slug>")
def step(slug: str):
    """Show a patient one step of the questions, with the answers they gave so far."""
    section, draft = step_and_draft(slug)
    form, answers = step_form(section, draft)
    shown, known = journey.shown_questions(patient_ruleset().questionnaire, section, answers, today())
    return render_template(
        "patient/step.html", form=form, section=section, shown=shown, known=known, progress=progress(slug)
    )


@bp.post("/questions/<slug>")
def save_step(slug: str):
    """Keep a patient's answers to one step, or show them what to correct."""
    section, draft = step_and_draft(slug)
    form = step_form_class(section)()
    sent = sent_answers(form, section)
    if patients.under_age({}, sent, today()):
        patients.end_under_age(get_db(), draft)  # nothing kept: the screening ends here, kindly
        session.pop("draft", None)
        prg.forget_questionnaire()
        if kiosk.active():
            kiosk.wipe()
        return redirect(url_for("patient.under_18"), 303)
    if request.form.get("later"):  # "Save and finish later": keep what is valid so far, then ask for the address
        result = patients.save_as_far_as_valid(get_db(), current_ruleset(), draft, section, sent, today())
        prg.forget()
        left_out = any(form[q.id].errors for q in section.questions) or any(
            sent.get(problem.question_id) not in (None, "", []) for problem in result.problems
        )  # something typed on this step that was not kept (an unanswered question is simply still to answer)
        return redirect(url_for("patient.save_for_later", left_out=1 if left_out else None), 303)
    result = patients.save_step(get_db(), current_ruleset(), draft, section, sent, today())
    if not result.saved:
        return prg.sent_again()  # post/redirect/get: the GET shows the problems
    prg.forget()
    return redirect(after_saving(slug, draft, result.answers, draft.contact), 303)


def step_and_draft(slug: str):
    """The step's section and the patient's draft; 404 for no such step, the first incomplete step if skipping."""
    section = patient_ruleset().questionnaire.section(slug) or abort(404)
    draft = draft_or_restart()
    guard(slug, draft)
    return section, draft


def sent_answers(form, section) -> dict:
    """What was sent for each question; the fields' own checks first (several values for one answer, a partial
    date): an answer that fails them counts as not given."""
    form.validate()
    return {q.id: form[q.id].data for q in section.questions if not form[q.id].errors}


def step_form(section, draft: store.Draft):
    """The step's form and the answers it shows: what was sent with problems, checked again exactly as on the POST
    (post/redirect/get), or the draft's answers."""
    form = prg.replay_form(step_form_class(section))
    if form is None:
        return step_form_class(section)(data={q.id: draft.answers.get(q.id) for q in section.questions}), draft.answers
    result = patients.check_step(current_ruleset(), draft, section, sent_answers(form, section), today())
    show_problems(form, section, result)
    return form, result.answers


def show_problems(form, section, result: patients.StepResult) -> None:
    """Put the domain's problems on the form; what was sent for a question this step hides is ignored."""
    questionnaire = patient_ruleset().questionnaire
    visible = set(questionnaire.visible_ids(questionnaire.check(result.answers, today())[0].values, today()))
    for question in section.questions:
        if question.id not in visible:
            form[question.id].errors = []
    for problem in result.problems:
        if not form[problem.question_id].errors:
            question = questionnaire.by_id[problem.question_id]
            form[problem.question_id].errors.append(patient_message(question, problem, form[question.id].data))


@bp.route("/your-details", methods=["GET", "POST"])
def details():
    """Ask the patient for their name, email and phone."""
    draft = draft_or_restart()
    guard(journey.DETAILS_STEP, draft)
    if request.method == "POST":
        form = ContactForm()
        if form.validate_on_submit():
            contact = patients.save_details(get_db(), draft, form.full_name.data, form.email.data, form.phone.data)
            prg.forget()
            return redirect(after_saving(journey.DETAILS_STEP, draft, draft.answers, contact), 303)
        return prg.sent_again()
    form = prg.replay_form(ContactForm)
    if form is not None:
        form.validate()
    else:
        form = ContactForm(data=draft.contact)
    return render_template("patient/details.html", form=form, progress=progress(journey.DETAILS_STEP))


@bp.get("/check-your-answers")
def check():
    """Show the patient all their answers, with Change links, and the declaration."""
    draft = draft_or_restart()
    guard(journey.CHECK_STEP, draft)
    form = prg.replay_form(DeclarationForm)
    if form is not None:
        form.declaration_ok(draft)
    return render_check(draft, form or DeclarationForm(data={"submission_key": draft.submission_key}))


def render_check(draft: store.Draft, form: DeclarationForm):
    questionnaire = patient_ruleset().questionnaire
    return render_template(
        "patient/check.html",
        form=form,
        questionnaire=questionnaire,
        answers=questionnaire.check(draft.answers, today())[0].values,
        contact=draft.contact,
        progress=progress(journey.CHECK_STEP),
        question=patients.clinician_question(get_db(), draft.amends) if draft.amends else None,
    )


@bp.post("/check-your-answers")
@auth.limiter.limit("10 per minute;100 per day")  # per address; generous for a clinic behind one shared address
def submit():
    """Send the patient's screening: judge it, store it once, and show the result."""
    form, access_token = DeclarationForm(), session.get("access_token")
    draft = draft_to_submit(form, access_token)
    guard(journey.CHECK_STEP, draft)
    if form.trapped():  # answered as if received, so a bot learns nothing; nothing of it is kept
        patients.drop_trapped(get_db(), actor("patient"), draft)
        prg.forget_questionnaire()
        session.pop("draft", None)
        if kiosk.active():
            return kiosk.hand_back()
        return render_template("patient/received.html")
    if not form.declaration_ok(draft):
        return prg.sent_again()
    prg.forget_questionnaire()
    patients.submit(
        get_db(),
        config(),
        actor("patient"),
        current_ruleset(),
        draft,
        access_token=access_token,
        signature=form.signature.data,
        reply=form.reply.data or "",
        today=today(),
        language=language.patient_language(),
    )
    return show_result(access_token)


def draft_to_submit(form: DeclarationForm, access_token: str | None) -> store.Draft:
    """The draft this declaration sends. Sent already (a double click, a retried POST, or a concurrent retry that
    removed the draft): straight to the result, the first submission stands. Expired: back to the start."""
    if access_token and already_submitted(form.submission_key.data):
        abort(show_result(access_token))
    draft = current_draft() if access_token else None
    if draft is None:
        if access_token and already_submitted(form.submission_key.data):  # stored by a retry since the check above
            abort(show_result(access_token))
        abort(redirect(url_for("patient.start", expired=1), 303))
    return draft


def already_submitted(submission_key: str | None) -> bool:
    return patients.already_sent(get_db(), submission_key)


def show_result(access_token: str):
    if kiosk.active():  # a reception tablet never shows the result: the private link goes by email only
        return kiosk.hand_back()
    session.pop("draft", None)
    session["result"] = access_token
    session["sent"] = True  # Back to the questions now says the answers were sent, with the way to the result
    return redirect(url_for("patient.result"), 303)


def current_submission() -> dict:
    """The screening this browser holds the private link for; otherwise a 404 that says the emailed link opens the
    page and offers to send it again (the same page for every browser without the link: it names nobody)."""
    token = session.get("result")
    submission = patients.submission_for_token(get_db(), token)
    if submission is None:
        raise patients.NoPrivateLink()
    return submission


@bp.get("/your-result")
def result():
    """Show the patient their private page: the outcome per treatment, every reason, and what to do next."""
    submission = current_submission()
    status = patients.booking_status(get_db(), config(), submission)
    asked = submission["review_state"] == "information_requested"
    states = patients.treatment_states(
        get_db(), submission, status, english=current_ruleset(), localized=patient_ruleset()
    )
    slots = patients.free_slots(get_db(), config(), status)
    return render_template(
        "patient/result.html",
        submission=submission,
        question=patients.clinician_question(get_db(), submission["id"]) if asked else "",
        status=status,
        states=states,
        headline=patient_page.headline(states),
        days=patients.days_with_free_times(config(), slots),
        problem=request.args.get("problem"),
        clinic=clinic_details(),
        tz=patients.clinic_zone(config()),
        today=today(),
        private_link=private_link_for(session["result"]),
        **patient_consent(submission),
        treatment_offers=treatment.offers(get_db(), config(), submission),
        treatments_given=products.summary(get_db(), [submission["id"]], patients.clinic_zone(config())),
        treatment_words=treatment.TREATMENT_WORDS,
        aftercare=aftercare.given_with_aftercare(get_db(), submission),
    )


def patient_consent(submission: dict, form: SignatureForm | None = None, failed_id: int | None = None) -> dict:
    """The patient's consent section: each consent's state, its text and signature form while it awaits a
    signature, and the optional consents with their Give and Withdraw buttons."""
    state = consenting.state(get_db(), config(), submission)
    forms = {  # one form per consent awaiting a signature, each with its own prefix, so no two fields share an id
        c["id"]: form if form is not None and c["id"] == failed_id else signature_form(c["id"], formdata=None)
        for c in state.awaiting_signature
    }
    return {"consent": state, "signature_forms": forms, "consent_option_names": CONSENT_OPTIONS}


def signature_form(consent_id: int, **kwargs) -> SignatureForm:
    """The signature form of one consent on the private page (its fields prefixed with the consent's id)."""
    return SignatureForm(prefix=f"consent-{consent_id}", **kwargs)


@bp.get("/your-result/consent")
def consent_page():
    """Show the patient their consent: the text to sign, the optional consents, withdrawing."""
    submission = current_submission()
    return render_template(
        "patient/consent.html", submission=submission, tz=patients.clinic_zone(config()), **patient_consent(submission)
    )


@bp.get("/your-result/consent/<int:consent_id>.pdf")
def consent_pdf(consent_id: int):
    """Give the patient the consent they signed, as a PDF (audited)."""
    document, name = consenting.signed_pdf(get_db(), actor("patient"), current_submission(), consent_id)
    return current_app.response_class(
        document, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/your-result/consent/sign")
def sign_consent():
    """Let the patient sign, from their private page, a consent their practitioner took: typed name and a tick."""
    submission = current_submission()
    taken = consenting.consent_of(get_db(), submission, request.form.get("consent_id"))
    form = signature_form(taken["id"])
    if form.validate_on_submit() and form.name_ok(submission["full_name"]):
        try:
            consenting.sign(
                get_db(),
                actor("patient"),
                config(),
                submission,
                taken,
                typed_name=form.full_name.data or "",
                understood=bool(form.understood.data),
                where="private_page",
            )
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            flash(_("Your consent is signed."))
            return redirect(url_for("patient.consent_page"), 303)
    page = render_template(
        "patient/consent.html",
        submission=submission,
        tz=patients.clinic_zone(config()),
        **patient_consent(submission, form, taken["id"]),
    )
    return page, 400


@bp.post("/your-result/consent/option")
def change_consent_option():
    """Give or withdraw one optional consent (photographs, a letter to the GP) from the private page."""
    submission = current_submission()
    form = ConsentOptionForm()
    taken = consenting.consent_of(get_db(), submission, form.consent_id.data)
    if form.validate_on_submit():
        consenting.change_option(
            get_db(), actor("patient"), taken, option=form.option.data or "", given=form.given.data == "yes"
        )
        flash(_("Your choice is saved."))
    return redirect(url_for("patient.consent_page"), 303)


@bp.post("/your-result/consent/withdraw")
def withdraw_consent():
    """Withdraw consent to the treatment itself, from the private page."""
    submission = current_submission()
    form = WithdrawConsentForm()
    taken = consenting.consent_of(get_db(), submission, form.consent_id.data)
    if form.validate_on_submit():
        consenting.withdraw(get_db(), actor("patient"), taken)
        flash(_("Your consent to this treatment is withdrawn. Nothing will be done without your consent."))
    return redirect(url_for("patient.consent_page"), 303)


def given_item(submission: dict, given_id: int) -> aftercare.GivenWithAftercare:
    """A treatment given on this screening with its aftercare; a 404 for any other."""
    found = next((i for i in aftercare.given_with_aftercare(get_db(), submission) if i.given["id"] == given_id), None)
    if found is None:
        abort(404)
    return found


@bp.route("/your-result/aftercare/<int:given_id>", methods=["GET", "POST"])
def aftercare_page(given_id: int):
    """Show the patient the aftercare of one treatment given, and let them report a problem after it at any time:
    what happened, the day it started, and the urgent symptoms they have now."""
    submission = current_submission()
    item = given_item(submission, given_id)
    form = ProblemForm()
    if form.validate_on_submit():
        try:
            reported = aftercare.report(
                get_db(),
                config(),
                actor("patient"),
                submission,
                treatment_given_id=given_id,
                what=form.what.data,
                started=form.started.data,
                symptoms=list(form.symptoms.data or []),
            )
        except FieldError as refused:
            show_field_error(form, refused if refused.field in form else FieldError("what", refused.message))
        else:
            session["reported"] = {"urgent": reported.urgent, "emergency": reported.emergency}
            return redirect(url_for("patient.problem_sent"), 303)
    elif request.method == "POST" and form.started.errors:
        form.started.errors = [_("Enter the day it started as a date, for example 27/11/2026")]
    page = render_template(
        "patient/aftercare.html",
        form=form,
        item=item,
        tz=patients.clinic_zone(config()),
        clinic=clinic_details(),
        treatment_words=treatment.TREATMENT_WORDS,
    )
    return page, 400 if request.method == "POST" else 200


@bp.get("/your-result/problem-sent")
def problem_sent():
    """Thank the patient for a problem report and tell them, kindly, what to do now: call the clinic now after an
    urgent one, and 999 or A&E for breathing or vision problems (no diagnosis)."""
    current_submission()
    shown = session.pop("reported", None) or {"urgent": False, "emergency": False}
    reported = {**shown, "phone": clinic_details().phone}
    return render_template("patient/problem_sent.html", reported=reported)


def private_link_for(token: str) -> str:
    """The private link as emails give it: from PUBLIC_URL, never from the request's Host header."""
    return config()["PUBLIC_URL"].rstrip("/") + url_for("patient.private_link", token=token)


@bp.post("/your-result/answer")
def answer_question():
    """Start answering the clinician's question: a draft with this screening's answers, to change if need be."""
    submission = current_submission()
    if not ConfirmForm().validate_on_submit():
        raise patients.NoQuestion()
    hold_draft(patients.start_answering(get_db(), config(), submission))
    return redirect(url_for("patient.check"), 303)


@bp.get("/your-result/book")
def confirm_booking():
    """Show the patient the time they chose, to confirm before it is booked."""
    if not request.args.get("slot") and request.args.get("day"):
        return redirect(url_for("patient.choose_time", day=request.args["day"], problem="time") + "#time-error", 303)
    status, slot = patients.bookable_slot(
        get_db(),
        config(),
        current_submission(),
        request.args.get("slot"),
        refusal=_("Choose one of the appointments listed."),
    )
    return render_template(
        "patient/confirm_booking.html",
        slot=slot,
        tz=patients.clinic_zone(config()),
        treatments=status.bookable_treatments,
        clinic=clinic_details(),
        form=BookingForm(formdata=None),
    )


@bp.post("/your-result/book")
def book():
    """Book the chosen time for the patient, with their consent to reminders when they ticked the box."""
    submission = current_submission()
    form = BookingForm()
    if not form.validate_on_submit():
        raise patients.NothingToBook()
    patients.book(
        get_db(), config(), actor("patient"), submission, request.form.get("slot"), reminders=bool(form.reminders.data)
    )
    return redirect(url_for("patient.result"), 303)


@bp.post("/your-result/reminders/stop")
def stop_reminders_here():
    """Withdraw consent to reminders from the private page."""
    submission = current_submission()
    if ConfirmForm().validate_on_submit():
        recall.withdraw(get_db(), actor("patient"), submission)
        flash(_("You will get no more reminders from us."))
    return redirect(url_for("patient.result"), 303)


@bp.route("/reminders/stop/<token>", methods=["GET", "POST"])
@auth.limiter.limit("30 per minute")
def stop_reminders(token: str):
    """The reminder's one-click link: GET asks to confirm (nothing changes), the button's POST stops reminders."""
    submission = recall.submission_for_stop_link(get_db(), config(), token)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        recall.withdraw(get_db(), actor("patient"), submission)
        return redirect(url_for("patient.reminders_stopped"), 303)
    return render_template("patient/stop_reminders.html", form=form), 400 if request.method == "POST" else 200


@bp.get("/reminders/stopped")
def reminders_stopped():
    """Say that reminders are stopped (the same page for every link: it names nobody)."""
    return render_template("patient/reminders_stopped.html")


@bp.post("/your-result/treatment")
def book_treatment():
    """Book a treatment slot, once consent is signed and the cooling-off has passed; otherwise say when it opens."""
    submission = current_submission()
    if not ConfirmForm().validate_on_submit():
        raise treatment.TreatmentNotYet(_("Please choose a time again."))
    treatment.book_treatment(
        get_db(),
        config(),
        actor("patient"),
        submission,
        request.form.get("treatment", ""),
        request.form.get("slot"),
        language=language.patient_language(),
    )
    flash(_("Your treatment appointment is booked."))
    return redirect(url_for("patient.result"), 303)


@bp.get("/your-result/treatment/cancel")
def confirm_cancel_treatment():
    """Ask the patient once whether they are sure, before their treatment appointment is cancelled."""
    held = treatment.treatment_booking(get_db(), current_submission())
    if held is None:  # nothing to cancel (cancelled already, or never booked): the page says what is true
        return redirect(url_for("patient.result"), 303)
    return render_template(
        "patient/confirm_cancel.html",
        booking=held,
        tz=patients.clinic_zone(config()),
        clinic=clinic_details(),
        form=ConfirmForm(),
        kind="treatment",
        treatment_words=treatment.TREATMENT_WORDS,
    )


@bp.post("/your-result/treatment/cancel")
def cancel_treatment():
    """Cancel the patient's own treatment appointment (never their consultation's)."""
    submission = current_submission()
    if not ConfirmForm().validate_on_submit():
        raise treatment.NoTreatmentToCancel(_("Please try again: nothing was cancelled."))
    treatment.cancel_treatment(get_db(), config(), actor("patient"), submission, request.form.get("booking"))
    flash(_("Your treatment appointment is cancelled. You can choose another treatment time below."))
    return redirect(url_for("patient.result"), 303)


@bp.get("/your-result/treatment.ics")
def treatment_calendar():
    """The treatment appointment as a calendar file: the time and place only, nothing clinical."""
    body = treatment.treatment_calendar(get_db(), config(), current_submission())
    return current_app.response_class(
        body, mimetype="text/calendar", headers={"Content-Disposition": 'attachment; filename="treatment.ics"'}
    )


@bp.get("/your-result/cancel")
def confirm_cancel():
    """Ask the patient once whether they are sure, before their appointment is cancelled."""
    status = patients.booking_status(get_db(), config(), current_submission())
    if status.booking is None:  # nothing to cancel (cancelled already, or never booked): the page says what is true
        return redirect(url_for("patient.result"), 303)
    return render_template(
        "patient/confirm_cancel.html",
        booking=status.booking,
        tz=patients.clinic_zone(config()),
        clinic=clinic_details(),
        form=ConfirmForm(),
    )


@bp.post("/your-result/cancel")
def cancel_booking():
    """Cancel the patient's own appointment."""
    submission = current_submission()
    if ConfirmForm().validate_on_submit():
        patients.cancel_booking(get_db(), config(), actor("patient"), submission)  # the page then says so
    return redirect(url_for("patient.result"), 303)


@bp.get("/your-result/appointment.ics")
def appointment_calendar():
    """The appointment as a calendar file: the time and place only, nothing clinical."""
    body = patients.appointment_calendar(get_db(), config(), current_submission())
    return current_app.response_class(
        body, mimetype="text/calendar", headers={"Content-Disposition": 'attachment; filename="appointment.ics"'}
    )


@bp.route("/returning", methods=["GET", "POST"])
@auth.limiter.limit("5 per minute;20 per day", methods=["POST"])  # each request can send an email
def returning():
    """A returning patient asks for a link to start again from their last answers."""
    dob = patient_ruleset().questionnaire.by_id["date_of_birth"]
    form_class = returning_form_class(dob)
    if request.method == "POST":
        form = form_class()
        if form.validate_on_submit() and form.date_of_birth.data:
            prg.forget()
            patients.request_return_link(
                get_db(),
                config(),
                actor("patient"),
                email=form.email.data,
                date_of_birth=form.date_of_birth.data,
            )
            return redirect(url_for("patient.returning_sent"), 303)  # the same answer whether or not they matched
        return prg.sent_again()
    form = prg.replay_form(form_class)
    if form is not None:
        form.validate()
        if not form.date_of_birth.data and not form.date_of_birth.errors:
            form.date_of_birth.errors = [_("Enter your date of birth")]
    else:
        form = form_class()
    return render_template("patient/returning.html", form=form, date_question=journey.ShownQuestion(dob, False))


@bp.get("/returning/sent")
def returning_sent():
    """Tell a returning patient that a link is on its way, whatever address they gave."""
    return render_template("patient/returning_sent.html")


@bp.get("/returning/<token>")
@auth.limiter.limit("30 per minute")
def use_return_link(token: str):
    """Spend the emailed link: a new screening pre-filled from the last one, to check and change."""
    hold_draft(patients.use_return_link(get_db(), config(), token), fresh=True)
    flash(
        _(
            "We have filled in your answers from last time. Please check each one and change anything that is "
            "different now."
        )
    )
    return redirect(step_url(current_ruleset().questionnaire.sections[0].slug), 303)


@bp.route("/save-for-later", methods=["GET", "POST"])
@auth.limiter.limit("5 per minute;20 per day", methods=["POST"])  # each request can send an email
def save_for_later():
    """Save and finish later: ask for the address a one-time link to the saved answers goes to."""
    draft = draft_or_restart()
    if request.method == "POST":
        form = SaveForLaterForm()
        if form.validate_on_submit():
            prg.forget()
            patients.save_for_later(
                get_db(), config(), actor("patient"), draft, form.email.data, language.patient_language()
            )
            return redirect(url_for("patient.saved_for_later"), 303)  # the same answer whether or not it matched
        return prg.sent_again()
    form = prg.replay_form(SaveForLaterForm)
    if form is not None:
        form.validate()
    else:
        form = SaveForLaterForm(data={"email": draft.contact.get("email", "")})
    return render_template(
        "patient/save_for_later.html",
        form=form,
        left_out=bool(request.args.get("left_out")),
        back=step_url(first_incomplete(draft)),
        lasts=language.span_words(config()["DRAFT_LIFETIME"]),
    )


@bp.get("/save-for-later/sent")
def saved_for_later():
    """Tell the patient a link to their saved answers is on its way, whatever address they gave, and for how long."""
    return render_template("patient/saved_for_later.html", lasts=language.span_words(config()["DRAFT_LIFETIME"]))


@bp.get("/continue/<token>")
@auth.limiter.limit("30 per minute")
def open_resume_link(token: str):
    """The emailed link to a saved screening: kept in this browser's session, then a URL without the token in it.
    Opening it spends nothing (a mail scanner may fetch links); the next page asks for the date of birth."""
    patients.resume_link(get_db(), config(), token)  # a kind page at once when it no longer works
    session["resume_link"] = token
    return redirect(url_for("patient.continue_saved"), 303)


@bp.route("/continue", methods=["GET", "POST"])
@auth.limiter.limit("10 per minute", methods=["POST"])
def continue_saved():
    """Carry on with a saved screening on this device, after the date of birth given in it."""
    token = session.get("resume_link") or ""
    link = patients.resume_link(get_db(), config(), token)
    dob = current_ruleset().questionnaire.by_id["date_of_birth"] if patients.needs_date_of_birth(link) else None
    form = resume_form_class(dob)()
    if form.validate_on_submit():
        if dob and not form.date_of_birth.data:
            form.date_of_birth.errors = [_("Enter your date of birth")]  # nothing counted against the link
        else:
            try:
                new = patients.use_resume_link(
                    get_db(), config(), actor("patient"), token, form.date_of_birth.data if dob else None
                )
            except FieldError as problem:
                show_field_error(form, problem)
                if "tries_left" in problem.detail:
                    left = problem.detail["tries_left"]
                    form.date_of_birth.errors[-1] += " " + ngettext(
                        "(%(num)d try left before this link stops working)",
                        "(%(num)d tries left before this link stops working)",
                        left,
                    )
            else:
                hold_draft(new, fresh=True)
                flash(_("Your answers are back. Carry on from where you stopped."))
                return redirect(url_for("patient.resume"), 303)
    return render_template(
        "patient/continue.html", form=form, date_question=journey.ShownQuestion(dob, False) if dob else None
    ), 400 if form.errors else 200


@bp.get("/r/<token>")
@auth.limiter.limit("30 per minute;300 per day")  # guessing 128-bit tokens is hopeless; this keeps the audit sane
def private_link(token: str):
    """Exchange the private link for a cookie, then move to a URL without the token in it."""
    if not patients.private_link_opens(get_db(), actor("patient"), token):
        abort(404)
    language.keep_language_through(session.clear)
    session["result"] = token
    return redirect(url_for("patient.result"), 303)


@bp.get("/thank-you")
def hand_back():
    """On a reception tablet, after sending: thank the patient and ask for the tablet back. Nothing of theirs is on
    it: the private link to the result goes to them by email only."""
    return render_template("patient/hand_back.html")


@bp.get("/kiosk/still-here")
def still_here():
    """On a reception tablet, the patient said they are still there: the idle time starts again (web/kiosk.py notes
    every page; this touches the screening's draft, and sets no cookie); nothing else changes."""
    if kiosk.active():
        kiosks.still_here(get_db(), session.get("draft"))
    return "", 204


# --------------------------------------------------------------------------------------------------------------------
# Under 18, choosing a time by day, answering the clinic's question on a page of its own


@bp.get("/not-able-to-continue")
def under_18():
    """The screening ended at step 1: under 18 (the law). Nothing was kept; nothing to book or discuss."""
    return render_template("patient/under_18.html")


@bp.get("/your-result/times")
def choose_time():
    """The free times on the day the patient chose (the result page lists the days)."""
    submission = current_submission()
    status = patients.booking_status(get_db(), config(), submission)
    slots = patients.free_slots(get_db(), config(), status)
    if not request.args.get("day"):
        return redirect(url_for("patient.result", problem="day") + "#day-error", 303)
    day, times = patients.times_on(config(), slots, request.args.get("day"))
    return render_template(
        "patient/choose_time.html",
        day=day,
        times=times,
        problem=request.args.get("problem"),
        tz=patients.clinic_zone(config()),
        treatments=status.bookable_treatments,
    )


@bp.get("/your-result/answer")
def answer_page():
    """The clinic's question with a reply box first; changing answers is the secondary way."""
    submission = current_submission()
    if submission["review_state"] != "information_requested":
        raise patients.NoQuestion()
    form = prg.replay_form(ReplyForm)
    if form is not None:
        form.check(submission["full_name"])
    return render_template(
        "patient/answer.html",
        form=form or ReplyForm(),
        question=patients.clinician_question(get_db(), submission["id"]),
    )


@bp.post("/your-result/answer/send")
@auth.limiter.limit("10 per minute;100 per day")
def send_reply():
    """Send the patient's reply to the clinic's question."""
    submission = current_submission()
    if submission["review_state"] != "information_requested":
        raise patients.NoQuestion()
    form = ReplyForm()
    if not form.check(submission["full_name"]):
        return prg.sent_again(url_for("patient.answer_page"))
    prg.forget(url_for("patient.answer_page"))
    token = patients.reply_to_question(
        get_db(),
        config(),
        actor("patient"),
        current_ruleset(),
        submission,
        reply=form.reply.data,
        signature=form.signature.data,
        today=today(),
        language=language.patient_language(),
    )
    flash(_("Thank you. Your answer has been sent to the clinic."))
    return show_result(token)


# --------------------------------------------------------------------------------------------------------------------
# The patient's copy of their data, from their private page: a readable page and a JSON download


def _copy(form: str) -> dict:
    """Everything held about the patient whose private link this browser holds (404 for anyone else); audited."""
    submission = current_submission()
    ruleset = current_ruleset()
    data = patient_copy.build(
        get_db(),
        ruleset.questionnaire,
        ruleset.version,
        submission["id"],
        clinic=clinic_details().name,  # the clinic's settings page, else the instance's name
        now=clock.utc_now(),
        zone=patients.clinic_zone(config()),
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
def your_data():
    """Show the patient a copy of what the clinic holds about their screening (audited)."""
    return render_template("patient/your_data.html", data=_copy("html"), tz=patients.clinic_zone(config()))


@bp.get("/your-result/your-data.json")
def your_data_download():
    """Give the patient that copy as a JSON file (audited)."""
    return current_app.response_class(
        json.dumps(_copy("json"), indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="your-screening-data.json"'},
    )
