"""Names compared the way people write them: the declaration's typed name against the name the patient gave."""

from __future__ import annotations

import pytest

from screening.domain.names import name_mismatch, same_name

GIVEN = "Zoë 🌸 O'Brien-Nguyễn"


@pytest.mark.parametrize(
    "typed",
    [
        "Zoe O'Brien-Nguyen",  # no accents, no emoji
        "zoë o’brien-nguyễn",  # case, a curly apostrophe
        "ZOE  OBRIEN NGUYEN",  # punctuation and spacing left out
        "Zoe\u0308 O'Brien-Nguye\u0302\u0303n",  # the same letters written decomposed (NFD)
        "Ｚｏｅ O'Brien-Nguyen",  # full-width letters (NFKD)
    ],
)
def test_the_same_name_written_differently_matches(typed):
    assert same_name(typed, GIVEN)
    assert name_mismatch(typed, GIVEN) is None


@pytest.mark.parametrize("typed", ["Zoe O'Brien", "Zoe Nguyen O'Brien", "Zoey O'Brien-Nguyen", "", "🌸", "-- ''"])
def test_a_different_name_does_not_match(typed):
    assert not same_name(typed, GIVEN)


def test_letters_without_a_decomposition_fold_to_their_plain_letters():
    assert same_name("Soren Ostergard", "Søren Østergård")
    assert same_name("Strasse", "Straße")
    assert same_name("Lukasz Wojcik", "Łukasz Wójcik")


def test_a_mismatch_says_what_was_typed_and_what_was_given():
    assert name_mismatch("Zoe O'Brien", GIVEN) == (
        "The name you typed, Zoe O'Brien, does not match the name you gave, Zoë O'Brien-Nguyễn"
    )


def test_a_mismatch_with_nothing_readable_typed_asks_for_the_name():
    assert name_mismatch("🌸 --", GIVEN) == "Type your full name as you gave it: Zoë O'Brien-Nguyễn"
