"""Check 28: property-based fuzzing of the form endpoints with Hypothesis. Whatever fields and text arrive (NUL,
markup, huge numbers of fields, unknown names, repeated keys), a form answers 200 (re-rendered), 303, 400 or 413,
never a 500, and the site stays up. Bounded (50 examples an endpoint) so the suite stays fast."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import QUESTIONNAIRE, STEP_SLUGS, db_connection, make_app
from tests.journeys import DETAILS_PATH, start
from tests.pages import csrf_token

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

ALLOWED = {200, 303, 400, 413}
QUESTION_IDS = [question.id for section in QUESTIONNAIRE.sections for question in section.questions]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)  # lone surrogates cannot be sent
names = st.one_of(st.sampled_from([*QUESTION_IDS, "full_name", "email", "phone", "password"]), text)
values = st.one_of(text, st.lists(text, max_size=4))
forms = st.dictionaries(names, values, max_size=25)
ENDPOINTS = [f"/questions/{slug}" for slug in STEP_SLUGS] + [DETAILS_PATH, "/returning", "/clinician/login"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("fuzz"), RATELIMIT_ENABLED=False)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_any_form_gets_a_page_or_a_redirect_never_a_server_error(fuzz_app, path):
    client = fuzz_app.test_client()
    start(client)
    page = client.get(path)
    token = csrf_token(page) if page.status_code == 200 else csrf_token(client.get("/returning"))

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(form=forms)
    def post(form):
        response = client.post(path, data={**form, "csrf_token": token})
        assert response.status_code in ALLOWED, (path, response.status_code)

    post()
    assert client.get("/healthz").status_code == 200
    with db_connection(fuzz_app.config["DATABASE"]) as db:
        for row in db.query("SELECT answers, contact FROM draft"):
            json.loads(row["answers"]), json.loads(row["contact"])  # what was kept is whole JSON
