"""A clinic's licensed assessment instrument as a data file: loaded and checked like the rules, scored as the sum of
the chosen options with a cut-off. Every instrument here is invented for the tests (made-up items, not any real
instrument's text): the product ships none, and a licensed text may not be copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.domain import RulesError
from screening.domain.instruments import InstrumentScore, InvalidInstrumentAnswers, load_instruments
from tests.factories import INVENTED_INSTRUMENT as INVENTED


def write(folder: Path, text: str, name: str = "invented_worry_scale.toml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(RulesError) as raised:
        load_instruments(folder)
    return raised.value.problems


def test_no_folder_means_no_instrument(tmp_path: Path):
    assert load_instruments(tmp_path / "instruments") == {}


def test_an_invented_instrument_loads_with_its_licence_items_and_cut_off(tmp_path: Path):
    (instrument,) = load_instruments(write(tmp_path / "instruments", INVENTED)).values()

    assert instrument.id == "invented_worry_scale"
    assert instrument.version == "2.1"
    assert instrument.licence_holder == "Example Licensing Ltd (invented)"
    assert instrument.file == "instruments/invented_worry_scale.toml"
    assert [item.id for item in instrument.items] == ["mirror", "talk", "plans", "follow_up"]
    assert [o.id for o in instrument.items[0].options] == ["never", "sometimes", "often"]  # the shared scale
    assert instrument.items[3].optional
    assert (instrument.lowest_score, instrument.cut_off, instrument.highest_score) == (0, 4, 8)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"mirror": "never", "talk": "never", "plans": "no"}, (0, False)),
        ({"mirror": "often", "talk": "sometimes", "plans": "no"}, (3, False)),  # one below the cut-off
        ({"mirror": "often", "talk": "often", "plans": "no"}, (4, True)),  # at the cut-off: positive
        ({"mirror": "never", "talk": "sometimes", "plans": "yes"}, (4, True)),
        ({"mirror": "often", "talk": "often", "plans": "yes", "follow_up": "months"}, (8, True)),
        ({"mirror": "never", "talk": "never", "plans": "no", "follow_up": ""}, (0, False)),  # optional, blank
    ],
)
def test_the_score_is_the_sum_and_positive_at_or_above_the_cut_off(tmp_path: Path, answers, expected):
    instrument = load_instruments(write(tmp_path / "instruments", INVENTED))["invented_worry_scale"]

    result = instrument.score(answers)
    assert result == expected
    assert isinstance(result, InstrumentScore) and result.positive is expected[1]


def test_answers_that_cannot_be_scored_are_refused_naming_each_item(tmp_path: Path):
    instrument = load_instruments(write(tmp_path / "instruments", INVENTED))["invented_worry_scale"]

    with pytest.raises(InvalidInstrumentAnswers) as raised:
        instrument.score({"mirror": "always", "plans": "no", "mood": "never"})
    assert raised.value.problems == [
        "item 'mood': not in invented_worry_scale",
        "item 'mirror': no option 'always' (its options: never, sometimes, often)",
        "item 'talk': not answered",
    ]


def test_the_hash_follows_the_text_not_the_comments(tmp_path: Path):
    first = load_instruments(write(tmp_path / "a", INVENTED))["invented_worry_scale"]
    commented = load_instruments(write(tmp_path / "b", "# the clinic's note\n" + INVENTED))["invented_worry_scale"]
    reworded = load_instruments(write(tmp_path / "c", INVENTED.replace("your morning", "your evening")))

    assert commented.sha256 == first.sha256
    assert reworded["invented_worry_scale"].sha256 != first.sha256


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('id = "invented_worry_scale"', 'id = "other_scale"', "id: other_scale must match the file's name"),
        ('licence_notice = "Used under licence by the clinic. Not to be altered or copied."\n', "", "licence_notice"),
        ('title = "Invented worry scale"', 'title = "Invented worry scale"\ncolour = "blue"', "colour: unknown field"),
        ("cut_off = 4", "cut_off = 9", "cut_off: 9 must be above the lowest score (0) and at most the highest (8)"),
        ("cut_off = 4", "cut_off = 0", "cut_off: 0 must be above the lowest score (0)"),
        ("cut_off = 4", 'cut_off = "4"', "cut_off: must be a whole number"),
        ('label = "Yes", score = 3 }', 'label = "Yes", score = -3 }', "item 'plans': options: option 'yes': score"),
        ('{ id = "often", label = "Often", score = 2 }', '{ id = "often", label = "", score = 2 }', "option 'often'"),
        ('id = "talk"', 'id = "mirror"', "item 'mirror': id: used by an earlier item"),
        ('text = "Has the invented worry changed your plans?"\n', "", "item 'plans': text: missing or empty"),
        ("optional = true", 'optional = "yes"', "item 'follow_up': optional: must be true or false"),
    ],
)
def test_a_broken_instrument_is_refused_with_the_file_and_field(tmp_path: Path, old, new, problem):
    assert INVENTED.count(old) == 1, old

    problems = problems_of(write(tmp_path / "instruments", INVENTED.replace(old, new)))
    assert len(problems) == 1, problems
    assert problems[0].startswith("instruments/invented_worry_scale.toml: ")
    assert problem in problems[0]


def test_an_item_without_options_and_no_shared_scale_is_refused(tmp_path: Path):
    text = INVENTED.replace("options = [\n", "scale = [\n", 1)  # the shared options, renamed away
    problems = problems_of(write(tmp_path / "instruments", text))

    assert "instruments/invented_worry_scale.toml: scale: unknown field" in problems
    assert "instruments/invented_worry_scale.toml: item 'mirror': options: missing" in " ".join(problems)


def test_unreadable_toml_and_a_file_without_items_are_each_named(tmp_path: Path):
    folder = write(tmp_path / "instruments", 'id = "broken"\ntitle = "Unfinished\n', "broken.toml")
    write(folder, INVENTED.split("[[items]]")[0], "invented_worry_scale.toml")

    problems = problems_of(folder)
    assert problems[0].startswith("instruments/broken.toml: cannot be read: ")
    assert "instruments/invented_worry_scale.toml: items: must be one or more [[items]] tables" in problems


def test_the_example_in_the_docs_is_a_valid_instrument(tmp_path: Path):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    section = docs[docs.index("## A licensed assessment instrument") :]
    start = section.index("```toml\n") + len("```toml\n")
    example = section[start : section.index("```", start)]

    instrument = load_instruments(write(tmp_path / "instruments", example, "example_concern_scale.toml"))
    assert instrument["example_concern_scale"].score({"morning": "often", "plans": "yes"}) == (5, True)
