"""Which clinician decisions are allowed, as a truth table (screening.domain.decisions.make_decision)."""

from __future__ import annotations

from datetime import date

import pytest

from screening.domain.decisions import InvalidDecision, approvable, initial_review_state, make_decision

TODAY = date(2026, 11, 23)
TOXIN_REVIEW = {"toxin": "review"}
BOTH_REVIEW = {"toxin": "review", "filler": "review"}
TOXIN_REVIEW_FILLER_CLEAR = {"toxin": "review", "filler": "clear"}


def decide(action, outcomes=TOXIN_REVIEW, treatments=(), defer_until=None, note=""):
    return make_decision(
        action,
        treatments=list(treatments),
        treatment_outcomes=outcomes,
        defer_until=defer_until,
        # the question goes with asking for information; the other decisions carry the clinic's private note
        **({"question": note} if action == "request_information" else {"private_note": note}),
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("action", "outcomes", "treatments", "defer_until", "note", "expected"),
    [
        # one treatment under review: approving means that one, nothing to choose
        ("approve", TOXIN_REVIEW, [], None, "", ("approved", ("toxin",))),
        # both under review: the clinician chooses; each alone, or both
        ("approve", BOTH_REVIEW, ["filler"], None, "", ("approved", ("filler",))),
        ("approve", BOTH_REVIEW, ["filler", "toxin"], None, "", ("approved", ("toxin", "filler"))),
        # the clear treatment of a mixed screening is bookable already; only the review one is approved
        ("approve", TOXIN_REVIEW_FILLER_CLEAR, [], None, "", ("approved", ("toxin",))),
        # decline, defer and request information carry their note
        ("decline", TOXIN_REVIEW, [], None, "MG on history", ("declined", ())),
        ("defer", TOXIN_REVIEW, [], date(2027, 1, 1), "after the course of antibiotics", ("deferred", ())),
        ("request_information", TOXIN_REVIEW, [], None, "Which medicine?", ("information_requested", ())),
    ],
)
def test_make_decision_allowed(action, outcomes, treatments, defer_until, note, expected):
    decision = decide(action, outcomes, treatments, defer_until, note)

    assert (decision.state, decision.treatments) == expected


@pytest.mark.parametrize(
    ("action", "outcomes", "treatments", "defer_until", "note", "field"),
    [
        ("", TOXIN_REVIEW, [], None, "", "action"),  # no decision chosen
        ("overrule", TOXIN_REVIEW, [], None, "", "action"),  # not a decision
        ("approve", BOTH_REVIEW, [], None, "", "treatments"),  # both under review: choose at least one
        ("approve", TOXIN_REVIEW_FILLER_CLEAR, ["filler"], None, "", "action"),  # filler is not under review
        ("approve", BOTH_REVIEW, ["lips"], None, "", "treatments"),  # not a treatment at all
        ("approve", {"toxin": "decline"}, [], None, "", "action"),  # a rule's decline is not overturned here
        ("decline", TOXIN_REVIEW, [], None, "   ", "private_note"),  # a private note is required to decline
        ("defer", TOXIN_REVIEW, [], date(2027, 1, 1), "", "private_note"),  # ... and to defer
        ("request_information", TOXIN_REVIEW, [], None, "", "question"),  # asking needs the question
        ("defer", TOXIN_REVIEW, [], None, "wait", "defer_until"),  # a deferral needs a date
        ("defer", TOXIN_REVIEW, [], TODAY, "wait", "defer_until"),  # in the future
        ("decline", TOXIN_REVIEW, [], None, "x" * 4001, "private_note"),  # notes have a limit
        ("request_information", TOXIN_REVIEW, [], None, "x" * 4001, "question"),  # ... and questions
    ],
)
def test_make_decision_refused_names_the_field(action, outcomes, treatments, defer_until, note, field):
    with pytest.raises(InvalidDecision) as refused:
        decide(action, outcomes, treatments, defer_until, note)

    assert refused.value.field == field
    assert refused.value.message


def test_only_review_level_submissions_wait_for_a_clinician():
    assert [initial_review_state(o) for o in ("clear", "caution", "review", "defer", "decline")] == [
        "none",
        "none",
        "pending",
        "none",
        "none",
    ]
    assert approvable({"toxin": "decline", "filler": "review"}) == ["filler"]
