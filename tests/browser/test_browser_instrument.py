"""A clinic's licensed instrument in a real browser, keyboard only, with 0 axe violations at 1280 and 375 px: after
the consultation the practitioner opens the instrument from the screening, sends it half answered and is shown each
item's error, records the answers, and the score at or above the cut-off asks for the suitability assessment, which
she records. The server runs with an instrument invented for the tests beside the shipped rules (the product ships
none)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.browser.browser_helpers import SIZES, PageChecks
from tests.browser.clinic_day_journey import (
    button,
    choose_radio,
    clinician_account,
    follow,
    link,
    patient_books_soon,
    practitioner_consults,
)
from tests.conftest import RULES_DIR
from tests.factories import INVENTED_INSTRUMENT
from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def clinic_with_an_instrument(tmp_path_factory):
    rules = tmp_path_factory.mktemp("rules-with-instrument") / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "instruments").mkdir(exist_ok=True)
    (rules / "instruments" / "invented_worry_scale.toml").write_text(INVENTED_INSTRUMENT, encoding="utf-8")
    live = LiveServer(tmp_path_factory.mktemp("instrument-instance"))
    live.env["SCREENING_RULES_DIR"] = str(rules)
    live.start()
    yield live
    live.stop()


def scores(server: LiveServer) -> list[dict]:
    connection = sqlite3.connect(Path(server.folder) / "screening.sqlite3")
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT score, positive FROM instrument_score")]
    finally:
        connection.close()


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_the_practitioner_records_an_instrument_and_its_positive_score_asks_for_the_assessment(
    clinic_with_an_instrument, browser, size
):
    server = clinic_with_an_instrument
    practitioner, email = f"Iris {size.capitalize()}", f"iris.{size}@clinic.example"
    clinician_account(server, email, practitioner)
    options = {**SIZES[size], "locale": "en-GB"}
    checks = PageChecks(small_screen=size == "mobile")
    patient_books_soon(browser, server, options, practitioner, checks)
    before = len(scores(server))

    context = browser.new_context(**options)
    try:
        page = context.new_page()
        practitioner_consults(page, server, checks, email=email, number=f"55{size[:1].upper()}1234")
        assert "Invented worry scale (version 2.1): not recorded." in page.inner_text("main")

        follow(page, link("Record the patient's answers"))
        checks(page)
        assert page.locator("h1").inner_text().strip() == "Invented worry scale"
        assert "Used under licence by the clinic." in page.inner_text("main")
        choose_radio(page, "item_mirror", "often")
        follow(page, button("Score and save"))
        checks(page)
        assert page.title().startswith("Error: ")
        assert page.locator("#item_talk-error").inner_text().endswith("Choose the patient's answer to item 2")
        assert page.is_checked("input[name='item_mirror'][value='often']")  # what was chosen stays chosen
        assert len(scores(server)) == before

        choose_radio(page, "item_talk", "sometimes")
        choose_radio(page, "item_plans", "yes")
        follow(page, button("Score and save"))
        checks(page)
        main = page.inner_text("main")
        assert "score 6, cut-off 4: at or above the cut-off" in main
        assert "A licensed instrument's score reached its cut-off" in main
        assert scores(server)[-1] == {"score": 6, "positive": 1}

        choose_radio(page, "outcome", "proceed_after_discussion")
        follow(page, button("Save the assessment"))
        checks(page)
        assert "Suitability assessment recorded." in page.inner_text("body")
        assert "Take consent" in page.inner_text("main")
    finally:
        context.close()
