"""One rule for caching, in one place (web/protection.py): every response but the static files is `no-store`, because
pages, downloads, the .ics and the FHIR record hold health data or an appointment; the stylesheet may be cached."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import url_for

from screening import store
from screening.mail import links
from tests.factories import CAUTION, QUESTIONNAIRE, batch_row, consent_row, consult, db_connection, product_row
from tests.journeys import booked_patient

MORNING = datetime(2025, 6, 4, 8, 0, tzinfo=UTC)


def test_pages_redirects_and_downloads_are_never_cached_and_the_stylesheet_may_be(client, auth):
    admin = auth.admin()
    responses = {
        "the start page": client.get("/"),
        "a redirect": client.get("/clinician/queue"),
        "the health check": client.get("/healthz"),
        "an admin page": admin.get("/clinician/admin/records"),
        "a CSV export": admin.get("/clinician/admin/records/export?since=2026-01-01&until=2026-01-31"),
    }
    assert {name: r.status_code < 400 for name, r in responses.items()} == dict.fromkeys(responses, True)
    assert {name: r.headers.get("Cache-Control") for name, r in responses.items()} == dict.fromkeys(
        responses, "no-store"
    )
    with client.get("/static/screening.css") as stylesheet:
        assert stylesheet.status_code == 200
        assert stylesheet.headers.get("Cache-Control") != "no-store"


def test_the_patients_copy_and_the_fhir_bundle_are_never_cached(app, db_path, clock, auth):
    clock.at(MORNING)
    patient, submission_id, _ = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    copy = patient.get("/your-result/your-data.json")
    bundle = auth.admin().get(f"/clinician/submissions/{submission_id}/fhir.json")
    assert (copy.status_code, bundle.status_code) == (200, 200)
    assert copy.headers["Cache-Control"] == "no-store" and bundle.headers["Cache-Control"] == "no-store"


def test_every_page_and_download_of_every_route_is_never_cached(app, db_path, clock, auth):
    """Every GET route of the app, opened as its audience opens it, with a real screening, booking and links behind
    it: each answer says no-store (health data, an appointment or a link). A new route is opened here too."""
    clock.at(MORNING)
    patient, submission_id, slot = booked_patient(app, db_path, now=clock.now(), **CAUTION)
    private = re.search(r"/r/([A-Za-z0-9_-]{16,64})", patient.get("/your-result").get_data(as_text=True)).group(1)
    admin = auth.admin()
    with db_connection(db_path) as db:
        consent_id = consent_row(db, submission_id, consult(db, submission_id), signed_at=store.iso(clock.now()))
        db.execute("UPDATE consent SET pdf = ?, pdf_sha256 = 'x' WHERE id = ?", [b"%PDF-1.4", consent_id])
        batch_id = batch_row(db, product_row(db))
    values = {
        "batch_id": batch_id,
        "consent_id": consent_id,
        "submission_id": submission_id,
        "slot_id": slot,
        "clinician_id": auth.account(),
        "slug": QUESTIONNAIRE.sections[0].slug,
        "filename": "screening.css",
        "instrument_id": "invented_worry_scale",
        "given_id": 1,
        "complication_id": 1,
        "kiosk_id": 1,
        "code": "en",
    }
    tokens = {
        "patient.private_link": private,
        "patient.use_return_link": "unknown",
        "patient.open_resume_link": "unknown",
        "account.reset": "unknown",
        "patient.stop_reminders": links.stop_reminders_token(app.config["SECRET_KEY"], submission_id),  # a real one
    }
    opened = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        arguments = {name: tokens[rule.endpoint] if name == "token" else values[name] for name in rule.arguments}
        with app.test_request_context():
            path = url_for(rule.endpoint, **arguments)
        browser = patient if rule.endpoint.startswith("patient.") else admin
        response = browser.get(path)
        opened[rule.endpoint] = (response.status_code, response.headers.get("Cache-Control"))
    assert [name for name, (status, _) in opened.items() if status >= 500] == []
    assert {name: cache for name, (_, cache) in opened.items() if cache != "no-store"} == {}
    assert len(opened) > 30
    assert opened["patient.your_data_download"][0] == 200 and opened["clinician.bundle"][0] == 200
    assert opened["patient.stop_reminders"][0] == 200
