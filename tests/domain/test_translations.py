"""A translation changes only words: localize() keeps every condition, id, level and the version, so the engine judges
a Spanish form exactly as an English one; the check names every problem; the pseudo-translation is valid."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.domain import evaluate_screening
from screening.domain.translations import (
    Approval,
    check_translation,
    load_translation,
    localize,
    localized_message,
    pseudo,
    pseudo_translation,
    wording_version,
)
from tests.factories import RULES_DIR, shipped_ruleset

RULESET = shipped_ruleset()
SPANISH = load_translation(RULES_DIR / "translations" / "es.toml")
VIGNETTES = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "vignettes-public.json"


def structure(ruleset):
    """Everything of a rule set but its words."""
    questionnaire = ruleset.questionnaire
    return (
        ruleset.version,
        ruleset.overrides,
        [(s.id, s.slug, [q.id for q in s.questions]) for s in questionnaire.sections],
        [(q.id, q.type, q.section, q.number, q.optional, q.shown_when, q.option_ids) for q in questionnaire.questions],
        [(r.id, r.level, r.applies, r.condition, r.rationale, r.sources, r.trigger_questions) for r in ruleset.rules],
        [[p if not isinstance(p, str) else "" for p in r.patient_message.parts] for r in ruleset.rules],
    )


def test_the_shipped_spanish_is_valid_complete_and_awaiting_approval():
    report = check_translation(SPANISH, RULESET)

    assert report.problems == ()
    assert report.untranslated == ()
    assert not SPANISH.approval.given and not SPANISH.approval.started
    assert not report.offerable
    assert report.summary() == "es: 0 untranslated, awaiting a clinician's approval"


def test_localize_replaces_every_word_with_the_spanish():
    spanish = localize(RULESET, SPANISH)

    assert spanish.questionnaire.section("allergies").title == "Alergias"
    assert spanish.questionnaire.by_id["pregnant"].label_of("not_sure") == "No lo sé con seguridad"
    assert spanish.questionnaire.by_id["cold_sore_now"].label_of("yes") == "Sí"
    for question in spanish.questionnaire.questions:  # every question's text is the file's, none left in English
        assert question.text == SPANISH.questions[question.id]["text"]
    for rule in spanish.rules:
        assert rule.patient_message.text == SPANISH.messages[rule.id], rule.id


@settings(max_examples=40, deadline=None)
@given(
    keep_questions=st.sets(st.sampled_from(sorted(SPANISH.questions))),
    keep_messages=st.sets(st.sampled_from(sorted(SPANISH.messages))),
    keep_sections=st.sets(st.sampled_from(sorted(SPANISH.sections))),
)
def test_localize_leaves_every_condition_id_level_and_the_version_unchanged(
    keep_questions, keep_messages, keep_sections
):
    """Whatever part of the wording is translated, only words differ; what is not translated stays English."""
    partial = replace(
        SPANISH,
        questions={qid: SPANISH.questions[qid] for qid in keep_questions},
        messages={rid: SPANISH.messages[rid] for rid in keep_messages},
        sections={sid: SPANISH.sections[sid] for sid in keep_sections},
    )

    localized = localize(RULESET, partial)

    assert structure(localized) == structure(RULESET)
    for question in localized.questionnaire.questions:
        english = RULESET.questionnaire.by_id[question.id]
        assert (question.text == english.text) == (question.id not in keep_questions)
    for rule in localized.rules:
        assert (rule.patient_message == RULESET.rule(rule.id).patient_message) == (rule.id not in keep_messages)


def test_every_public_case_is_judged_the_same_in_spanish():
    spanish = localize(RULESET, SPANISH)
    for case in json.loads(VIGNETTES.read_text(encoding="utf-8")):
        on = date.fromisoformat(case["screening_date"])
        english = evaluate_screening(RULESET, RULESET.questionnaire.normalise(case["answers"], on))
        localized = evaluate_screening(spanish, spanish.questionnaire.normalise(case["answers"], on))

        assert (localized.outcome, localized.rule_ids, localized.treatments) == (
            english.outcome,
            english.rule_ids,
            english.treatments,
        ), case["id"]
        assert localized.outcome == case["expected_outcome"], case["id"]


def test_wording_version_follows_words_and_not_conditions():
    rule = RULESET.rules[0]
    stricter = replace(RULESET, rules=(replace(rule, level="defer"), *RULESET.rules[1:]))
    reworded_question = RULESET.questionnaire.questions[0]
    sections = list(RULESET.questionnaire.sections)
    sections[0] = replace(
        sections[0], questions=(replace(reworded_question, text="When were you born?"), *sections[0].questions[1:])
    )
    reworded = replace(RULESET, questionnaire=type(RULESET.questionnaire)(tuple(sections)))

    assert wording_version(stricter) == wording_version(RULESET)
    assert wording_version(reworded) != wording_version(RULESET)


def test_the_check_names_the_file_the_id_and_the_value():
    broken = replace(
        SPANISH,
        sections={**SPANISH.sections, "Z": "Zeta"},
        questions={**SPANISH.questions, "cold_sore_now": {**SPANISH.questions["cold_sore_now"], "help": "Ayuda"}},
        messages={**SPANISH.messages, "toxin_within_90_days": "Espere {last_toxin_date + 30 days}."},
        approval=Approval("", "NMC 12A3456", ""),
        translates="0000000000000000",
    )

    problems = check_translation(broken, RULESET).problems

    assert problems == (
        f"translations/es.toml: translates: '0000000000000000' is stale: the English wording is now "
        f"'{wording_version(RULESET)}' (bring the changed wording up to date, then have it approved again)",
        "translations/es.toml: approved_by: missing, but the approval is partly filled in "
        "(register = 'NMC 12A3456', approved_at = '')",
        "translations/es.toml: approved_at: missing, but the approval is partly filled in "
        "(approved_by = '', register = 'NMC 12A3456')",
        "translations/es.toml: sections.Z: unknown section id (title 'Zeta')",
        "translations/es.toml: questions.cold_sore_now.help: the English has no help text (help 'Ayuda')",
        "translations/es.toml: messages.toxin_within_90_days: missing placeholder {last_toxin_date + 90 days} "
        "(the English has it) in 'Espere {last_toxin_date + 30 days}.'",
        "translations/es.toml: messages.toxin_within_90_days: placeholder {last_toxin_date + 30 days} is not in "
        "the English, in 'Espere {last_toxin_date + 30 days}.'",
    )


def test_an_untranslated_id_is_reported_apart_and_keeps_the_english():
    missing = replace(SPANISH, messages={k: v for k, v in SPANISH.messages.items() if k != "unwell_now"})
    missing = replace(missing, approval=Approval("Dr Ana García", "GMC 7654321", "2026-12-01"))

    report = check_translation(missing, RULESET)

    assert report.problems == ()
    assert report.untranslated == ("messages.unwell_now",)
    assert not report.offerable
    assert localize(RULESET, missing).rule("unwell_now").patient_message == RULESET.rule("unwell_now").patient_message


def test_a_complete_valid_approved_translation_is_offerable():
    approved = replace(SPANISH, approval=Approval("Dr Ana García", "GMC 7654321", "2026-12-01"))

    assert check_translation(approved, RULESET).offerable


def test_the_pseudo_translation_passes_the_check_for_every_id():
    translation = pseudo_translation(RULESET)

    report = check_translation(translation, RULESET)

    assert report.problems == () and report.untranslated == ()
    localized = localize(RULESET, translation)
    assert structure(localized) == structure(RULESET)
    assert all(
        q.text.startswith("[") and q.text != RULESET.questionnaire.by_id[q.id].text
        for q in localized.questionnaire.questions
    )
    assert "{last_toxin_date + 90 days}" in localized.rule("toxin_within_90_days").patient_message.text
    assert pseudo("Are you pregnant?") == "[Åŕé ýöû þŕéĝñåñţ? ~~~~ ~]"  # every letter accented, a third longer


def test_a_stored_message_is_given_again_in_spanish_with_the_same_date():
    spanish = localize(RULESET, SPANISH)
    env = {"last_toxin_date": date(2025, 1, 10)}
    english = RULESET.rule("toxin_within_90_days").patient_message.render(env)

    shown = localized_message({"rule_id": "toxin_within_90_days", "patient_message": english}, RULESET, spanish, env)

    assert shown == spanish.rule("toxin_within_90_days").patient_message.render(env)
    assert shown.startswith("Entre dos tratamientos antiarrugas") and "10 April 2025" in shown


def test_a_stored_message_the_rules_no_longer_say_is_shown_as_stored():
    spanish = localize(RULESET, SPANISH)
    older = {"rule_id": "unwell_now", "patient_message": "Please come back when you are better."}
    gone = {"rule_id": "retired_rule", "patient_message": "An old reason."}

    assert localized_message(older, RULESET, spanish, {}) == older["patient_message"]
    assert localized_message(gone, RULESET, spanish, {}) == gone["patient_message"]
