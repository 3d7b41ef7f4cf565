"""People going through the product's pages with a test client, as a browser would: a patient walks the form, books
and cancels; a clinician signs in and decides. Every POST carries the CSRF token of the page it came from.

Signed-in browsers come from the `auth` fixture of tests/conftest.py (`auth.clinician()`, `auth.admin()`), which
makes the account through the store the first time (tests/factories.py) and signs in through the sign-in page here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from screening import store
from screening.domain.consent import load_consent_texts
from screening.domain.loading import load_ruleset
from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CLINICIAN_EMAIL,
    DETAILS,
    FULL_NAME,
    PASSWORD,
    RULES_DIR,
    answers_by_step,
    approve,
    batch_row,
    db_connection,
    latest_submission_id,
    make_clinician,
    product_row,
    publish_soon,
    rows,
    set_register,
    signed_consent_row,
)
from tests.factories import consult as consultation_record
from tests.pages import csrf_token, location, page_text, submission_key

DETAILS_PATH = "/your-details"
CHECK_PATH = "/check-your-answers"
RESULT_PATH = "/your-result"
SESSION_COOKIE = "__Host-session"
LOGIN_PATH = "/clinician/login"
QUEUE_PATH = "/clinician/queue"
CHOOSE_PASSWORD_PATH = "/clinician/account/choose-password"

_DAY = re.compile(r'name="day" type="radio" value="([0-9-]+)"')
_SLOT = re.compile(r'name="slot" type="radio" value="(\d+)"')

# --------------------------------------------------------------------------------------------------------------------
# The patient's form


def form_fields(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as the browser sends them: a date as three boxes, a multi choice as repeated fields."""
    fields: dict[str, Any] = {}
    for name, value in answers.items():
        if isinstance(value, date):
            fields |= {
                f"{name}-day": str(value.day),
                f"{name}-month": str(value.month),
                f"{name}-year": str(value.year),
            }
        else:
            fields[name] = value
    return fields


def start(client):
    """Open the start page and press Start now; returns the 303 response."""
    token = csrf_token(client.get("/"))
    return client.post("/start", data={"csrf_token": token})


def post_step(client, slug: str, answers: Mapping[str, Any], *, query: str = "", extra: Mapping | None = None):
    """GET a step (for its token) and POST these answers to it."""
    path = f"/questions/{slug}{query}"
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} gave {page.status_code} {page.headers.get('Location')}"
    data = {**form_fields(answers), **(extra or {}), "csrf_token": csrf_token(page)}
    return client.post(path, data=data)


def declaration(client, signature: str = FULL_NAME, *, confirm: bool = True, page=None) -> dict[str, Any]:
    """The declaration form as the check page would send it."""
    page = page if page is not None else client.get(CHECK_PATH)
    data = {"csrf_token": csrf_token(page), "submission_key": submission_key(page), "signature": signature}
    if confirm:
        data["confirm"] = "y"
    return data


def walk(
    client,
    steps: Mapping[str, Mapping[str, Any]],
    *,
    details: Mapping[str, str] = DETAILS,
    signature: str = FULL_NAME,
    stop_at: str | None = None,
    from_path: str | None = None,
    pages: list | None = None,
):
    """Walk the questionnaire through the real pages, following each 303, and return the final page.

    Starts a new screening unless `from_path` is given. Answers each step from `steps` (by slug), fills in the
    details, signs and sends; returns the GET of /your-result, or the GET of `stop_at` when that page is reached.
    Every page fetched on the way is appended to `pages` when a list is passed.
    """
    if from_path is None:
        response = start(client)
        assert response.status_code == 303, response.status_code
        path = location(response)
    else:
        path = from_path
    for _ in range(40):
        page = client.get(path)
        if pages is not None:
            pages.append(page)
        assert page.status_code == 200, f"GET {path} gave {page.status_code} {page.headers.get('Location')}"
        bare = urlsplit(path).path
        if bare in (stop_at, RESULT_PATH):
            return page
        if bare.startswith("/questions/"):
            slug = bare.removeprefix("/questions/")
            assert slug in steps, f"the walk reached {path} but has no answers for it"
            data = {**form_fields(steps[slug]), "csrf_token": csrf_token(page)}
        elif bare == DETAILS_PATH:
            data = {**details, "csrf_token": csrf_token(page)}
        elif bare == CHECK_PATH:
            data = declaration(client, signature, page=page)
        else:
            raise AssertionError(f"the walk reached an unexpected page {path}")
        response = client.post(path, data=data)
        assert response.status_code == 303, f"POST {path} gave {response.status_code}: {page_text(response)[:600]}"
        path = location(response)
    raise AssertionError("the walk did not finish in 40 pages")


def submit_through_form(app, treatment: str = "toxin", *, details: Mapping[str, str] = DETAILS, **overrides):
    """A patient fills in the real pages; returns (their browser, the new submission's id)."""
    patient = app.test_client()
    result = walk(patient, answers_by_step(treatment, **overrides), details=details, signature=details["full_name"])
    assert result.status_code == 200
    return patient, latest_submission_id(app.config["DATABASE"])


# --------------------------------------------------------------------------------------------------------------------
# Booking from the patient's page: the days offered, the times on a day, choose and confirm


def offered_days(patient) -> list[str]:
    return _DAY.findall(patient.get(RESULT_PATH).get_data(as_text=True))


def offered_times(patient, day: str) -> list[int]:
    page = patient.get(f"/your-result/times?day={day}")
    assert page.status_code == 200, page.status_code
    return [int(found) for found in _SLOT.findall(page.get_data(as_text=True))]


def offered(patient) -> list[int]:
    """Every time offered, day by day (the page offers days, then the times of the day chosen)."""
    return [slot for day in offered_days(patient) for slot in offered_times(patient, day)]


def book(patient, slot_id: int):
    """Choose a slot, open the confirmation page, confirm; returns the confirming POST's response."""
    confirm = patient.get(f"/your-result/book?slot={slot_id}")
    assert confirm.status_code == 200, confirm.status_code
    return patient.post("/your-result/book", data={"slot": str(slot_id), "csrf_token": csrf_token(confirm)})


def book_by_day(patient, day: str, index: int = 0):
    """Choose a day, a time on it, open the confirmation and confirm; returns the confirming POST's response."""
    slot = offered_times(patient, day)[index]
    confirm = patient.get(f"/your-result/book?day={day}&slot={slot}")
    assert confirm.status_code == 200, confirm.status_code
    return patient.post("/your-result/book", data={"slot": str(slot), "csrf_token": csrf_token(confirm)})


def booked_patient(
    app,
    db_path,
    *,
    now: datetime,
    name: str = "Mary Seacole",
    email: str = "mary@example.org",
    treatment="toxin",
    slot: int | None = None,
    **answers,
):
    """A patient who screened through the real form and booked a slot (a new one a few hours after `now`, the test's
    `clock.now()`, unless `slot` is given); returns (browser, submission id, slot id)."""
    taken = rows(db_path, "SELECT count(*) AS n FROM slot")[0]["n"]
    slot = slot or publish_soon(db_path, 1, now=now, hours_ahead=2 + taken)[0]
    patient, submission_id = submit_through_form(
        app, treatment, details={**DETAILS, "full_name": name, "email": email}, **answers
    )
    if (
        rows(db_path, "SELECT review_state FROM submission WHERE id = ?", [submission_id])[0]["review_state"]
        == "pending"
    ):
        approve(db_path, submission_id)
    assert book(patient, slot).status_code == 303
    return patient, submission_id, slot


def consented_patient(app, db_path, *, at: datetime, details: Mapping[str, str] = DETAILS, slot: int | None = None):
    """A patient who screened (anti-wrinkle injections) through the real form, was consulted and signed consent to
    it at `at` (the test's clock must stand there); booked into consultation `slot` first when given. Returns
    (browser, submission id)."""
    patient, submission_id = submit_through_form(app, "toxin", details=details)
    if slot is not None:
        assert book(patient, slot).status_code == 303
    with db_connection(db_path) as db:
        held = next(db.query("SELECT id FROM booking WHERE submission_id = ?", [submission_id]), None)
        consultation_id = consultation_record(db, submission_id, booking_id=held["id"] if held else None)
        signed_consent_row(db, submission_id, consultation_id, None, "toxin", store.iso(at))
    return patient, submission_id


def book_treatment(patient, slot_id: int, treatment: str = "toxin"):
    """Book a treatment time from the private page's form; returns the POST's response."""
    return patient.post(
        "/your-result/treatment", data={"treatment": treatment, "slot": str(slot_id), "csrf_token": token_of(patient)}
    )


def cancel_treatment(patient):
    """Open the treatment's cancel page and confirm it; returns the confirming POST's response."""
    confirm = patient.get("/your-result/treatment/cancel")
    assert confirm.status_code == 200, confirm.status_code
    booking = re.search(r'name="booking" value="(\d+)"', confirm.get_data(as_text=True)).group(1)
    return patient.post("/your-result/treatment/cancel", data={"booking": booking, "csrf_token": csrf_token(confirm)})


# --------------------------------------------------------------------------------------------------------------------
# Clinicians: signing in, the session, deciding


def login_page(client, **request_kwargs):
    return client.get(LOGIN_PATH, **request_kwargs)


def sign_in(client, email: str = CLINICIAN_EMAIL, password: str = PASSWORD, **request_kwargs):
    """Open the sign-in page (for its token) and send the email and password; returns the POST's response."""
    token = csrf_token(login_page(client, **request_kwargs))
    return client.post(LOGIN_PATH, data={"email": email, "password": password, "csrf_token": token}, **request_kwargs)


def signed_in(app, email: str = CLINICIAN_EMAIL, password: str = PASSWORD):
    """A new browser signed in as this clinician (asserts the sign-in went to the queue)."""
    client = app.test_client()
    response = sign_in(client, email, password)
    assert response.status_code == 303, page_text(response)[:500]
    assert location(response) == QUEUE_PATH
    return client


def choose_own_password(client, new: str, *, again: str | None = None):
    """At first sign-in with a password an admin chose: open the page that asks for one's own and send it."""
    page = client.get(CHOOSE_PASSWORD_PATH)
    data = {"new": new, "again": new if again is None else again, "csrf_token": csrf_token(page)}
    return client.post(CHOOSE_PASSWORD_PATH, data=data)


def first_sign_in(app, email: str, given: str, own: str):
    """A new browser signed in to an account made by the CLI or the admin page, which chooses its own password
    `own` in place of the `given` one at this first sign-in (asserts it then reaches the queue)."""
    client = app.test_client()
    response = sign_in(client, email, given)
    assert response.status_code == 303 and location(response) == CHOOSE_PASSWORD_PATH, page_text(response)[:300]
    chosen = choose_own_password(client, own)
    assert chosen.status_code == 303 and location(chosen) == QUEUE_PATH, page_text(chosen)[:500]
    return client


def token_of(client) -> str:
    """A CSRF token of this browser's session, from a page it may see (the queue, else the sign-in page)."""
    page = client.get(QUEUE_PATH)
    if page.status_code != 200:
        page = login_page(client)
    return csrf_token(page)


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return None if cookie is None else cookie.value


def browser_with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, value)
    return other


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and urlsplit(response.headers["Location"]).path == (
        LOGIN_PATH
    )


def decide(client, submission_id: int, **fields: Any):
    """Open the submission (for the token) and POST this decision."""
    page = client.get(f"/clinician/submissions/{submission_id}")
    assert page.status_code == 200, page.status_code
    return client.post(
        f"/clinician/submissions/{submission_id}/decision", data={**fields, "csrf_token": csrf_token(page)}
    )


class Auth:
    """Signed-in browsers for one app (the `auth` fixture): each call makes the account through the store the first
    time (tests/factories.py make_clinician, as `screening clinician add` stores one) and returns a new test client
    signed in through the sign-in page."""

    def __init__(self, app):
        self.app = app
        self.database = Path(app.config["DATABASE"])

    def account(
        self,
        email: str = CLINICIAN_EMAIL,
        *,
        password: str = PASSWORD,
        name: str | None = None,
        role: str = "clinician",
        register: str | None = None,
        number: str | None = None,
    ) -> int:
        """The clinician's id, the account made first if there is none with this email."""
        found = rows(self.database, "SELECT id FROM clinician WHERE email = ?", [email])
        if found:
            return found[0]["id"]
        clinician_id = make_clinician(self.database, email, password=password, name=name, role=role)
        if register is not None:
            set_register(self.database, clinician_id, register, number or "")
        return clinician_id

    def clinician(self, email: str = CLINICIAN_EMAIL, *, password: str = PASSWORD, name: str | None = None):
        """A browser signed in as a clinician (Ada unless told otherwise), who is not an admin."""
        self.account(email, password=password, name=name)
        return signed_in(self.app, email, password)

    def registered_clinician(
        self, email: str = CLINICIAN_EMAIL, *, name: str = "Ada", register: str = "NMC", number: str = "12A3456E"
    ):
        """A browser signed in as a clinician with a professional register and number on their profile."""
        self.account(email, name=name, register=register, number=number)
        return signed_in(self.app, email, PASSWORD)

    def admin(self, email: str = ADMIN_EMAIL, *, password: str = ADMIN_PASSWORD, name: str = "Grace"):
        """A browser signed in as an admin (Grace unless told otherwise)."""
        self.account(email, password=password, name=name, role="admin")
        return signed_in(self.app, email, password)


# --------------------------------------------------------------------------------------------------------------------
# Consent: the consultation it follows, taking it


CONSULTED = {
    "attendance": "attended",
    "id_document": "passport",
    "id_date_of_birth": "22/07/1990",
    "answers": "confirmed",
    "consulted": "y",
    "note": "",
}
TOXIN_CONSENT_SHA = load_consent_texts(RULES_DIR / "consent", set(load_ruleset(RULES_DIR).sources))["toxin"].sha256


def consult(client, submission_id: int):
    """Record, as this signed-in clinician, that the patient attended and was consulted face to face."""
    path = f"/clinician/submissions/{submission_id}/consultation"
    page = client.get(path)
    assert client.post(path, data={**CONSULTED, "csrf_token": csrf_token(page)}).status_code == 303


def take_consent(client, submission_id: int, treatment: str = "toxin", **fields):
    """Take consent to the treatment as this signed-in clinician, from the consent page (fields as the form names
    them, without the treatment's prefix)."""
    page = client.get(f"/clinician/submissions/{submission_id}/consent")
    assert page.status_code == 200
    data = {
        "treatment": treatment,
        "text_sha256": TOXIN_CONSENT_SHA,
        "discussed": "Every section of the text, the risks above all",
        "patient_questions": "How long does bruising last?",
        "reasons": "Frown lines make her look cross",
        "hopes": "A softer frown, not a frozen face",
        "photos_record": "y",
        **fields,
    }
    form = {f"{treatment}-{key}": value for key, value in data.items()} | {f"{treatment}-csrf_token": csrf_token(page)}
    return client.post(f"/clinician/submissions/{submission_id}/consent/{treatment}", data=form)


def record_treatment(client, db_path, submission_id: int, treatment: str = "toxin", **fields):
    """Record, as this signed-in practitioner, the treatment given, with a product and batch of the clinic's (added
    the first time: no maximum per session, expiring in 2027) and one area's amount; returns the POST's response."""
    brand = f"Test {treatment}"
    with db_connection(db_path) as db:
        found = next(
            db.query(
                "SELECT product.id AS product, batch.id AS batch FROM product"
                " JOIN batch ON batch.product_id = product.id WHERE product.brand = ?",
                [brand],
            ),
            None,
        )
        if found is None:
            toxin = treatment == "toxin"
            product = product_row(
                db,
                brand,
                kind=treatment,
                unit="units" if toxin else "ml",
                max_per_session=None,
                generic_name="botulinum toxin type A" if toxin else "hyaluronic acid",
            )
            found = {"product": product, "batch": batch_row(db, product, f"{treatment.upper()}-1")}
    data = {
        "treatment": treatment,
        "product_id": str(found["product"]),
        "batch_id": str(found["batch"]),
        "area_1": "Treated area",
        "amount_1": "1",
        "csrf_token": token_of(client),
    }
    return client.post(f"/clinician/submissions/{submission_id}/treatment", data={**data, **fields})


def clinician_reports_problem(client, submission_id: int, given_id: int, what: str, started: str):
    """Record, as this signed-in clinician, a problem the patient told them of (by phone) after a treatment given;
    returns the POST's response."""
    client.get(f"/clinician/submissions/{submission_id}")
    return client.post(
        f"/clinician/submissions/{submission_id}/complications",
        data={
            "csrf_token": token_of(client),
            "report-treatment_given": str(given_id),
            "report-started": started,
            "report-what": what,
        },
    )
