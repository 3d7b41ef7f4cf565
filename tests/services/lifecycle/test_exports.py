"""The clinician's CSV export (check 30): admin only, audited with counts, formula cells neutralised, UTF-8 BOM."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from screening.services.lifecycle import exports
from tests.factories import (
    RULESET,
    audit_rows,
    db_connection,
    record,
)
from tests.pages import page_text

# The tests that export by date run on from this morning (they set the clock), whatever day it is.
MORNING = datetime(2025, 6, 4, 10, 0, tzinfo=UTC)
TODAY = date(2025, 6, 4)
EXPORT = "/clinician/admin/records/export"


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    _, codes, *rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))  # the headings in words, then the codes
    return [dict(zip(codes, row, strict=True)) for row in rows]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 7700", "'+44 7700"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ibuprofen = sometimes", "Ibuprofen = sometimes"),  # only the first character matters
        (12, 12),  # numbers we write ourselves (the reference) stay numbers
    ],
)
def test_neutralise(value, safe):
    assert exports.neutralise(value) == safe


def test_export_has_a_row_per_screening_with_answers_as_columns_and_formulas_neutralised(app, db_path, clock, auth):
    clock.at(MORNING)
    assert clock.today(app) == TODAY
    with db_connection(db_path) as db:
        formulas = [record(db, current_medicines=text) for text in ("=1+1", "+1", "-1", "@A1")]
        caution = record(db, "both", upcoming_event="yes", current_medicines="Café crème, naïve")
        old = record(db, created_at=clock.now() - timedelta(days=40))
        restricted = record(db)
        db.execute("UPDATE submission SET restricted_at = created_at WHERE id = ?", [restricted])
    admin = auth.admin()
    response = admin.get(f"{EXPORT}?since={TODAY - timedelta(days=7)}&until={TODAY}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.get_data())
    assert [int(row["ref"]) for row in rows] == [*formulas, caution]  # not the old one, not the restricted one
    assert set(rows[0]) >= {q.id for q in RULESET.questionnaire.questions}
    assert [row["current_medicines"] for row in rows[:4]] == ["'=1+1", "'+1", "'-1", "'@A1"]
    last = rows[-1]
    assert last["current_medicines"] == "Café crème, naïve"
    assert last["outcome"] == "caution" and last["outcome_toxin"] and last["outcome_filler"]
    assert last["fired_rules"] and last["treatment_requested"] == "Both"
    assert last["date_of_birth"] == "1990-07-22"
    assert old not in [int(row["ref"]) for row in rows]
    (event,) = audit_rows(db_path, "screenings_exported")
    assert json.loads(event["detail"]) == {
        "format": "csv",
        "rows": 5,
        "since": str(TODAY - timedelta(days=7)),
        "until": str(TODAY),
    }


def test_export_is_for_admins_only(db_path, clock, auth):
    clock.at(MORNING)
    clinician = auth.clinician()
    assert clinician.get(f"{EXPORT}?since={TODAY}&until={TODAY}").status_code == 403
    assert audit_rows(db_path, "screenings_exported") == []


def test_a_bad_range_is_refused_with_a_message_and_exports_nothing(app, db_path, clock, auth):
    clock.at(MORNING)
    admin = auth.admin()
    backwards = admin.get(f"{EXPORT}?since={TODAY}&until={TODAY - timedelta(days=1)}")
    assert backwards.status_code == 400
    assert "The last day must be on or after the first day" in page_text(backwards)
    garbled = admin.get(f"{EXPORT}?since=yesterday&until=")
    assert garbled.status_code == 400 and "Enter the last day" in page_text(garbled)
    assert admin.get(EXPORT).status_code == 200
    assert audit_rows(db_path, "screenings_exported") == []


def test_the_export_heads_its_columns_in_words_with_the_codes_beneath_and_times_in_clinic_time(
    app, db_path, clock, auth
):
    clock.at(MORNING)  # 10:00 UTC on a June day: 11:00 in London
    with db_connection(db_path) as db:
        ref = record(db)
    response = auth.admin().get(f"{EXPORT}?since={TODAY}&until={TODAY}")

    words, codes, first = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert words[:4] == ["Reference", "Kind", "Follows reference", "Sent (Europe/London)"]
    assert codes[:4] == ["ref", "kind", "follows_ref", "sent_at"]
    assert not any(code.endswith("_utc") for code in codes)
    assert words[codes.index("current_medicines")] == RULESET.questionnaire.by_id["current_medicines"].text
    row = dict(zip(codes, first, strict=True))
    assert int(row["ref"]) == ref
    assert row["sent_at"].startswith(f"{TODAY.isoformat()}T11:") and row["sent_at"].endswith("+01:00")


def test_the_consent_column_gives_each_treatments_newest_consent_in_clinic_time(app, db_path, clock, auth):
    from tests.factories import consent_row, consult

    clock.at(MORNING)
    with db_connection(db_path) as db:
        both = record(db, "both")
        none = record(db)
        consultation = consult(db, both)
        consent_row(db, both, consultation, "toxin", signed_at="2025-06-04T09:05:00Z")
        consent_row(db, both, consultation, "filler")  # awaiting the signature
    admin = auth.admin()
    rows = {int(r["ref"]): r for r in read_csv(admin.get(f"{EXPORT}?since={TODAY}&until={TODAY}").data)}
    # 09:05 UTC in June is 10:05 in London, the clinic's zone by default
    assert rows[both]["consent"] == "filler: awaiting signature; toxin: signed 2025-06-04T10:05:00+01:00"
    assert rows[none]["consent"] == ""
