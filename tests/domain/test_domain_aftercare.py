"""The aftercare beside the rules: the shipped files load and name what is normal, what to avoid and the symptoms
that need a call now (filler: pain, blanching or colour change, vision; toxin: swallowing, speaking, breathing,
spreading weakness, up to 4 weeks); a broken file is refused naming its file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.domain import RulesError
from screening.domain.aftercare import load_aftercare
from screening.domain.loading import read_source_keys
from tests.factories import PROJECT_DIR

RULES_DIR = PROJECT_DIR / "rules"
SHIPPED = RULES_DIR / "aftercare"
SOURCE_KEYS = read_source_keys(RULES_DIR)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "aftercare"))


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(RulesError) as raised:
        load_aftercare(folder, SOURCE_KEYS)
    return raised.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_aftercare_names_the_normal_effects_and_the_symptoms_that_need_a_call_now():
    texts = load_aftercare(SHIPPED, SOURCE_KEYS)
    assert sorted(texts) == ["filler", "toxin"] and texts["filler"].file == "aftercare/filler.toml"
    assert all(set(text.sources) <= SOURCE_KEYS for text in texts.values())

    for text in texts.values():
        normal = " ".join(text.normal).lower() + text.settles.lower()
        for effect in ("swelling", "redness", "bruis", "within a few days"):
            assert effect in normal, (text.treatment, effect)
        assert text.avoid
    filler = " ".join(s.text for s in texts["filler"].urgent).lower()
    for symptom in ("pain", "pale or white", "blanching", "colour of the skin", "vision"):
        assert symptom in filler, symptom
    toxin = " ".join(s.text for s in texts["toxin"].urgent).lower()
    for symptom in ("swallowing", "speaking", "breathing", "weakness spreading"):
        assert symptom in toxin, symptom
    assert texts["toxin"].call_window == "up to 4 weeks after your treatment"
    assert {s.id for s in texts["filler"].urgent if s.emergency} == {"vision", "breathing"}
    assert texts["toxin"].symptom("breathing").emergency and texts["toxin"].symptom("nothing") is None


def test_a_missing_field_an_unknown_field_and_an_unknown_source_are_each_named(folder: Path):
    edit(folder / "filler.toml", 'settles = "', 'settled = "')
    edit(folder / "toxin.toml", '"S01", ', '"S99", ')

    assert problems_of(folder) == [
        "aftercare/filler.toml: settled: unknown field",
        "aftercare/filler.toml: settles: missing or empty",
        "aftercare/toxin.toml: sources: S99 is not in sources.toml",
    ]


def test_urgent_symptoms_need_an_id_a_text_and_no_repeat(folder: Path):
    edit(folder / "toxin.toml", 'id = "swallowing"', 'id = "breathing"')
    edit(
        folder / "filler.toml",
        'id = "pain"\ntext = "Pain that is severe or getting worse, more than the tenderness you were told to expect"',
        'id = "Pain!"\ntext = ""',
    )

    assert problems_of(folder) == [
        "aftercare/filler.toml: urgent 1: id: must be a short lower-case name such as vision_change",
        "aftercare/filler.toml: urgent 1: text: missing or empty",
        "aftercare/toxin.toml: urgent 2: id: breathing is listed twice",
    ]


def test_a_treatment_without_aftercare_and_a_second_file_for_one_are_refused(folder: Path):
    (folder / "filler.toml").rename(folder / "toxin again.toml")
    edit(folder / "toxin again.toml", 'treatment = "filler"', 'treatment = "toxin"')

    assert problems_of(folder) == [
        "aftercare/toxin.toml: treatment: toxin has an aftercare text already in aftercare/toxin again.toml",
    ]
    (folder / "toxin again.toml").unlink()
    assert problems_of(folder) == ["aftercare/: no aftercare text for the treatment filler"]
