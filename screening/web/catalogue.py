"""The rules catalogue (clinicians), a submission's rules diff and "try a case" (admins), under /clinician/rules."""

from __future__ import annotations

from datetime import date
from functools import cache

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from screening import clock, store
from screening.db import get_db
from screening.domain import Questionnaire
from screening.domain.conditions import tree_to_json
from screening.domain.journey import ShownQuestion
from screening.services.rules import catalogue
from screening.services.rules.rulebook import current_ruleset
from screening.web import audit, auth
from screening.web.forms import AnswerField, DateAnswerField

bp = Blueprint("catalogue", __name__, url_prefix="/clinician/rules")
DATE_MESSAGE = "Enter the date as YYYY-MM-DD, for example 2026-03-10"


def today() -> date:
    """Today in the clinic's time zone (the default screening date when trying a case)."""
    return clock.today_in(clock.zone(current_app.config["CLINIC_TIMEZONE"]))


@bp.get("/")
@login_required
def index():
    """Show clinicians every question and rule in plain words, with any override, and search them."""
    query = (request.args.get("q") or "")[:200]
    return render_template("catalogue/index.html", catalogue=catalogue.catalogue(current_ruleset(), query))


@bp.get("/diff/<int:submission_id>")
@auth.admin_required
def submission_diff(submission_id: int):
    """Show a clinician what changed between the rules that judged a screening and today's."""
    submission = store.get_submission(get_db(), submission_id)
    if submission is None:
        abort(404)
    audit.record("rules_diff_viewed", object_type="submission", object_id=submission_id)
    diff = catalogue.submission_rules_diff(get_db(), submission["ruleset_version"], current_ruleset())
    return render_template("catalogue/diff.html", submission=submission, diff=diff)


# --------------------------------------------------------------------------------------------------------------------
# Try a case: nothing is stored, and nothing is recorded as a patient's


@cache
def try_form_class(questionnaire: Questionnaire) -> type[FlaskForm]:
    attributes = {
        question.id: (DateAnswerField if question.type == "date" else AnswerField)(question.text, question=question)
        for question in questionnaire.questions
    }
    attributes["screening_date"] = StringField(
        "Screening date (YYYY-MM-DD)",
        validators=[
            Optional(),
            Regexp(r"^\d{4}-\d{2}-\d{2}$", message="Enter the date as YYYY-MM-DD, for example 2026-03-10"),
        ],
    )
    attributes["draft_overrides"] = TextAreaField(
        "Draft overrides (optional: the text of an overrides.toml to try instead of the clinic's)",
        validators=[Optional(), Length(max=20000, message="Keep the draft under 20,000 characters")],
    )
    return type("TryCaseForm", (FlaskForm,), attributes)


def shown_questions(questionnaire: Questionnaire) -> list[ShownQuestion]:
    """Every question on one page; those with a condition carry it for the page script, and the server drops the
    answers to questions that turn out hidden, as it does for patients."""
    return [
        ShownQuestion(q, q.shown_when is not None, tree_to_json(q.shown_when.tree) if q.shown_when else None)
        for q in questionnaire.questions
    ]


@bp.route("/try", methods=["GET", "POST"])
@auth.admin_required
def try_case():
    """Let an admin try a case under the current rules and under a draft of overrides."""
    ruleset = current_ruleset()
    form, started_from = try_form(ruleset.questionnaire)
    result = tried(ruleset, form) if request.method == "POST" and form.validate_on_submit() else None
    status = 200 if not form.errors or request.method == "GET" else 400
    page = render_template(
        "catalogue/try.html",
        form=form,
        shown=shown_questions(ruleset.questionnaire),
        result=result,
        started_from=started_from,
        today=today().isoformat(),
    )
    return page, status


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
    if not reference.isdigit() or len(reference) > 12:
        return None
    return store.get_submission(get_db(), int(reference))


def _date_or_error(form) -> date | None:
    if not form.screening_date.data:
        return today()
    try:
        return date.fromisoformat(form.screening_date.data)
    except ValueError:
        form.screening_date.errors = ["Enter a real date, for example 2026-03-10"]
        return None
