"""A clinician's pages: the home page, the queue, a screening and its decision, finding a patient, the diary,
the print view, the consultation record, the FHIR download and the rules catalogue.

Each view reads its form, calls one service and answers; what a service refuses is turned into a page or a
message in one place (web/errors.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from screening import clock
from screening.db import get_db
from screening.domain.consent import ASSESSMENT_OUTCOMES
from screening.domain.consent import OPTIONS as CONSENT_OPTIONS
from screening.domain.decisions import ACTIONS
from screening.domain.instruments import InvalidInstrumentAnswers
from screening.errors import FieldError
from screening.services import aftercare, clinic, diary, kiosks, people, products
from screening.services import consent as consenting
from screening.services import consultation as consulting
from screening.services import intake as patients
from screening.services import review as reviewing
from screening.services import treatment as treating
from screening.services.consultation import ID_DOCUMENTS
from screening.services.lifecycle import fhir
from screening.services.rules import catalogue
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit, auth, clinic_config, kiosk
from screening.web.audit import actor
from screening.web.forms import (
    INSTRUMENT_FIELD,
    AssessmentForm,
    ClinicianProblemForm,
    ConsentForm,
    ConsultationForm,
    DecisionForm,
    FollowUpForm,
    KioskForm,
    QueueFilterForm,
    SearchForm,
    SignatureForm,
    TreatmentGivenForm,
    instrument_form_class,
    show_field_error,
)
from screening.web.patient import hold_draft

bp = Blueprint("clinician", __name__, url_prefix="/clinician")


@bp.context_processor
def identity_documents():
    """The identity documents a consultation record may name, for this blueprint's templates."""
    return {"id_documents": ID_DOCUMENTS}


def _who(rows: list[dict]) -> list[dict]:
    """Every list of screenings shows who (name, age today, treatments and areas, rule titles)."""
    today = clock.today_in(clock.zone(current_app.config["CLINIC_TIMEZONE"]), clock.utc_now())
    return people.enrich(get_db(), current_ruleset().questionnaire, rows, today)


def render_submission(
    found: dict,
    form: DecisionForm,
    status: int = 200,
    treatment_form=None,
    follow_up: tuple[int, FollowUpForm] | None = None,
    report_form: ClinicianProblemForm | None = None,
):
    context = reviewing.page(get_db(), current_ruleset(), actor(), found)
    tz = clock.zone(current_app.config["CLINIC_TIMEZONE"])
    today = clock.today_in(tz, clock.utc_now())
    context |= people.summary(get_db(), current_ruleset().questionnaire, today, found)
    context |= consent_context(found)
    problems = aftercare.complications(get_db(), found)
    forms = {p["id"]: FollowUpForm(prefix=f"complication-{p['id']}", formdata=None) for p in problems}
    if follow_up is not None:
        forms[follow_up[0]] = follow_up[1]  # refused: shown again with its errors
    given = aftercare.given_with_aftercare(get_db(), found)
    report_form = report_form or ClinicianProblemForm(prefix="report", formdata=None)
    report_form.treatment_given.choices = [
        (
            str(i.given["id"]),
            f"{treating.TREATMENT_WORDS[i.given['treatment']].capitalize()}, {i.given['given_at'][:10]}",
        )
        for i in given
    ]
    return render_template(
        "clinician/submission.html",
        problems=problems,
        follow_up_forms=forms,
        given_with_aftercare=given,
        report_form=report_form,
        form=form,
        tz=tz,
        treatment_form=(treatment_form or TreatmentGivenForm(formdata=None)).offer(
            **products.record_choices(get_db(), current_ruleset().questionnaire, found), fresh=treatment_form is None
        ),
        consent_states=treating.states(get_db(), config(), found),
        treatments_given=products.summary(get_db(), [found["id"]], tz),
        **context,
    ), status


def consent_context(
    found: dict, assessment_form: AssessmentForm | None = None, failed: ConsentForm | None = None
) -> dict:
    """The Consent section: its state, the assessment form when one is needed, a consent form per treatment."""
    state = consenting.state(get_db(), config(), found)
    forms = {}
    shown = list(state.treatments)
    if failed is not None and failed.treatment.data in state.texts and failed.treatment.data not in shown:
        shown.append(failed.treatment.data)  # refused: shown again with its error, whatever the state now
    for treatment in shown:
        if failed is not None and failed.treatment.data == treatment:
            forms[treatment] = failed
        else:
            forms[treatment] = ConsentForm(prefix=treatment, formdata=None)
        forms[treatment].treatment.data = treatment
        forms[treatment].text_sha256.data = state.texts[treatment].sha256
    return {
        "consent": state,
        "assessment_form": assessment_form or AssessmentForm(formdata=None),
        "consent_forms": forms,
        "practitioner": me(),
        "consent_option_names": CONSENT_OPTIONS,
    }


def zone():
    return clock.zone(current_app.config["CLINIC_TIMEZONE"])


def today():
    return clock.today_in(zone(), clock.utc_now())


def submission_context(found: dict) -> dict:
    context = reviewing.page(get_db(), current_ruleset(), actor(), found)
    context |= people.summary(get_db(), current_ruleset().questionnaire, today(), found)
    return context


def config():
    return clinic_config()


def after_consultation(found: dict, recorded):
    """Back to the screening; or, when answers changed, to check-your-answers with them pre-filled, to go through
    with the patient and send as a new version (which shows what changed)."""
    if not recorded.answers_changed:
        flash("Consultation recorded.")
        return redirect(url_for("clinician.submission", submission_id=found["id"]), 303)
    corrected = recorded.corrected_date_of_birth
    hold_draft(patients.screen_again(get_db(), config(), found, date_of_birth=corrected))
    flash(
        "Consultation recorded. "
        + ("The date of birth is corrected to the identity document's. " if corrected else "")
        + "Change the answers that changed with the patient (Change links), then "
        "send them: they are screened again as a new version, which shows what changed."
    )
    return redirect(url_for("patient.check"), 303)


def me() -> dict:
    return clinic.clinician(get_db(), clinician_id=current_user.id)


def fhir_base() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/fhir"


@bp.get("/")
@login_required
def home():
    """Send a signed-in clinician to the queue."""
    return redirect(url_for("clinician.queue"), 303)


@bp.route("/kiosk", methods=["GET", "POST"])
@login_required
def kiosk_on():
    """Let a clinician turn this device into a reception tablet: it is signed out and locked to the patient form."""
    form = KioskForm()
    if form.validate_on_submit():
        try:
            granted = kiosks.turn_on(get_db(), actor(), form.name.data)
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            auth.sign_out()  # the tablet must not stay signed in as a clinician
            return kiosk.with_cookie(redirect(url_for("patient.start"), 303), granted)
    page = render_template("clinician/kiosk_on.html", form=form)
    return page, 400 if request.method == "POST" else 200


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
    problems = aftercare.reported_problems(get_db())
    return render_template(
        "clinician/queue.html", filters=filters, waited=reviewing.waited, problems=problems, tz=zone(), **page
    )


@bp.get("/cautions")
@login_required
def cautions():
    """Show clinicians the caution-level screenings, for the practitioner's preparation."""
    rows, next_cursor = reviewing.cautions(get_db(), after=request.args.get("after", ""))
    rows = _who(rows)
    return render_template("clinician/cautions.html", rows=rows, next_cursor=next_cursor, waited=reviewing.waited)


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
            config = clinic_config()  # the clinic's own details
            decision = reviewing.decide(get_db(), config, actor(), found, **form.decision())
        except FieldError as problem:
            show_field_error(form, problem)
        else:
            flash(f"Decision recorded for screening {submission_id}: {ACTIONS[decision.action].replace('_', ' ')}.")
            return redirect(url_for("clinician.submission", submission_id=submission_id), 303)
    elif not reviewing.integrity_ok(found):
        raise reviewing.IntegrityFailure()
    return render_submission(found, form, 400)


@bp.get("/patients")
@login_required
def patients_search():
    """Let a clinician find a patient by name, email, date of birth or reference (audited)."""
    form = SearchForm(request.args)
    results, searched = [], bool(request.args)
    if searched and form.validate():
        try:
            results = people.search(
                get_db(),
                current_ruleset().questionnaire,
                today(),
                text=form.q.data or "",
                date_of_birth=form.dob.data,
                actor=actor(),
            )
        except FieldError as problem:
            show_field_error(form, problem)
    elif searched and form.dob.errors:
        form.dob.errors = ["Enter the date of birth as a real date, for example 22 7 1990"]
    return render_template("clinician/patients.html", form=form, results=results, searched=searched and not form.errors)


@bp.get("/patients/<int:submission_id>")
@login_required
def patient(submission_id: int):
    """Show a clinician one person's screenings, versions, decisions, appointments and consultations."""
    page = people.patient_page(get_db(), current_ruleset().questionnaire, today(), submission_id, actor())
    newest = page["screenings"][0] if page["screenings"] else None
    consent_states = treating.states(get_db(), config(), newest) if newest else []
    return render_template("clinician/patient.html", tz=zone(), consent_states=consent_states, **page)


@bp.get("/diary")
@login_required
def diary_page():
    """Show clinicians a week's appointments (this week: today and the six days after), in the clinic's time."""
    own = request.args.get("mine") == "1"
    week = diary.chosen_week(request.args.get("week"), today())
    days = diary.week(
        get_db(),
        current_ruleset().questionnaire,
        zone(),
        today(),
        practitioner=current_user.name if own else "",
        first=week.start,
        cooling_off_hours=clinic.details(get_db(), config()).cooling_off_hours,
    )
    return render_template("clinician/diary.html", days=days, own=own, week=week, tz=zone())


@bp.get("/submissions/<int:submission_id>/print")
@login_required
def print_view(submission_id: int):
    """Give a clinician an A4 print view of one screening, with the problems reported after treatment and a
    signature line."""
    found = reviewing.printed(get_db(), actor(), submission_id)
    return render_template(
        "clinician/print.html",
        tz=zone(),
        printing=True,
        now_text=clock.readable(clock.to_utc_iso(clock.utc_now()), zone()),
        consent=consenting.state(get_db(), config(), found),
        consent_option_names=CONSENT_OPTIONS,
        assessment_outcomes=ASSESSMENT_OUTCOMES,
        treatments_given=products.summary(get_db(), [found["id"]], zone()),
        problems=aftercare.complications(get_db(), found),
        **submission_context(found),
    )


@bp.route("/submissions/<int:submission_id>/consultation", methods=["GET", "POST"])
@login_required
def consultation(submission_id: int):
    """Let the practitioner record the face-to-face consultation: attendance, identity, answers confirmed."""
    found, form, practitioner = reviewing.submission(get_db(), submission_id), ConsultationForm(), me()
    if form.validate_on_submit():
        try:
            recorded = consulting.record(get_db(), actor(), found, practitioner, today(), zone=zone(), **form.record())
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            return after_consultation(found, recorded)
    form.explain_date_errors()
    page = render_template(
        "clinician/consultation.html",
        form=form,
        practitioner=practitioner,
        tz=zone(),
        later=consulting.later_version(get_db(), submission_id),
        **submission_context(found),
    )
    return page, 400 if request.method == "POST" else 200


def render_consent(found: dict, status: int = 200, **forms):
    page = render_template(
        "clinician/consent.html", tz=zone(), **submission_context(found), **consent_context(found, **forms)
    )
    return page, status


@bp.get("/submissions/<int:submission_id>/consent")
@login_required
def consent(submission_id: int):
    """Show the practitioner the consent of one screening: the assessment, the consent texts and forms, the state."""
    return render_consent(reviewing.submission(get_db(), submission_id))


@bp.get("/submissions/<int:submission_id>/consent/<int:consent_id>.pdf")
@login_required
def consent_pdf(submission_id: int, consent_id: int):
    """Give the clinician the signed consent's PDF, as the patient signed it (audited)."""
    found = reviewing.submission(get_db(), submission_id)
    document, name = consenting.signed_pdf(get_db(), actor(), found, consent_id)
    return current_app.response_class(
        document, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/submissions/<int:submission_id>/assessment")
@login_required
def assessment(submission_id: int):
    """Let the practitioner record the psychological-suitability assessment that consent waits for."""
    found, form = reviewing.submission(get_db(), submission_id), AssessmentForm()
    if form.validate_on_submit():
        try:
            consenting.record_assessment(
                get_db(), actor(), found, me(), outcome=form.outcome.data, note=form.note.data or ""
            )
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            flash("Suitability assessment recorded.")
            return redirect(url_for("clinician.consent", submission_id=submission_id), 303)
    return render_consent(found, 400, assessment_form=form)


@bp.route("/submissions/<int:submission_id>/instruments/<instrument_id>", methods=["GET", "POST"])
@login_required
def instrument(submission_id: int, instrument_id: str):
    """Let the practitioner record the answers to a clinic's licensed instrument, administered at the consultation;
    only its score is kept, and a score at or above the cut-off makes the suitability assessment necessary."""
    found = reviewing.submission(get_db(), submission_id)
    chosen = consenting.instruments().get(instrument_id)
    if chosen is None:
        abort(404)
    form = instrument_form_class(chosen)()
    if form.validate_on_submit():
        try:
            saved = consenting.record_instrument(get_db(), actor(), found, me(), chosen.id, form.answers())
        except FieldError as refused:
            show_field_error(form, refused if refused.field in form else FieldError(form_first(form), refused.message))
        except InvalidInstrumentAnswers as refused:
            show_field_error(form, FieldError(form_first(form), ". ".join(refused.problems)))
        else:
            flash(
                f"{chosen.title}: score {saved['score']} (cut-off {chosen.cut_off}). "
                + (
                    "At or above the cut-off: record the psychological-suitability assessment before consent."
                    if saved["positive"]
                    else "Below the cut-off."
                )
            )
            return redirect(url_for("clinician.consent", submission_id=submission_id, _anchor="consent"), 303)
    fields = [form[INSTRUMENT_FIELD.format(item.id)] for item in chosen.items]
    page = render_template("clinician/instrument.html", form=form, fields=fields, instrument=chosen, submission=found)
    return page, 400 if request.method == "POST" else 200


def form_first(form) -> str:
    """The name of a form's first answer field, where a refusal about the whole form is shown."""
    return next(field.name for field in form if field.name.startswith(INSTRUMENT_FIELD.format("")))


@bp.post("/submissions/<int:submission_id>/consent/<treatment>")
@login_required
def take_consent(submission_id: int, treatment: str):
    """Let the practitioner who will treat record the consent they took for one treatment (they are the one who
    treats: whoever the request names, the consent is the signed-in clinician's)."""
    found = reviewing.submission(get_db(), submission_id)
    form = ConsentForm(prefix=treatment[:20])
    if form.validate_on_submit():
        try:
            asked = {**form.record(), "treatment": treatment}  # the page's treatment, the signed-in practitioner
            consent_id = consenting.take(get_db(), actor(), config(), found, me(), **asked)
        except FieldError as refused:
            shown = ("discussed", "patient_questions", "reasons", "hopes")  # a hidden field's error shows on the first
            field = refused.field if refused.field in shown else "discussed"
            show_field_error(form, FieldError(field, refused.message))
        else:
            flash("Consent recorded. The patient signs it now, on this device, or later from their private page.")
            return redirect(url_for("clinician.sign_here", submission_id=submission_id, consent_id=consent_id), 303)
    form.treatment.data = treatment
    return render_consent(found, 400, failed=form)


@bp.route("/submissions/<int:submission_id>/consent/<int:consent_id>/sign", methods=["GET", "POST"])
@login_required
def sign_here(submission_id: int, consent_id: int):
    """Let the patient sign, on the clinic's device, the consent their practitioner took: typed name and a tick."""
    found = reviewing.submission(get_db(), submission_id)
    taken = consenting.consent_of(get_db(), found, consent_id)
    form = SignatureForm()
    if form.validate_on_submit():
        try:
            consenting.sign(
                get_db(),
                actor(),
                config(),
                found,
                taken,
                typed_name=form.full_name.data or "",
                understood=bool(form.understood.data),
                where="clinic_device",
                clinician=me(),
            )
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            flash("Consent signed.")
            return redirect(url_for("clinician.consent", submission_id=submission_id), 303)
    page = render_template(
        "clinician/consent_sign.html",
        form=form,
        taken=taken,
        text=consenting.state(get_db(), config(), found).texts.get(taken["treatment"]),
        tz=zone(),
        **submission_context(found),
    )
    return page, 400 if request.method == "POST" else 200


@bp.post("/submissions/<int:submission_id>/treatment")
@login_required
def treatment_given(submission_id: int):
    """Let the practitioner who took the consent record the treatment given, once the cooling-off has passed (or
    inside it, with a reason, where the clinic allows a same-day treatment)."""
    found, form = reviewing.submission(get_db(), submission_id), TreatmentGivenForm()
    if form.validate_on_submit():
        try:
            treating.record_treatment(
                get_db(),
                config(),
                actor(),
                me(),
                found,
                treatment=form.treatment.data,
                same_day=form.same_day.data,
                reason=form.reason.data or "",
                product=form.product(),
            )
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            flash("Treatment recorded.")
            return redirect(url_for("clinician.submission", submission_id=submission_id), 303)
    return render_submission(found, DecisionForm(), 400, treatment_form=form)


@bp.post("/submissions/<int:submission_id>/complications")
@login_required
def report_problem(submission_id: int):
    """Let a clinician record a problem a patient reported by phone or in person after a treatment given (audited;
    an urgent one emails the clinic's notification address, as the patient's own report does)."""
    found = reviewing.submission(get_db(), submission_id)
    form = ClinicianProblemForm(prefix="report")
    if form.validate_on_submit():
        try:
            aftercare.report(
                get_db(),
                config(),
                actor(),
                found,
                treatment_given_id=form.treatment_given.data,
                what=form.what.data,
                started=form.started.data,
                symptoms=list(form.symptoms.data or []),
                clinician=me(),
            )
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            flash("Problem recorded.")
            return redirect(url_for("clinician.submission", submission_id=submission_id, _anchor="problems"), 303)
    elif form.started.errors:
        form.started.errors = ["Enter the day it started as a date, for example 27/11/2026"]
    return render_submission(found, DecisionForm(), 400, report_form=form)


@bp.post("/submissions/<int:submission_id>/complications/<int:complication_id>")
@login_required
def follow_up(submission_id: int, complication_id: int):
    """Let a clinician record the follow-up and outcome of a problem reported after a treatment, with the product
    and batch (audited)."""
    found = reviewing.submission(get_db(), submission_id)
    form = FollowUpForm(prefix=f"complication-{complication_id}")
    if form.validate_on_submit():
        try:
            aftercare.follow_up(
                get_db(),
                actor(),
                me(),
                found,
                complication_id,
                outcome=form.outcome.data,
                product=form.product.data,
                batch=form.batch.data,
            )
        except FieldError as refused:
            show_field_error(form, refused)
        else:
            flash("Follow-up recorded.")
            return redirect(
                url_for("clinician.submission", submission_id=submission_id, _anchor=f"problem-{complication_id}"), 303
            )
    aftercare.complication_of(get_db(), found, complication_id)  # another screening's report: not found
    return render_submission(found, DecisionForm(), 400, follow_up=(complication_id, form))


@bp.get("/submissions/<int:submission_id>/complications/<int:complication_id>/yellow-card")
@login_required
def yellow_card(submission_id: int, complication_id: int):
    """Show a clinician a printable, pre-filled summary of a reported problem for the MHRA Yellow Card scheme (which
    has no interface to send it to: it is printed or copied into the MHRA's form)."""
    found = reviewing.submission(get_db(), submission_id)
    card = aftercare.yellow_card(get_db(), config(), found, complication_id, me())
    problem = aftercare.complication_of(get_db(), found, complication_id)
    return render_template("clinician/yellow_card.html", card=card, problem=problem, submission=found)


@bp.get("/submissions/<int:submission_id>/fhir.json")
@login_required
def bundle(submission_id: int):
    """Give a clinician one screening as a FHIR R4 Bundle to download."""
    found = fhir.bundle(get_db(), current_ruleset(), submission_id, fhir_base())
    if found is None:
        abort(404)
    audit.record(
        "fhir_exported",
        object_type="submission",
        object_id=submission_id,
        detail={"resources": len(found["entry"])},
    )
    return current_app.response_class(
        fhir.to_json(found),
        mimetype="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="screening-{submission_id}.fhir.json"'},
    )


@bp.get("/rules/")
@login_required
def rules():
    """Show clinicians every question and rule in plain words, with any override, and search them."""
    query = (request.args.get("q") or "")[:200]
    return render_template("clinician/rules.html", catalogue=catalogue.catalogue(current_ruleset(), query))
