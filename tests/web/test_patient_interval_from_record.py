"""The interval rule from the clinic's own record: a toxin treatment the clinic gave counts for the same person's
next screening when it is later than what they answered (or they answered none), through the real form; the answers
stay as answered, the clinician's page shows both and says which date counted, and the seal still verifies."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from screening import store
from screening.domain import replay
from screening.domain.rules import readable_date
from screening.services import integrity
from tests.factories import (
    BASELINE_DOB,
    DETAILS,
    answers_by_step,
    db_connection,
    give_treatment,
    outbox,
    rows,
    shipped_ruleset,
)
from tests.journeys import form_fields, submit_through_form, walk
from tests.pages import csrf_token, location, page_text

FIRST = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # London is on UTC in March before the clocks change
GIVEN = FIRST + timedelta(days=2, hours=1)  # Wednesday 4 March 2026


def submission(db_path, submission_id: int) -> dict:
    return rows(db_path, "SELECT * FROM submission WHERE id = ?", [submission_id])[0]


def treated_patient(app, db_path, clock) -> int:
    clock.set(FIRST)
    _, first = submit_through_form(app, "toxin")
    clock.set(GIVEN)
    give_treatment(db_path, clock, first)
    return first


def test_a_screening_60_days_after_the_clinics_toxin_defers_with_the_recorded_date(app, db_path, clock):
    treated_patient(app, db_path, clock)
    clock.set(GIVEN + timedelta(days=60))

    patient, again = submit_through_form(app, "toxin")  # the same person answers that they never had toxin

    result = page_text(patient.get("/your-result"))
    opens = readable_date(date(2026, 3, 4) + timedelta(days=90))
    assert f"You can book from {opens}" in result
    assert "Our records show you had anti-wrinkle injections here on Wednesday 4 March 2026" in result
    stored = submission(db_path, again)
    assert stored["outcome"] == "defer"
    answers = json.loads(stored["answers"])
    assert answers["previous_toxin"] == "no" and "last_toxin_date" not in answers  # kept as answered
    facts = json.loads(stored["record_facts"])
    assert facts["last_toxin_date"] == "2026-03-04"
    assert facts["answered"] == {"previous_toxin": "no", "last_toxin_date": None}
    with db_connection(db_path) as db:
        assert store.seal_intact(db, again)
        assert integrity.check(db).whole
        # replaying today's rules over it reads the record's facts too: the outcome stands
        report = replay.replay(shipped_ruleset(), store.screenings_for_replay(db))
    assert report.judged == 2 and report.changed == 0


def test_a_forgotten_earlier_date_is_overruled_and_the_page_shows_both(app, db_path, clock, auth):
    treated_patient(app, db_path, clock)
    clock.set(GIVEN + timedelta(days=60))
    _, again = submit_through_form(
        app, "toxin", previous_toxin="yes", last_toxin_date=date(2025, 11, 1), previous_adverse_reaction="no"
    )

    assert submission(db_path, again)["outcome"] == "defer"
    assert json.loads(submission(db_path, again)["answers"])["last_toxin_date"] == "2025-11-01"
    page = page_text(auth.clinician().get(f"/clinician/submissions/{again}"))
    assert "From the clinic's own record" in page
    assert "most recent treatment Saturday 1 November 2025" in page  # the answer, as answered
    assert "The clinic's record Wednesday 4 March 2026" in page
    assert "The date that counted: Wednesday 4 March 2026, from the clinic's record" in page


def test_a_later_date_of_the_patients_own_counts_and_the_record_supplies_nothing(app, db_path, clock, auth):
    treated_patient(app, db_path, clock)
    clock.set(GIVEN + timedelta(days=100))
    later = date(2026, 4, 1)  # another clinic, after ours: 67 days ago

    patient, again = submit_through_form(
        app, "toxin", previous_toxin="yes", last_toxin_date=later, previous_adverse_reaction="no"
    )

    assert submission(db_path, again)["record_facts"] == ""
    assert f"You can book from {readable_date(later + timedelta(days=90))}" in page_text(patient.get("/your-result"))
    assert "From the clinic's own record" not in page_text(auth.clinician().get(f"/clinician/submissions/{again}"))


def test_someone_else_and_a_filler_screening_take_nothing_from_the_record(app, db_path, clock):
    treated_patient(app, db_path, clock)
    clock.set(GIVEN + timedelta(days=60))
    other = {**DETAILS, "full_name": "Ann Other", "email": "ann@example.org", "phone": "07700 900 111"}

    _, stranger = submit_through_form(app, "toxin", details=other)
    _, filler = submit_through_form(app, "filler")

    assert submission(db_path, stranger)["outcome"] == "clear" and submission(db_path, stranger)["record_facts"] == ""
    assert submission(db_path, filler)["record_facts"] == ""


def test_after_the_interval_the_record_is_shown_but_nothing_defers(app, db_path, clock):
    treated_patient(app, db_path, clock)
    clock.set(GIVEN + timedelta(days=91))

    patient, again = submit_through_form(app, "toxin")

    assert submission(db_path, again)["outcome"] == "clear"
    assert json.loads(submission(db_path, again)["record_facts"])["last_toxin_date"] == "2026-03-04"


def returning_link(db_path, kind: str = "return_link") -> str:
    """The path of the newest emailed link to start again from the last answers."""
    body = outbox(db_path, kind)[-1]["body"]
    return re.search(r"https?://[^/\s]+(/returning/\S+)", body).group(1)


def test_the_rescreen_from_the_emailed_link_reads_the_record(app, db_path, clock):
    treated_patient(app, db_path, clock)
    clock.set(GIVEN + timedelta(days=60))
    patient = app.test_client()
    page = patient.get("/returning")
    dob = date.fromisoformat(BASELINE_DOB.isoformat())
    sent = patient.post(
        "/returning",
        data={"csrf_token": csrf_token(page), "email": DETAILS["email"], **form_fields({"date_of_birth": dob})},
    )
    assert sent.status_code == 303

    opened = patient.get(returning_link(db_path))
    result = walk(patient, answers_by_step("toxin"), from_path=location(opened))

    assert "You can book from" in page_text(result)
    latest = rows(db_path, "SELECT kind, outcome, record_facts FROM submission ORDER BY id DESC LIMIT 1")[0]
    assert latest["kind"] == "rescreen" and latest["outcome"] == "defer"
    assert json.loads(latest["record_facts"])["last_toxin_date"] == "2026-03-04"
