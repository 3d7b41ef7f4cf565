"""Check 26: SQL-ish text, a NUL, lone surrogates and very long text through every free-text field of the patient's
form (the four text questions, the name on the details page) and the clinician's decision note. Each gets a field
error or is stored verbatim (read back from the database), never a 500, and the database still passes
PRAGMA integrity_check.

A browser cannot send a lone surrogate as text: it is sent here as the bytes a careless client would send (U+D800 and
U+DC00 encoded as if they were characters, which is not UTF-8); werkzeug keeps such bytes as %XX text, so what is
stored is that text, never a surrogate. The decision note accepts a NUL and stores it as sent (the patient's text
answers refuse one): both are allowed by the check.

Mutations that turn these tests red (each tried): the NUL check taken out of `questionnaire._normalise`'s text branch
(the NUL case is stored instead of refused); the TEXT_MAX_LENGTH check taken out (2,001 characters stored); the
decision note stored stripped of SQL punctuation (`note.replace("'", "")` in the decision service).
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from urllib.parse import quote, urlencode

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.factories import (
    DETAILS,
    REVIEW_TOXIN,
    STEP_SLUGS,
    answers_by_step,
    db_connection,
    only_submission,
    quick_submission,
    rows,
)
from tests.journeys import CHECK_PATH, DETAILS_PATH, RESULT_PATH, form_fields, start
from tests.pages import csrf_token, field_error, location, submission_key

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

SURROGATES = "%ED%A0%80 and %ED%B0%80"  # a lone high and a lone low surrogate, as (invalid) UTF-8 bytes
# (name, the value as sent on the wire, percent-encoded; whether a patient's text answer is refused)
PAYLOADS = [
    ("or-1-equals-1", quote("' OR 1=1--"), False),
    ("drop-table", quote('"; DROP TABLE submission;--'), False),
    ("union-select", quote("x' UNION SELECT access_token FROM submission--"), False),
    ("nul", quote("before\x00after"), True),
    ("lone-surrogates", SURROGATES, False),
    ("2000-characters", quote("é" * 2000), False),
    ("2001-characters", quote("'" * 2001), True),
]
# Answers that show every text question: allergies, a neurological condition, a previous toxin with a reaction.
SHOW_EVERY_TEXT = {
    "has_allergies": "yes",
    "allergy_types": ["lidocaine"],
    "severe_allergy_history": ["none"],
    "neuro_conditions": ["multiple_sclerosis"],
    "previous_toxin": "yes",
    "last_toxin_date": date(2024, 6, 1),
    "previous_adverse_reaction": "yes",
}
TEXT_FIELDS = {
    "allergies": "allergy_details",
    "nerves-muscles-heart": "neuro_details",
    "medicines": "current_medicines",
    "previous-treatments": "previous_reaction_details",
}


def decoded(wire: str) -> str:
    """What the server reads from this percent-encoded value (werkzeug keeps bytes that are not UTF-8 as %XX)."""
    environ = EnvironBuilder(
        method="POST", data=f"v={wire}".encode("ascii"), content_type="application/x-www-form-urlencoded"
    ).get_environ()
    return Request(environ).form["v"]


def post_raw(client, path: str, fields: dict, field: str, wire: str):
    """POST a form with `field` set to the percent-encoded `wire`, exactly as given."""
    body = urlencode({k: v for k, v in fields.items() if k != field}, doseq=True) + f"&{field}={wire}"
    return client.post(path, data=body.encode("ascii"), content_type="application/x-www-form-urlencoded")


def integrity_ok(db_path) -> None:
    with db_connection(db_path) as db:
        assert [tuple(row) for row in db.execute("PRAGMA integrity_check").fetchall()] == [("ok",)]


@pytest.mark.parametrize(("wire", "refused"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS])
def test_hostile_text_in_every_patient_text_field_is_refused_or_stored_verbatim(client, db_path, wire, refused):
    text = decoded(wire)
    expected = unicodedata.normalize("NFC", text).strip()
    steps = answers_by_step("toxin", **SHOW_EVERY_TEXT)
    assert start(client).status_code == 303
    for slug in STEP_SLUGS:
        path = f"/questions/{slug}"
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        fields = {**form_fields(steps[slug]), "csrf_token": csrf_token(page)}
        if slug not in TEXT_FIELDS:
            assert client.post(path, data=fields).status_code == 303
            continue
        field = TEXT_FIELDS[slug]
        sent = post_raw(client, path, fields, field, wire)
        assert sent.status_code == 303, (field, sent.status_code)
        if refused:
            assert location(sent) == path, f"{field} accepted what it should refuse"
            assert field_error(client.get(path), field), f"no error shown for {field}"
            with db_connection(db_path) as db:
                (draft,) = list(db.query("SELECT answers FROM draft"))
            assert field not in json.loads(draft["answers"])  # nothing of it kept
            fields[field] = "Nothing else to say"
            assert client.post(path, data=fields).status_code == 303
        else:
            assert location(sent) != path, (field, field_error(client.get(path), field))

    # The name on the details page: a field error or kept as typed (spaces collapsed, as the form says).
    page = client.get(DETAILS_PATH)
    name_sent = post_raw(client, DETAILS_PATH, {**DETAILS, "csrf_token": csrf_token(page)}, "full_name", wire)
    assert name_sent.status_code == 303
    name = " ".join(text.split())
    if location(name_sent) == DETAILS_PATH:
        assert field_error(client.get(DETAILS_PATH), "full_name")
        name = DETAILS["full_name"]
        page = client.get(DETAILS_PATH)
        assert client.post(DETAILS_PATH, data={**DETAILS, "csrf_token": csrf_token(page)}).status_code == 303

    check = client.get(CHECK_PATH)
    assert check.status_code == 200
    declaration = {"csrf_token": csrf_token(check), "submission_key": submission_key(check), "confirm": "y"}
    sent = post_raw(client, CHECK_PATH, declaration, "signature", quote(name))
    assert sent.status_code == 303 and location(sent) == RESULT_PATH, field_error(client.get(CHECK_PATH), "signature")
    assert client.get(RESULT_PATH).status_code == 200

    stored = only_submission(db_path)
    for field in TEXT_FIELDS.values():
        assert stored["answers"][field] == ("Nothing else to say" if refused else expected), field
    assert rows(db_path, "SELECT full_name FROM submission") == [{"full_name": name}]
    integrity_ok(db_path)


@pytest.mark.parametrize(
    ("wire", "refused"),
    [(wire, False) for _, wire, _ in PAYLOADS[:-2]] + [(quote("'" * 4000), False), (quote("é" * 4001), True)],
    ids=[p[0] for p in PAYLOADS[:-2]] + ["4000-characters", "4001-characters"],
)
def test_hostile_text_in_the_decision_note_is_refused_or_stored_verbatim(db_path, wire, refused, auth):
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    clinician = auth.admin()
    page = clinician.get(f"/clinician/submissions/{submission_id}")
    fields = {"action": "approve", "treatments": "toxin", "csrf_token": csrf_token(page)}

    sent = post_raw(clinician, f"/clinician/submissions/{submission_id}/decision", fields, "private_note", wire)

    decisions = rows(db_path, "SELECT private_note FROM decision WHERE submission_id = ?", [submission_id])
    if refused:
        assert sent.status_code == 400
        assert field_error(sent, "private_note")
        assert decisions == []
    else:
        assert sent.status_code == 303, field_error(sent, "private_note")
        assert [row["private_note"] for row in decisions] == [decoded(wire)]
        assert clinician.get(f"/clinician/submissions/{submission_id}").status_code == 200  # shown back, no 500
    integrity_ok(db_path)
