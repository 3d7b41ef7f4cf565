"""The patient's page per treatment: the current truth, one message each, once."""

from __future__ import annotations

from datetime import date

from screening.domain import patient_page
from screening.domain.booking import Gate

TODAY = date(2026, 11, 28)
MILK = {"level": "review", "applies": "toxin", "patient_message": "A clinician will review your allergy."}
CAUTION_ANY = {"level": "caution", "applies": "any", "patient_message": "Your practitioner will ask about X."}
NMJ = {"level": "decline", "applies": "toxin", "patient_message": "Not suitable with your condition."}


def states(gates, outcomes, fired, *, approved=frozenset(), booked=False, cancelled=False):
    return patient_page.treatment_states(
        gates=gates,
        outcomes=outcomes,
        fired=fired,
        engine_errors=[],
        approved=approved,
        booked=booked,
        cancelled_by_clinic=cancelled,
    )


def test_pending_toxin_shows_the_review_message_and_filler_its_caution():
    shown = states(
        [Gate("toxin", "awaiting_review"), Gate("filler", "bookable")],
        {"toxin": "review", "filler": "caution"},
        [MILK, CAUTION_ANY],
    )
    assert [(s.treatments, s.state) for s in shown] == [(("toxin",), "awaiting_review"), (("filler",), "bookable")]
    assert shown[0].reasons == (MILK["patient_message"], CAUTION_ANY["patient_message"])
    assert shown[1].reasons == ()  # the shared caution is shown once, with the first treatment
    assert patient_page.headline(shown) == "You can book one of the treatments you asked about"


def test_a_clinicians_decline_keeps_the_rules_reason():
    (toxin, _) = states(
        [Gate("toxin", "declined"), Gate("filler", "bookable")], {"toxin": "review", "filler": "clear"}, [MILK]
    )
    assert (toxin.state, toxin.by_clinician, toxin.reasons) == ("declined", True, (MILK["patient_message"],))
    assert toxin.tone == "stop"


def test_a_clinicians_deferral_keeps_its_date_and_a_rules_decline_its_reason():
    (deferred,) = states([Gate("toxin", "deferred", date(2027, 1, 5))], {"toxin": "review"}, [MILK])
    assert (deferred.by_clinician, deferred.until, deferred.reasons) == (
        True,
        date(2027, 1, 5),
        (MILK["patient_message"],),
    )
    (declined,) = states([Gate("toxin", "declined")], {"toxin": "decline"}, [NMJ])
    assert (declined.by_clinician, declined.reasons) == (False, (NMJ["patient_message"],))
    assert patient_page.headline([declined]) == "We can't book this treatment online"


def test_same_state_treatments_share_one_message_and_booked_and_cancelled_are_told():
    (both,) = states([Gate("toxin", "bookable"), Gate("filler", "bookable")], {}, [CAUTION_ANY])
    assert both.treatments == ("toxin", "filler") and both.reasons == (CAUTION_ANY["patient_message"],)
    (booked,) = states([Gate("toxin", "bookable")], {"toxin": "clear"}, [], booked=True)
    assert booked.state == "booked" and patient_page.headline([booked]) == "Your appointment is booked"
    (cancelled,) = states([Gate("toxin", "bookable")], {"toxin": "clear"}, [], cancelled=True)
    assert cancelled.state == "cancelled" and patient_page.headline([cancelled]) == "You can book a consultation"
    (approved,) = states([Gate("toxin", "bookable")], {"toxin": "review"}, [MILK], approved=frozenset({"toxin"}))
    assert approved.by_clinician and approved.reasons == (MILK["patient_message"],)


def test_too_young_is_under_18_on_the_day():
    assert patient_page.too_young("2008-11-29", TODAY)
    assert not patient_page.too_young("2008-11-28", TODAY)
    assert not patient_page.too_young("not a date", TODAY) and not patient_page.too_young(None, TODAY)


def test_a_decline_still_lists_the_cautions_most_severe_first_and_each_message_once():
    # Spec section 2: the messages of all fired rules, most severe first, duplicates removed.
    repeated = dict(CAUTION_ANY, level="caution", applies="toxin")
    (declined,) = states([Gate("toxin", "declined")], {"toxin": "decline"}, [CAUTION_ANY, MILK, NMJ, repeated])
    assert declined.reasons == (NMJ["patient_message"], MILK["patient_message"], CAUTION_ANY["patient_message"])


def test_a_message_merged_from_two_treatments_keeps_the_severity_order():
    filler_defer = {"level": "defer", "applies": "filler", "patient_message": "Wait until the infection has cleared."}
    (both,) = states(
        [Gate("toxin", "declined"), Gate("filler", "declined")],
        {"toxin": "decline", "filler": "decline"},
        [CAUTION_ANY, filler_defer, {**NMJ, "applies": "filler"}],
    )
    assert both.reasons == (NMJ["patient_message"], filler_defer["patient_message"], CAUTION_ANY["patient_message"])
