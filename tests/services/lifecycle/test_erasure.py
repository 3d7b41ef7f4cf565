"""Erasure and restriction (check 43): a planted marker is found in no file of instance/ afterwards, the private
link answers 404, the audit keeps only "erased submission N", a retained screening is refused with its reason."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from screening import mail, store
from screening.cli import cli
from tests.factories import (
    BASELINE_DOB,
    DETAILS,
    REVIEW_TOXIN,
    answers_by_step,
    audit_rows,
    consult,
    db_connection,
    make_clinician,
    rows,
)
from tests.journeys import (
    CHECK_PATH,
    booked_patient,
    decide,
    declaration,
    signed_in,
    submit_through_form,
    token_of,
    walk,
)
from tests.pages import csrf_token, listed_ids, page_text, tree
from tests.services.lifecycle.lifecycle_helpers import amend, book_at, ids, screening

MARKER = "Qzxvmarkerwq"
PATIENT = {"full_name": f"Jane {MARKER}", "email": f"{MARKER.lower()}@example.org", "phone": "07700 900 982"}
DOB = BASELINE_DOB.isoformat()
_PRIVATE_LINK = re.compile(r"/r/([A-Za-z0-9_-]{16,64})")


def files_holding(folder: Path, text: str) -> list[str]:
    """Every file under `folder` (the database, its -wal and -shm, mail files...) whose bytes hold `text`."""
    needles = [text.encode(), text.lower().encode(), text.encode("utf-16-le")]
    return [
        str(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    ]


def marked_patient(app):
    """A patient who sends a screening through the real pages, with the marker in their name, email and a free-text
    answer, and who also leaves an unfinished questionnaire; returns (their browser, their private token)."""
    patient = app.test_client()
    steps = answers_by_step("toxin", current_medicines=f"Vitamin D and {MARKER} drops")
    result = walk(patient, steps, details=PATIENT, signature=PATIENT["full_name"])
    token = _PRIVATE_LINK.search(result.get_data(as_text=True)).group(1)
    unfinished = app.test_client()
    walk(unfinished, steps, details=PATIENT, signature=PATIENT["full_name"], stop_at="/check-your-answers")
    return patient, token


def erase(app, *extra: str, email: str = PATIENT["email"], dob: str = DOB, input: str | None = None):
    return app.test_cli_runner().invoke(cli, ["erase", "--email", email, "--date-of-birth", dob, *extra], input=input)


def test_erasure_leaves_the_marker_in_no_file_and_the_private_link_answers_404(app, db_path):
    patient, token = marked_patient(app)
    other, _ = submit_through_form(app)  # another patient, who keeps everything
    instance = Path(app.instance_path)
    with db_connection(db_path) as db:  # no mail server: the messages become instance/outbox/*.eml files
        assert mail.deliver_due(db, mail.Settings.from_config(app.config, app.instance_path))["sent"] == 2
    assert any(name.startswith("outbox/") for name in files_holding(instance, MARKER))
    # The marker is there to be found: in the database or its write-ahead log (the server keeps its connections open,
    # so a fresh write may not have been checkpointed into the main file yet).
    assert {"screening.sqlite3", "screening.sqlite3-wal"} & set(files_holding(instance, MARKER))
    submission_id = ids(db_path, "submission")[0]
    assert patient.get("/your-result").status_code == 200

    done = erase(app, "--yes")
    assert done.exit_code == 0, done.output
    assert "erased 1 submission(s), 1 draft(s), 1 message(s), 1 outbox file(s)" in done.output

    assert files_holding(instance, MARKER) == []
    assert len(list((instance / "outbox").glob("*.eml"))) == 1  # the other patient's message stays
    assert ids(db_path, "submission") == [submission_id + 1]
    assert patient.get("/your-result").status_code == 404
    assert app.test_client().get(f"/r/{token}").status_code == 404
    assert other.get("/your-result").status_code == 200
    erased = audit_rows(db_path, "submission_erased")
    assert [(row["object_type"], row["object_id"]) for row in erased] == [("submission", str(submission_id))]
    assert json.loads(erased[0]["detail"]) == {"via": "cli"}
    summary = json.loads(audit_rows(db_path, "patient_erased")[0]["detail"])
    assert summary == {"via": "cli", "submissions": 1, "drafts": 1, "messages": 1, "retained": 0}
    assert audit_rows(db_path, "submission_created")  # earlier events stay: the trail is append-only
    with db_connection(db_path) as db:
        assert store.verify_audit_chain(db).first_broken is None


def test_erasure_takes_every_version_of_a_screening(app, db_path):
    make_clinician(db_path)
    patient, submission_id = submit_through_form(app, details=PATIENT, **REVIEW_TOXIN)
    assert (
        decide(signed_in(app), submission_id, action="request_information", question="Which year?").status_code == 303
    )
    started = patient.post("/your-result/answer", data={"csrf_token": token_of(patient)})
    assert started.status_code == 303
    sent = patient.post(
        CHECK_PATH, data={**declaration(patient, PATIENT["full_name"]), "reply": f"In 2019, {MARKER} said"}
    )
    assert sent.status_code == 303
    assert len(ids(db_path, "submission")) == 2
    done = erase(app, "--yes")
    assert done.exit_code == 0, done.output
    assert f"screening {submission_id}, {submission_id + 1}" in done.output
    assert ids(db_path, "submission") == [] and ids(db_path, "decision") == []
    assert files_holding(Path(app.instance_path), MARKER) == []


def test_a_screening_that_led_to_an_appointment_is_kept_with_its_reason_and_can_be_restricted(
    app, db_path, clock, auth
):
    make_clinician(db_path)
    _, kept = submit_through_form(app, details=PATIENT, **REVIEW_TOXIN)
    _, unbooked = submit_through_form(app, details=PATIENT)
    with db_connection(db_path) as db:
        book_at(db, kept, clock.now() - timedelta(days=3))
    queue_before = listed_ids(auth.clinician().get("/clinician/queue?level=any&state=any"))
    assert kept in queue_before

    done = erase(app, "--yes")
    assert done.exit_code == 1
    assert f"screening {kept} sent" in done.output
    assert "kept: it led to an appointment on" in done.output and "8 years" in done.output
    assert ids(db_path, "submission") == [kept]
    assert unbooked not in ids(db_path, "submission")

    restricted = erase(app, "--yes", "--restrict")
    assert restricted.exit_code == 0, restricted.output
    assert "restricted 1 submission(s)" in restricted.output
    assert ids(db_path, "submission") == [kept]  # kept...
    assert kept not in listed_ids(signed_in(app).get("/clinician/queue?level=any&state=any"))  # ...but unlisted
    assert [row["object_id"] for row in audit_rows(db_path, "submission_restricted")] == [str(kept)]


def test_unknown_email_or_wrong_date_of_birth_is_named_and_changes_nothing(app, db_path):
    submit_through_form(app, details=PATIENT)
    before = (ids(db_path, "submission"), len(audit_rows(db_path)))
    unknown = erase(app, "--yes", email="nobody@example.org")
    assert unknown.exit_code == 1
    assert "no screening or unfinished questionnaire has the email nobody@example.org" in unknown.output
    wrong = erase(app, "--yes", dob="1990-07-23")
    assert wrong.exit_code == 1
    assert "none with the date of birth 1990-07-23; nothing changed" in wrong.output
    malformed = erase(app, "--yes", dob="22/07/1990")
    assert malformed.exit_code == 1 and "'22/07/1990' is not a date written YYYY-MM-DD" in malformed.output
    declined = app.test_cli_runner().invoke(
        cli, ["erase", "--email", PATIENT["email"], "--date-of-birth", DOB], input="n\n"
    )
    assert declined.exit_code == 1 and "nothing changed" in declined.output
    assert (ids(db_path, "submission"), len(audit_rows(db_path))) == before
    assert "Traceback" not in unknown.output + wrong.output + malformed.output


# --------------------------------------------------------------------------------------------------------------------
# The admin page


def post_records(client, path: str = "/clinician/admin/records", **fields):
    page = client.get("/clinician/admin/records")
    return client.post(path, data={**fields, "csrf_token": csrf_token(page)})


def erase_through_the_pages(client, **fields):
    """Check what erasure takes (which changes nothing), then confirm from that page: the second POST erases."""
    checked = post_records(client, "/clinician/admin/records/erase", **fields)
    assert checked.status_code == 200, checked.status_code
    forms = tree(checked).find_all("form", action="/clinician/admin/records/erase/confirmed")
    if not forms:  # nothing that may be erased, so the page offers no button: send what it would have sent
        plan = ";drafts=0;messages=0;bookings=0"
        confirmed = {**fields, "plan": plan, "csrf_token": csrf_token(checked)}
    else:
        confirmed = {node.attrs["name"]: node.attrs.get("value") or "" for node in forms[0].find_all("input")}
    return client.post("/clinician/admin/records/erase/confirmed", data=confirmed)


def test_admin_page_finds_erases_and_the_marker_is_gone(app, db_path, auth):
    patient, _ = marked_patient(app)
    client = auth.admin()
    found = post_records(client, email=PATIENT["email"], date_of_birth=DOB)
    assert found.status_code == 200
    text = page_text(found)
    assert "Will be erased" in text and "Unfinished questionnaires: 1" in text
    assert MARKER not in found.get_data(as_text=True).replace(PATIENT["email"], "")  # no name, no answers shown
    done = erase_through_the_pages(client, email=PATIENT["email"], date_of_birth=DOB)
    assert done.status_code == 303
    assert "Erased 1 screening version(s), 1 unfinished questionnaire(s)" in page_text(
        client.get("/clinician/admin/records")
    )
    assert files_holding(Path(app.instance_path), MARKER) == []
    assert patient.get("/your-result").status_code == 404
    erased = audit_rows(db_path, "submission_erased")
    assert len(erased) == 1 and erased[0]["actor_role"] == "admin"


def test_admin_page_refuses_a_retained_screening_with_409_and_restricts_it(app, db_path, clock, auth):
    _, kept = submit_through_form(app, details=PATIENT)
    with db_connection(db_path) as db:
        book_at(db, kept, clock.now() - timedelta(days=1))
    client = auth.admin()
    refused = erase_through_the_pages(client, email=PATIENT["email"], date_of_birth=DOB)
    assert refused.status_code == 409
    assert "it led to an appointment on" in page_text(refused)
    assert ids(db_path, "submission") == [kept]
    restricted = post_records(client, "/clinician/admin/records/restrict", email=PATIENT["email"], date_of_birth=DOB)
    assert restricted.status_code == 200
    assert "Restricted 1 screening version(s)" in page_text(restricted)
    assert "(restricted)" in page_text(restricted)


def test_admin_page_bad_input_gets_field_errors_and_changes_nothing(app, db_path, auth):
    submit_through_form(app, details=PATIENT)
    client = auth.admin()
    before = ids(db_path, "submission")
    unknown = post_records(client, "/clinician/admin/records/erase", email="nobody@example.org", date_of_birth=DOB)
    assert unknown.status_code == 400
    assert "No screening or unfinished questionnaire has the email nobody@example.org" in page_text(unknown)
    wrong = post_records(client, "/clinician/admin/records/erase", email=PATIENT["email"], date_of_birth="1990-07-23")
    assert wrong.status_code == 400 and "none with the date of birth 1990-07-23" in page_text(wrong)
    empty = post_records(client, "/clinician/admin/records/erase", email="", date_of_birth="")
    assert empty.status_code == 400 and "Enter the patient's email address" in page_text(empty)
    assert ids(db_path, "submission") == before
    assert audit_rows(db_path, "submission_erased") == []


def test_records_pages_are_for_admins_only(app, auth):
    clinician = auth.clinician()
    assert clinician.get("/clinician/admin/records").status_code == 403
    assert app.test_client().get("/clinician/admin/records").status_code in (302, 303)
    assert DETAILS  # the default patient is untouched by these tests


def test_an_unfinished_questionnaire_alone_needs_the_right_date_of_birth_too(app, db_path):
    unfinished = app.test_client()
    walk(unfinished, answers_by_step("toxin"), details=PATIENT, stop_at=CHECK_PATH)
    wrong = erase(app, "--yes", dob="1990-07-23")
    assert wrong.exit_code == 1
    assert "unfinished questionnaires with the email" in wrong.output and "none with the date of birth" in wrong.output
    assert len(ids(db_path, "draft")) == 1
    right = erase(app, "--yes")
    assert right.exit_code == 0, right.output
    assert ids(db_path, "draft") == []


# --------------------------------------------------------------------------------------------------------------------
# A screening with a consultation record (the clinical record of a face-to-face consultation)

CONSULTED = {
    "attendance": "attended",
    "id_document": "passport",
    "id_date_of_birth": "22/07/1990",
    "answers": "confirmed",
    "consulted": "y",
    "note": "",
}


def consulted_patient(app, db_path, clock, auth, **fields) -> int:
    """A patient who screened and booked through the real pages (the appointment later today), whose practitioner
    recorded the consultation through its page; returns the screening's id."""
    _, submission_id, _ = booked_patient(app, db_path, now=clock.now(), email=PATIENT["email"])
    clinician = auth.registered_clinician()
    path = f"/clinician/submissions/{submission_id}/consultation"
    page = clinician.get(path)
    assert clinician.post(path, data={**CONSULTED, **fields, "csrf_token": csrf_token(page)}).status_code == 303
    assert ids(db_path, "consultation", "submission_id") == [submission_id]
    return submission_id


def test_a_consulted_screening_is_kept_on_the_admin_page_with_the_reason_and_erase_refuses_it(
    app, db_path, clock, auth
):
    kept = consulted_patient(app, db_path, clock, auth)
    client = auth.admin()
    found = post_records(client, email=PATIENT["email"], date_of_birth=DOB)
    assert found.status_code == 200
    assert "Will be erased" not in page_text(found)
    assert "a consultation was recorded" in page_text(found)

    refused = erase_through_the_pages(client, email=PATIENT["email"], date_of_birth=DOB)

    assert refused.status_code == 409, page_text(refused)[:300]
    assert "a consultation was recorded" in page_text(refused) and "8 years" in page_text(refused)
    assert ids(db_path, "submission") == [kept]
    assert ids(db_path, "consultation", "submission_id") == [kept]
    assert audit_rows(db_path, "submission_erased") == []


def test_a_consulted_screening_is_refused_by_the_cli_with_the_reason_and_no_traceback(app, db_path, clock, auth):
    kept = consulted_patient(app, db_path, clock, auth)

    done = erase(app, "--yes")

    assert "Traceback" not in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)
    assert done.exit_code == 1, done.output
    assert f"screening {kept} sent" in done.output and "kept: a consultation was recorded" in done.output
    assert ids(db_path, "submission") == [kept]
    assert ids(db_path, "consultation", "submission_id") == [kept]
    restricted = erase(app, "--yes", "--restrict")
    assert restricted.exit_code == 0, restricted.output
    assert "restricted 1 submission(s)" in restricted.output


# --------------------------------------------------------------------------------------------------------------------
# What the Records page and `screening erase` say of a screening is what Erase does with it, in every state


def _booked(db, now, *, days: float) -> list[int]:
    submission_id = screening(db)
    book_at(db, submission_id, now + timedelta(days=days))
    return [submission_id]


def _cancelled(db, now) -> list[int]:
    submission_id = screening(db)
    book_at(db, submission_id, now - timedelta(days=2))
    store.cancel_booking(db, submission_id, store.SYSTEM.event("booking_cancelled"))
    return [submission_id]


def _consulted_early(db, now) -> list[int]:
    submission_id = screening(db)
    consult(db, submission_id, booking_id=book_at(db, submission_id, now + timedelta(hours=1)))
    return [submission_id]


def _did_not_attend(db, now) -> list[int]:
    submission_id = screening(db)
    consult(db, submission_id, attendance="did_not_attend")
    return [submission_id]


def _amended_after_consultation(db, now) -> list[int]:
    first = screening(db)
    consult(db, first)
    return [first, amend(db, first)]


def _restricted_after_consultation(db, now) -> list[int]:
    submission_id = screening(db)
    consult(db, submission_id)
    store.restrict_submission(db, submission_id, store.iso(now))
    return [submission_id]


STATES = {
    "never booked": lambda db, now: [screening(db)],
    "an appointment to come": lambda db, now: _booked(db, now, days=3),
    "an appointment that took place": lambda db, now: _booked(db, now, days=-3),
    "a cancelled appointment": _cancelled,
    "a consultation recorded before the slot's start": _consulted_early,
    "a did-not-attend record and no booking": _did_not_attend,
    "amended after its consultation": _amended_after_consultation,
    "restricted after its consultation": _restricted_after_consultation,
}


@pytest.mark.parametrize("state", STATES)
def test_the_records_page_and_the_cli_say_what_erase_then_does(app, db_path, clock, auth, state):
    with db_connection(db_path) as db:
        family = STATES[state](db, clock.now())
    client = auth.admin()
    found = post_records(client, email=DETAILS["email"], date_of_birth=DOB)
    assert found.status_code == 200
    page_says = "erased" if "Will be erased" in page_text(found) else "kept" if "Kept: " in page_text(found) else None
    listed = erase(app, email=DETAILS["email"], input="n\n")
    assert "Traceback" not in listed.output
    cli_says = "erased" if ": will be erased" in listed.output else "kept" if ": kept: " in listed.output else None
    assert page_says is not None and page_says == cli_says, (page_says, listed.output)

    done = erase_through_the_pages(client, email=DETAILS["email"], date_of_birth=DOB)

    assert done.status_code == (303 if page_says == "erased" else 409), page_text(done)[:300]
    left = set(ids(db_path, "submission")) & set(family)
    assert left == (set() if page_says == "erased" else set(family))
    with db_connection(db_path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_reference_erasure_does_not_know_is_refused_whole_without_a_500_or_a_traceback(
    app, db_path, clock, auth, monkeypatch, caplog
):
    """Were a new table to point at a submission unhandled (tests/store/test_store_records.py says so first), the
    database's refusal rolls everything back and is told as a refusal, on the page and by the command."""
    from screening.services.lifecycle import erasure
    from screening.store import records

    with db_connection(db_path) as db:
        kept = screening(db)
        consult(db, kept)
    forgotten = tuple(r for r in records.SUBMISSION_REFERENCES if "consultation" not in (r.table, r.points_at))
    monkeypatch.setattr(records, "SUBMISSION_REFERENCES", forgotten)
    monkeypatch.setattr(erasure, "retained_reason", lambda family, years: "")
    client = auth.admin()
    before = len(audit_rows(db_path))

    refused = erase_through_the_pages(client, email=DETAILS["email"], date_of_birth=DOB)
    assert refused.status_code == 409
    assert "Nothing was erased" in page_text(refused)
    done = erase(app, "--yes", email=DETAILS["email"])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "nothing was erased" in done.output

    assert ids(db_path, "submission") == [kept]
    assert len(audit_rows(db_path)) == before  # no erasure event: the whole unit was rolled back
    assert DETAILS["email"] not in caplog.text and "erasure refused by the database" in caplog.text


@pytest.mark.mail_server  # the clinic's own address, as a clinic sets it
def test_erasing_a_patient_who_gave_the_clinics_address_takes_their_mail_and_leaves_the_clinics(app, db_path):
    clinic = app.config["CLINIC_EMAIL"]
    for _ in range(2):  # other patients' screenings the clinic is told about, at the same address
        submit_through_form(app, details={**DETAILS, "email": "someone@example.org"}, **REVIEW_TOXIN)
    _, own = submit_through_form(app, details={**DETAILS, "email": clinic}, **REVIEW_TOXIN)
    notices = rows(db_path, "SELECT id FROM outbox WHERE kind = 'review_needed'")
    assert len(notices) == 3

    done = erase(app, "--yes", email=clinic)

    assert done.exit_code == 0, done.output
    assert rows(db_path, "SELECT id FROM outbox WHERE kind = 'review_needed'") == notices  # the clinic's, all kept
    assert (
        rows(
            db_path,
            "SELECT id FROM outbox WHERE submission_id = ? OR kind = 'submitted' AND to_addr = ?",
            [own, clinic],
        )
        == []
    )
    (erased,) = audit_rows(db_path, "patient_erased")
    assert json.loads(erased["detail"])["messages"] == 1
