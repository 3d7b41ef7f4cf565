"""The app loads the consent texts and the clinic's licensed instruments beside the rules when it starts: one
function answers each, and a broken consent text or instrument stops the start naming its file and field, like a
broken rules file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.domain import RulesError
from screening.services.rules import rulebook
from tests.factories import RULES_DIR, make_app

INSTRUMENT = """
id = "practice_scale"
title = "A practice scale with invented items"
version = "1"
licence_holder = "Nobody: written for the tests"
licence_notice = "Invented for the tests; not a validated instrument."
cut_off = 2
options = [{ id = "no", label = "No", score = 0 }, { id = "yes", label = "Yes", score = 1 }]

[[items]]
id = "first"
text = "An invented first statement?"

[[items]]
id = "second"
text = "An invented second statement?"
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RULES_DIR, tmp_path / "rules"))


def test_the_app_holds_the_shipped_consent_texts_and_no_instrument(app):
    texts = rulebook.consent_texts_of(app)

    assert list(texts) == ["toxin", "filler"]
    assert texts["toxin"].version == "1.0"
    assert texts == rulebook.load_consent_texts_from(RULES_DIR)
    assert rulebook.instruments_of(app) == {}
    with app.app_context():
        assert rulebook.current_consent_texts() is texts
        assert rulebook.current_instruments() == {}


def test_a_broken_consent_text_stops_the_start_naming_the_file_and_field(tmp_path: Path, copy: Path):
    path = copy / "consent" / "toxin.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"SEED"]', '"S999"]'), encoding="utf-8")

    with pytest.raises(RulesError) as raised:
        make_app(tmp_path / "instance", RULES_DIR=str(copy))
    assert raised.value.problems == ["consent/toxin.toml: sources: S999 is not in sources.toml"]
    assert "consent/toxin.toml: sources: S999" in str(raised.value)


def test_a_clinic_instrument_is_loaded_at_start(tmp_path: Path, copy: Path):
    (copy / "instruments").mkdir()
    (copy / "instruments" / "practice_scale.toml").write_text(INSTRUMENT, encoding="utf-8")

    app = make_app(tmp_path / "instance", RULES_DIR=str(copy))
    (instrument,) = rulebook.instruments_of(app).values()
    assert instrument.id == "practice_scale"
    assert instrument.score({"first": "yes", "second": "yes"}) == (2, True)


def test_a_broken_instrument_stops_the_start_naming_the_file_and_field(tmp_path: Path, copy: Path):
    (copy / "instruments").mkdir()
    (copy / "instruments" / "practice_scale.toml").write_text(INSTRUMENT.replace("cut_off = 2", "cut_off = 3"))

    with pytest.raises(RulesError) as raised:
        make_app(tmp_path / "instance", RULES_DIR=str(copy))
    (problem,) = raised.value.problems
    assert problem.startswith("instruments/practice_scale.toml: cut_off: 3 must be above the lowest score (0)")
