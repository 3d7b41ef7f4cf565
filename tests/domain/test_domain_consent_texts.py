"""The consent texts beside the rules: the shipped ones load and say what the profession asks a consent to say, a
broken file is refused naming its file and field, and a text's hash follows its wording, never its file's name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.domain import RulesError
from screening.domain.consent import load_consent_texts
from screening.domain.loading import read_source_keys
from tests.factories import PROJECT_DIR

RULES_DIR = PROJECT_DIR / "rules"
SHIPPED = RULES_DIR / "consent"
SOURCE_KEYS = read_source_keys(RULES_DIR)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the shipped consent texts."""
    return Path(shutil.copytree(SHIPPED, tmp_path / "consent"))


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(RulesError) as raised:
        load_consent_texts(folder, SOURCE_KEYS)
    return raised.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_texts_load_one_per_treatment_citing_known_sources():
    texts = load_consent_texts(SHIPPED, SOURCE_KEYS)

    assert sorted(texts) == ["filler", "toxin"]
    assert {text.version for text in texts.values()} == {"1.0"}
    assert texts["toxin"].file == "consent/toxin.toml"
    assert all(set(text.sources) <= SOURCE_KEYS for text in texts.values())


def test_the_shipped_texts_name_the_effects_durations_and_alternatives_the_labels_name():
    texts = load_consent_texts(SHIPPED, SOURCE_KEYS)
    toxin = " ".join(texts["toxin"].common_effects + texts["toxin"].rare_risks).lower()
    filler = " ".join(texts["filler"].common_effects + texts["filler"].rare_risks).lower()

    for effect in ("swelling", "redness", "bruis", "headache", "droop", "uneven", "spreading"):
        assert effect in toxin, effect
    for effect in ("swelling", "redness", "bruis", "lump", "infection", "nodule", "blood vessel", "blind"):
        assert effect in filler, effect
    assert "3 to 4 months" in texts["toxin"].duration
    assert "6 months to 2 years" in texts["filler"].duration
    for text in texts.values():
        assert text.alternatives[0].startswith("No treatment")
        assert text.report_at_once


def test_the_hash_changes_with_the_wording_not_with_the_file_name(tmp_path: Path, folder: Path):
    shipped = load_consent_texts(SHIPPED, SOURCE_KEYS)["toxin"]
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    shutil.copyfile(folder / "toxin.toml", renamed / "anti-wrinkle consent.toml")
    shutil.copyfile(folder / "filler.toml", renamed / "filler.toml")

    moved = load_consent_texts(renamed, SOURCE_KEYS)["toxin"]
    assert moved.file == "consent/anti-wrinkle consent.toml"
    assert moved.sha256 == shipped.sha256  # the file's name is not part of what the patient signs
    assert moved == shipped

    edit(folder / "toxin.toml", "A headache in the first day or two.", "A headache in the first two days.")
    reworded = load_consent_texts(folder, SOURCE_KEYS)["toxin"]
    assert reworded.version == shipped.version  # the wording changed without a new version: the hash still tells
    assert reworded.sha256 != shipped.sha256
    assert len(reworded.sha256) == 64


def test_comments_and_layout_are_not_part_of_the_hash(folder: Path):
    shipped = load_consent_texts(SHIPPED, SOURCE_KEYS)["filler"]
    path = folder / "filler.toml"
    path.write_text("# A clinic's note about this file.\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")

    assert load_consent_texts(folder, SOURCE_KEYS)["filler"].sha256 == shipped.sha256


def test_a_source_not_in_sources_toml_is_refused_with_the_file_and_field(folder: Path):
    edit(folder / "toxin.toml", '"S18", "SEED"]', '"S18", "S999"]')

    assert problems_of(folder) == ["consent/toxin.toml: sources: S999 is not in sources.toml"]


def test_an_unknown_treatment_is_refused_with_the_file_and_field(folder: Path):
    edit(folder / "filler.toml", 'treatment = "filler"', 'treatment = "threads"')

    assert problems_of(folder) == ["consent/filler.toml: treatment: must be one of toxin, filler (found 'threads')"]


def test_an_unknown_field_is_refused_with_the_file_and_field(folder: Path):
    edit(folder / "toxin.toml", 'version = "1.0"', 'version = "1.0"\naftercare = "Keep upright for 4 hours."')

    assert problems_of(folder) == ["consent/toxin.toml: aftercare: unknown field"]


def test_an_empty_list_is_refused_with_the_file_and_field(folder: Path):
    path = folder / "toxin.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("report_at_once = [")
    path.write_text(text[:start] + "report_at_once = []\n", encoding="utf-8")

    assert problems_of(folder) == ["consent/toxin.toml: report_at_once: must be a list of one or more texts"]


def test_a_missing_version_is_refused_asking_for_one(folder: Path):
    edit(folder / "filler.toml", 'version = "1.0"\n', "")

    (problem,) = problems_of(folder)
    assert problem.startswith("consent/filler.toml: version: missing")


def test_a_second_file_for_one_treatment_is_refused_naming_both(folder: Path):
    shutil.copyfile(folder / "toxin.toml", folder / "toxin-new.toml")

    assert problems_of(folder) == [
        "consent/toxin.toml: treatment: toxin has a consent text already in consent/toxin-new.toml"
    ]


def test_unreadable_toml_is_refused_with_the_file(folder: Path):
    (folder / "filler.toml").write_text('treatment = "filler"\nversion = \n', encoding="utf-8")

    (problem,) = problems_of(folder)
    assert problem.startswith("consent/filler.toml: cannot be read: ")


def test_a_treatment_without_a_text_is_refused(folder: Path):
    (folder / "filler.toml").unlink()

    assert problems_of(folder) == ["consent/: no consent text for the treatment filler"]


def test_every_problem_in_every_file_is_listed_at_once(folder: Path):
    edit(folder / "toxin.toml", '"S18", "SEED"]', '"S18", "S999"]')
    edit(folder / "filler.toml", 'treatment = "filler"', 'treatment = "threads"')

    problems = problems_of(folder)
    assert [problem.split(":")[0] for problem in problems] == ["consent/filler.toml", "consent/toxin.toml"]
