"""Post/redirect/get for forms sent with problems.

A POST that fails validation keeps what was sent on the server (the form_state table; answers are health data, so
never in the cookie) under a random reference held in the session, and redirects to the GET of the same page, which
builds the form again from those values and shows the same errors. Back and Reload then never ask to resend a form.
"""

from __future__ import annotations

import secrets

from flask import current_app, redirect, request, session, url_for
from werkzeug.datastructures import MultiDict

from screening import store
from screening.db import get_db
from screening.domain import journey
from screening.services.rules.rulebook import current_ruleset

SESSION_KEY = "form"
NOT_KEPT = frozenset({"csrf_token"})


def page_key() -> str:
    return request.path


def sent_again(form_url: str | None = None):
    """Keep this POST's values and redirect (303) to the page that shows them with their problems."""
    reference = session.get(SESSION_KEY) or secrets.token_urlsafe(16)
    pairs = [(name, value) for name, value in request.form.items(multi=True) if name not in NOT_KEPT]
    target = form_url or request.full_path.rstrip("?")
    store.save_form_state(get_db(), reference, target.split("?", 1)[0], pairs, current_app.config["DRAFT_LIFETIME"])
    session[SESSION_KEY] = reference
    return redirect(target, 303)


def kept(page: str | None = None) -> MultiDict | None:
    """The values last sent to this page with problems, if any (for the GET to show again)."""
    reference = session.get(SESSION_KEY)
    if not reference:
        return None
    pairs = store.form_state(get_db(), reference, page or page_key(), current_app.config["DRAFT_LIFETIME"])
    return None if pairs is None else MultiDict(pairs)


def forget(page: str | None = None) -> None:
    """After a form is accepted: its kept values are of no more use. Only this page's: another tab of the same
    browser (the same session) may be showing another form's problems, with what the patient typed in it."""
    reference = session.get(SESSION_KEY)
    if reference:
        store.forget_form_state(get_db(), reference, page or page_key())


def replay_form(form_class, page: str | None = None):
    """The form rebuilt from kept values (CSRF was checked on the POST), or None."""
    sent = kept(page)
    if sent is None:
        return None
    return form_class(formdata=sent, meta={"csrf": False})


def forget_pages(pages: list[str]) -> None:
    """Forget what these pages kept (a questionnaire that is over), and start the next form afresh."""
    reference = session.pop(SESSION_KEY, None)
    if reference:
        store.forget_form_state(get_db(), reference, *pages)


def step_url(step: str, **params) -> str:
    """The page of a questionnaire step: a section's, the details' or the check's."""
    if step == journey.DETAILS_STEP:
        return url_for("patient.details", **params)
    if step == journey.CHECK_STEP:
        return url_for("patient.check", **params)
    return url_for("patient.step", slug=step, **params)


def forget_questionnaire() -> None:
    """The questionnaire is over (sent, ended, or wiped from a tablet): forget what any of its pages kept, in this
    tab or another."""
    forget_pages([step_url(step) for step in journey.steps(current_ruleset().questionnaire)])
