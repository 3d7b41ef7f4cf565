"""The cooling-off between consent and treatment (screening.domain.cooling_off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from screening.domain.cooling_off import DEFAULT_COOLING_OFF_HOURS, cooling_off_passed, treatment_opens_at

CONSULTED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_a_consent_signed_at_the_consultation_waits_the_hours_from_then():
    assert treatment_opens_at(CONSULTED, CONSULTED, 48) == datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def test_a_consent_signed_later_starts_the_wait_again_from_the_signature():
    signed = CONSULTED + timedelta(days=3, hours=2)
    assert treatment_opens_at(CONSULTED, signed, 48) == signed + timedelta(hours=48)


def test_a_signature_recorded_before_the_consultations_record_counts_from_the_consultation():
    # The consultation's record is written after the signature on the clinic's device: the later moment counts.
    signed = CONSULTED - timedelta(minutes=20)
    assert treatment_opens_at(CONSULTED, signed, 48) == CONSULTED + timedelta(hours=48)


def test_no_cooling_off_opens_at_the_later_stage():
    signed = CONSULTED + timedelta(hours=1)
    assert treatment_opens_at(CONSULTED, signed, 0) == signed


def test_the_default_is_the_committees_48_hours():
    assert DEFAULT_COOLING_OFF_HOURS == 48


def test_a_negative_cooling_off_is_refused():
    with pytest.raises(ValueError, match="negative"):
        treatment_opens_at(CONSULTED, CONSULTED, -1)


def test_the_cooling_off_passes_on_the_hour_it_opens_and_not_a_second_before(clock):
    opens = treatment_opens_at(CONSULTED, CONSULTED, 48)
    clock.set(opens - timedelta(seconds=1))
    assert not cooling_off_passed(opens, clock.now())
    clock.set(opens)
    assert cooling_off_passed(opens, clock.now())
    clock.set(opens + timedelta(days=1))
    assert cooling_off_passed(opens, clock.now())
