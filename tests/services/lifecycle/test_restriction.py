"""Restriction (UK GDPR Art. 18): a restricted screening is kept, and shown nowhere but the admin's Records
page. No list, no search, no page, no export, no diary, no queue, no FHIR bundle, and not the patient's own private
link; every refused opening is audited. Each surface is walked for a restricted patient and for another patient who
is not restricted (who must still be shown, so no surface passes by showing nobody), and every route of the app is
either walked here or named as one that shows no screening: a new page that forgets restriction fails this module.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli_helpers import invoke
from tests.factories import BASELINE_DOB, CAUTION, audit_rows, outbox, rows
from tests.journeys import booked_patient
from tests.pages import csrf_token, page_text, tree

MORNING = datetime(2025, 6, 4, 8, 0, tzinfo=UTC)  # a Wednesday morning in London
RESTRICTED = {"name": "Rhea Kept-Apart", "email": "rhea@example.org"}
OTHER = {"name": "Olive Shown", "email": "olive@example.org"}
DOB = BASELINE_DOB.isoformat()
PRIVATE_LINK = re.compile(r"/r/([A-Za-z0-9_-]{16,64})")
RETURN_LINK = re.compile(r"https?://[^/\s]+(/returning/\S+)")


@dataclass
class Person:
    browser: object
    submission_id: int
    slot: int
    private_link: str
    return_link: str


@dataclass
class Story:
    admin: object
    restricted: Person
    other: Person


def returning_link(browser, db_path, email: str) -> str:
    page = browser.get("/returning")
    sent = browser.post(
        "/returning",
        data={
            "csrf_token": csrf_token(page),
            "email": email,
            "date_of_birth-day": str(BASELINE_DOB.day),
            "date_of_birth-month": str(BASELINE_DOB.month),
            "date_of_birth-year": str(BASELINE_DOB.year),
        },
    )
    assert sent.status_code == 303
    found = [row for row in outbox(db_path, "return_link") if row["to_addr"] == email]
    return RETURN_LINK.search(found[-1]["body"]).group(1) if found else ""


def person(app, db_path, clock, who: dict) -> Person:
    browser, submission_id, slot = booked_patient(
        app, db_path, now=clock.now(), name=who["name"], email=who["email"], **CAUTION
    )
    link = "/r/" + PRIVATE_LINK.search(browser.get("/your-result").get_data(as_text=True)).group(1)
    return Person(browser, submission_id, slot, link, "")


def restrict(admin, email: str):
    page = admin.get("/clinician/admin/records")
    return admin.post(
        "/clinician/admin/records/restrict",
        data={"csrf_token": csrf_token(page), "email": email, "date_of_birth": DOB},
    )


@pytest.fixture
def story(app, db_path, clock, auth) -> Story:
    """Two patients screened and booked today; the first one's appointment has taken place, so the clinic must keep
    that screening, and at the patient's request an admin restricts it."""
    clock.at(MORNING)
    restricted = person(app, db_path, clock, RESTRICTED)  # booked for 10:00 UTC
    other = person(app, db_path, clock, OTHER)  # booked for 11:00 UTC
    clock.at(MORNING + timedelta(hours=2, minutes=40))  # the first appointment has begun: part of the record
    for who, details in ((restricted, RESTRICTED), (other, OTHER)):  # each asks for a link to start again
        who.return_link = returning_link(app.test_client(), db_path, details["email"])
    admin = auth.admin()
    done = restrict(admin, RESTRICTED["email"])
    assert done.status_code == 200 and "Restricted 1 screening version(s)" in page_text(done)
    return Story(admin, restricted, other)


def refusals(db_path, submission_id: int) -> list[dict]:
    return [row for row in audit_rows(db_path, "restricted_access_refused") if row["object_id"] == str(submission_id)]


# --------------------------------------------------------------------------------------------------------------------
# Lists and searches: the other patient is there, the restricted one is not


LISTS = {
    "clinician.queue": lambda story, who: "/clinician/queue?level=any&state=any",
    "clinician.cautions": lambda story, who: "/clinician/cautions",
    "clinician.diary_page": lambda story, who: "/clinician/diary",
    "admin.slots": lambda story, who: "/clinician/admin/slots",
}
SEARCHES = {
    "by name": lambda who: who["name"].split()[0],
    "by email": lambda who: who["email"],
}


@pytest.mark.parametrize("endpoint", sorted(LISTS))
def test_no_list_shows_a_restricted_screening(story, endpoint):
    path = LISTS[endpoint](story, None)
    response = story.admin.get(path)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert OTHER["name"] in text  # the list works...
    assert RESTRICTED["name"] not in text and RESTRICTED["email"] not in text  # ...and leaves the restricted out
    assert f'/clinician/submissions/{story.restricted.submission_id}"' not in text


def test_the_export_leaves_a_restricted_screening_out(story):
    day = MORNING.date().isoformat()
    exported = story.admin.get(f"/clinician/admin/records/export?since={day}&until={day}")
    assert exported.status_code == 200
    refs = [line.split(",")[0] for line in exported.get_data(as_text=True).lstrip("\ufeff").splitlines()[2:]]
    assert refs == [str(story.other.submission_id)]


@pytest.mark.parametrize("how", sorted(SEARCHES))
def test_patient_search_does_not_find_a_restricted_screening(story, how):
    found = story.admin.get(f"/clinician/patients?q={SEARCHES[how](OTHER)}")
    assert OTHER["name"] in page_text(found)
    hidden = story.admin.get(f"/clinician/patients?q={SEARCHES[how](RESTRICTED)}")
    assert hidden.status_code == 200 and RESTRICTED["name"] not in page_text(hidden)


def test_patient_search_by_reference_does_not_find_a_restricted_screening(story):
    hidden = story.admin.get(f"/clinician/patients?q={story.restricted.submission_id}")
    assert RESTRICTED["name"] not in page_text(hidden)
    assert OTHER["name"] in page_text(story.admin.get(f"/clinician/patients?q={story.other.submission_id}"))


# --------------------------------------------------------------------------------------------------------------------
# Pages of one screening: the other patient's open, the restricted one's answer 404, and each refusal is audited

CLINICIAN_PAGES = {
    "clinician.submission": "/clinician/submissions/{id}",
    "clinician.print_view": "/clinician/submissions/{id}/print",
    "clinician.consultation": "/clinician/submissions/{id}/consultation",
    "clinician.bundle": "/clinician/submissions/{id}/fhir.json",
    "clinician.patient": "/clinician/patients/{id}",
    "admin.submission_diff": "/clinician/rules/diff/{id}",
    "admin.try_case": "/clinician/rules/try?from={id}",
    "clinician.consent": "/clinician/submissions/{id}/consent",
}
# The consent's own pages and forms, opened or sent for a restricted screening: each is a 404 that changes nothing
# (the screening is looked up, and refused, before any consent is).
CLINICIAN_CONSENT = {
    "clinician.consent_pdf": ("GET", "/clinician/submissions/{id}/consent/1.pdf"),
    "clinician.sign_here": ("GET", "/clinician/submissions/{id}/consent/1/sign"),
    "clinician.assessment": ("POST", "/clinician/submissions/{id}/assessment"),
    "clinician.instrument": ("POST", "/clinician/submissions/{id}/instruments/invented_worry_scale"),
    "clinician.take_consent": ("POST", "/clinician/submissions/{id}/consent/toxin"),
    "clinician.treatment_given": ("POST", "/clinician/submissions/{id}/treatment"),
    "clinician.report_problem": ("POST", "/clinician/submissions/{id}/complications"),
    "clinician.follow_up": ("POST", "/clinician/submissions/{id}/complications/1"),
    "clinician.yellow_card": ("GET", "/clinician/submissions/{id}/complications/1/yellow-card"),
}


@pytest.mark.parametrize("endpoint", sorted(CLINICIAN_CONSENT))
def test_no_consent_page_or_form_acts_on_a_restricted_screening(story, db_path, endpoint):
    method, path = CLINICIAN_CONSENT[endpoint]
    token = csrf_token(story.admin.get("/clinician/queue"))
    before = len(audit_rows(db_path)) - len(refusals(db_path, story.restricted.submission_id))
    url = path.format(id=story.restricted.submission_id)
    refused = story.admin.get(url) if method == "GET" else story.admin.post(url, data={"csrf_token": token})
    assert refused.status_code == 404
    assert RESTRICTED["name"] not in refused.get_data(as_text=True)
    assert rows(db_path, "SELECT count(*) AS n FROM consent")[0]["n"] == 0
    assert rows(db_path, "SELECT count(*) AS n FROM treatment_given")[0]["n"] == 0
    assert rows(db_path, "SELECT count(*) AS n FROM instrument_score")[0]["n"] == 0
    assert rows(db_path, "SELECT count(*) AS n FROM complication")[0]["n"] == 0
    assert len(audit_rows(db_path)) - len(refusals(db_path, story.restricted.submission_id)) == before


@pytest.mark.parametrize("endpoint", sorted(CLINICIAN_PAGES))
def test_no_clinician_page_opens_a_restricted_screening_and_the_attempt_is_audited(story, db_path, endpoint):
    shown = story.admin.get(CLINICIAN_PAGES[endpoint].format(id=story.other.submission_id))
    assert shown.status_code == 200
    refused = story.admin.get(CLINICIAN_PAGES[endpoint].format(id=story.restricted.submission_id))
    assert refused.status_code == 404
    assert RESTRICTED["name"] not in refused.get_data(as_text=True)
    assert "restricted" in page_text(refused)
    (event,) = refusals(db_path, story.restricted.submission_id)
    assert event["outcome"] == "denied" and event["actor_role"] == "admin"


def test_withdrawing_a_restricted_patients_slot_does_not_name_them(story):
    other = story.admin.get(f"/clinician/admin/slots/{story.other.slot}/withdraw")
    assert OTHER["name"] in page_text(other)
    page = story.admin.get(f"/clinician/admin/slots/{story.restricted.slot}/withdraw")
    assert page.status_code == 200
    assert RESTRICTED["name"] not in page_text(page) and "restricted" in page_text(page)


def test_a_batch_recall_neither_lists_nor_emails_a_restricted_patient_and_says_how_many_it_left_out(story, db_path):
    from tests.factories import batch_row, db_connection, product_row, treated_row

    with db_connection(db_path) as db:
        batch = batch_row(db, product_row(db))
        for who in (story.restricted, story.other):
            treated_row(db, who.submission_id, given_at="2025-06-04T10:30:00Z", batch_id=batch)
    url = f"/clinician/admin/batches/{batch}/recall"

    page = story.admin.get(url)
    assert OTHER["name"] in page_text(page)
    assert RESTRICTED["name"] not in page.get_data(as_text=True)
    assert RESTRICTED["email"] not in page.get_data(as_text=True)
    assert "1 treatment(s) from this batch are on restricted screenings" in page_text(page)
    sent = story.admin.post(url, data={"csrf_token": csrf_token(page)})
    assert sent.status_code == 303
    assert [row["to_addr"] for row in outbox(db_path, "batch_recall")] == [OTHER["email"]]


@pytest.mark.parametrize(
    ("endpoint", "path", "fields"),
    [
        ("clinician.decide", "/clinician/submissions/{id}/decision", {"action": "approve", "treatments": "toxin"}),
        ("clinician.consultation", "/clinician/submissions/{id}/consultation", {"attendance": "attended"}),
    ],
)
def test_nothing_is_recorded_on_a_restricted_screening(story, db_path, endpoint, path, fields):
    before = (
        rows(db_path, "SELECT count(*) AS n FROM decision")[0]["n"],
        rows(db_path, "SELECT count(*) AS n FROM consultation")[0]["n"],
    )
    token = csrf_token(story.admin.get("/clinician/admin/records"))
    refused = story.admin.post(path.format(id=story.restricted.submission_id), data={**fields, "csrf_token": token})
    assert refused.status_code == 404
    after = (
        rows(db_path, "SELECT count(*) AS n FROM decision")[0]["n"],
        rows(db_path, "SELECT count(*) AS n FROM consultation")[0]["n"],
    )
    assert after == before
    assert len(refusals(db_path, story.restricted.submission_id)) == 1


# --------------------------------------------------------------------------------------------------------------------
# The patient's own private link, and the one-time return link


PATIENT_PAGES = {
    "patient.result": "/your-result",
    "patient.confirm_booking": "/your-result/book",
    "patient.confirm_cancel": "/your-result/cancel",
    "patient.choose_time": "/your-result/times",
    "patient.answer_page": "/your-result/answer",
    "patient.appointment_calendar": "/your-result/appointment.ics",
    "patient.confirm_cancel_treatment": "/your-result/treatment/cancel",
    "patient.treatment_calendar": "/your-result/treatment.ics",
    "patient.your_data": "/your-result/your-data",
    "patient.your_data_download": "/your-result/your-data.json",
    "patient.consent_page": "/your-result/consent",
    "patient.consent_pdf": "/your-result/consent/1.pdf",
    "patient.aftercare_page": "/your-result/aftercare/1",
    "patient.problem_sent": "/your-result/problem-sent",
}
PATIENT_POSTS = {
    "patient.cancel_booking": "/your-result/cancel",
    "patient.book": "/your-result/book",
    "patient.answer_question": "/your-result/answer",
    "patient.send_reply": "/your-result/answer/send",
    "patient.book_treatment": "/your-result/treatment",
    "patient.cancel_treatment": "/your-result/treatment/cancel",
    "patient.sign_consent": "/your-result/consent/sign",
    "patient.change_consent_option": "/your-result/consent/option",
    "patient.withdraw_consent": "/your-result/consent/withdraw",
    "patient.stop_reminders_here": "/your-result/reminders/stop",
    "patient.aftercare_page": "/your-result/aftercare/1",  # a problem report
}


@pytest.mark.parametrize("endpoint", sorted(PATIENT_PAGES))
def test_the_patients_own_pages_do_not_show_a_restricted_screening(story, db_path, endpoint):
    assert story.other.browser.get("/your-result").status_code == 200
    refused = story.restricted.browser.get(PATIENT_PAGES[endpoint])
    assert refused.status_code == 404
    assert RESTRICTED["name"] not in refused.get_data(as_text=True)
    assert "restricted" in page_text(refused)
    (event,) = refusals(db_path, story.restricted.submission_id)
    assert event["actor_role"] == "patient"


@pytest.mark.parametrize("endpoint", sorted(PATIENT_POSTS))
def test_the_patient_changes_nothing_on_a_restricted_screening(story, db_path, endpoint):
    before = rows(db_path, "SELECT count(*) AS n FROM booking WHERE cancelled_at IS NULL")[0]["n"]
    token = csrf_token(story.restricted.browser.get("/"))
    refused = story.restricted.browser.post(PATIENT_POSTS[endpoint], data={"csrf_token": token, "slot": "1"})
    assert refused.status_code == 404
    assert rows(db_path, "SELECT count(*) AS n FROM booking WHERE cancelled_at IS NULL")[0]["n"] == before
    assert rows(db_path, "SELECT count(*) AS n FROM complication")[0]["n"] == 0


def test_the_private_link_does_not_open_a_restricted_screening(story, db_path, app):
    assert app.test_client().get(story.other.private_link).status_code == 303
    refused = app.test_client().get(story.restricted.private_link)
    assert refused.status_code == 404 and "restricted" in page_text(refused)
    assert len(refusals(db_path, story.restricted.submission_id)) == 1


def test_a_return_link_does_not_start_again_from_a_restricted_screening(story, db_path, app):
    assert app.test_client().get(story.other.return_link).status_code == 303
    refused = app.test_client().get(story.restricted.return_link)
    assert refused.status_code == 404
    assert returning_link(app.test_client(), db_path, RESTRICTED["email"]) == story.restricted.return_link  # no new one


# --------------------------------------------------------------------------------------------------------------------
# The one place it is shown, and every route accounted for


def test_the_admins_records_page_still_shows_it_and_the_view_is_audited(story, db_path):
    page = story.admin.get("/clinician/admin/records")
    views = len(audit_rows(db_path, "patient_records_viewed"))
    found = story.admin.post(
        "/clinician/admin/records",
        data={"csrf_token": csrf_token(page), "email": RESTRICTED["email"], "date_of_birth": DOB},
    )
    assert found.status_code == 200
    cells = [cell.text() for cell in tree(found).find_all("td")]
    assert str(story.restricted.submission_id) in cells and "caution (restricted)" in cells
    assert len(audit_rows(db_path, "patient_records_viewed")) == views + 1


WALKED = (
    set(LISTS)
    | {"admin.export"}
    | set(CLINICIAN_PAGES)
    | set(PATIENT_PAGES)
    | set(PATIENT_POSTS)
    | set(CLINICIAN_CONSENT)
    | {"clinician.patients_search", "clinician.decide", "admin.withdraw", "patient.private_link"}
    | {"patient.returning", "patient.use_return_link", "admin.records", "admin.restrict", "admin.erase"}
    | {"admin.erase_confirmed"}  # the second step of erasure shows the plan the first showed
    | {"admin.batch_recall"}  # everyone treated from a batch: the restricted only counted
)
SHOWS_NO_SCREENING = {
    "account.choose_password",  # a clinician choosing their own password at first sign-in
    "admin.invite_clinician",  # an admin inviting a clinician: no screening on it
    # the questionnaire before anything is sent, and the pages around it
    "patient.start",
    "patient.begin",
    "patient.resume",
    "patient.step",
    "patient.save_step",
    "patient.details",
    "patient.check",
    "patient.submit",
    "patient.under_18",
    "patient.returning_sent",
    "patient.healthz",
    # save and finish later: an unfinished questionnaire (a draft, never a screening) and its one-time link
    "patient.save_for_later",
    "patient.saved_for_later",
    "patient.open_resume_link",
    "patient.continue_saved",
    "patient.switch_language",  # sets the session's language and goes back: no screening on it
    # the reminder's signed stop link asks for a button and shows nothing of the screening (stopping reminders is
    # the patient's own choice, so it works on a restricted screening too, which is never recalled), then says so
    "patient.stop_reminders",
    "patient.reminders_stopped",
    "static",
    # signing in and one's own account
    "account.login",
    "account.login_code",
    "account.set_up_code",
    "account.logout",
    "account.account",
    "account.reset",
    # clinicians' and the clinic's own pages
    "clinician.home",
    "clinician.rules",
    "admin.clinicians",
    "admin.disable_clinician",
    "admin.enable",
    "admin.require_code",
    "admin.send_reset",
    "admin.settings",
    "admin.cancel_slot",  # sends the admin on to admin.withdraw
    "admin.withdraw_selected",  # back to admin.slots, or its page again with the refusal (admin.slots is walked)
    "admin.audit_trail",  # ids and actions, never a name or an answer
    "admin.products_list",  # the clinic's products and batches: no patient on it
    "admin.add_batch",
    "admin.product_in_use",  # retire a product or put it back: no patient on it
    # reception tablets (kiosk mode): the devices, turning one on and off, and the tablet's own pages
    "clinician.kiosk_on",
    "account.kiosk_off",
    "admin.kiosks_list",
    "admin.revoke_kiosk",
    "patient.hand_back",  # "please hand the tablet back": names nobody
    "patient.still_here",  # the tablet's idle timer: nothing shown
}


def test_every_route_is_walked_here_or_shows_no_screening(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - WALKED - SHOWS_NO_SCREENING) == [], "a new page: walk it for a restricted screening"
    assert sorted((WALKED | SHOWS_NO_SCREENING) - endpoints) == []


def test_the_command_line_refuses_a_restricted_screenings_fhir_bundle_and_audits_it(story, runner, db_path):
    assert invoke(runner, "fhir", "bundle", str(story.other.submission_id)).returncode == 0
    refused = invoke(runner, "fhir", "bundle", str(story.restricted.submission_id))
    assert refused.returncode == 1 and refused.stdout == ""
    assert f"screening {story.restricted.submission_id} is restricted" in refused.stderr
    (event,) = refusals(db_path, story.restricted.submission_id)
    assert event["actor_role"] == "system"


def test_replaying_the_rules_over_stored_screenings_leaves_a_restricted_one_out(story, runner):
    replayed = invoke(runner, "rules", "replay", "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["judged"] == 1  # the other patient's screening only
