"""Clinician review as services: what a clinician sees of a submission (answers as the patient saw them, why each
rule fired, what changed), and deciding. Plain values in and out; one write transaction per decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from screening import clock, mail, store
from screening.domain import Question, Questionnaire, RuleSet
from screening.domain.decisions import ACTIONS, MOST_SEVERE_FIRST, Decision, InvalidDecision, approvable, make_decision
from screening.domain.rules import readable_date
from screening.errors import Conflict, FieldError, NotFound
from screening.services import clinic
from screening.services.lifecycle.restriction import refuse_restricted


class IntegrityFailure(Conflict):
    """The stored clinical content no longer matches its checksum: nothing may be decided on it."""

    message = "This screening's stored content does not match its checksum; no decision can be recorded."


@dataclass(frozen=True)
class AnswerRow:
    question_id: str
    text: str
    display: str | list[str]
    free_text: bool
    triggered: list[str]  # ids of fired rules whose condition read this answer


def display_value(question: Question | None, value: Any) -> str | list[str]:
    """An answer as a clinician reads it: option labels, dates in words."""
    if question is None:
        return ", ".join(value) if isinstance(value, list) else str(value)
    if question.type == "multi":
        return [question.label_of(v) for v in value]
    if question.type == "date":
        return readable_date(datetime.fromisoformat(value).date())
    if question.type in ("single", "yes_no"):
        return question.label_of(value)
    return value


def answers_by_section(questionnaire: Questionnaire, submission: dict[str, Any]) -> list[tuple[str, list[AnswerRow]]]:
    """The stored answers (visible questions only) grouped as the patient saw them, each with the rules it fed."""
    answers = submission["answers"]
    fed: dict[str, list[str]] = {}
    for rule in submission["rules"]:
        for question_id in rule["trigger_questions"]:
            fed.setdefault(question_id, []).append(rule["rule_id"])
    grouped: list[tuple[str, list[AnswerRow]]] = []
    seen: set[str] = set()
    for section in questionnaire.sections:
        rows = []
        for question in section.questions:
            if question.id in answers:
                seen.add(question.id)
                rows.append(
                    AnswerRow(
                        question.id,
                        question.text,
                        display_value(question, answers[question.id]),
                        question.type == "text",
                        fed.get(question.id, []),
                    )
                )
        if rows:
            grouped.append((section.title, rows))
    unknown = [key for key in answers if key not in seen]  # asked under rules that have since changed
    if unknown:
        rows = [AnswerRow(k, k, display_value(None, answers[k]), False, fed.get(k, [])) for k in unknown]
        grouped.append(("Questions no longer in the questionnaire", rows))
    return grouped


def answers_read(questionnaire: Questionnaire, submission: dict[str, Any]) -> dict[str, list[tuple[str, str, Any]]]:
    """For each fired rule, the answers its condition read: (question id, question text, answer as shown)."""
    answers = submission["answers"]
    read: dict[str, list[tuple[str, str, Any]]] = {}
    for rule in submission["rules"]:
        rows = []
        for question_id in rule["trigger_questions"]:
            if question_id in answers:
                question = questionnaire.by_id.get(question_id)
                text = question.text if question else question_id
                rows.append((question_id, text, display_value(question, answers[question_id])))
        read[rule["rule_id"]] = rows
    return read


def integrity_ok(submission: dict[str, Any]) -> bool:
    """The stored clinical content still matches the checksum written with it."""
    expected = store.checksum(
        submission["answers"],
        submission["outcome"],
        [rule["rule_id"] for rule in submission["rules"]],
        submission["ruleset_version"],
    )
    return expected == submission["checksum"] and submission.get("sealed", True)  # the seal


def waited(created_at: str, now: datetime | None = None) -> str:
    """How long a submission has waited, in words a busy clinician reads at a glance."""
    now = now or clock.utc_now()
    minutes = int((now - datetime.fromisoformat(created_at.replace("Z", "+00:00"))).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} days {hours % 24} h"


@dataclass(frozen=True)
class Changes:
    previous_id: int
    answers: list[tuple[str, Any, Any]]  # (question text, before, after); "" where there was no answer
    rules_added: list[str]
    rules_removed: list[str]


def changes_since(questionnaire: Questionnaire, previous: dict[str, Any], current: dict[str, Any]) -> Changes:
    """Which answers changed between two versions of a screening, and which rules appeared or went away."""
    before, after = previous["answers"], current["answers"]
    changed = []
    order = [q.id for q in questionnaire.questions] + sorted((set(before) | set(after)) - set(questionnaire.by_id))
    for question_id in order:
        if before.get(question_id) != after.get(question_id):
            question = questionnaire.by_id.get(question_id)
            shown = [
                display_value(question, side[question_id]) if question_id in side else "" for side in (before, after)
            ]
            changed.append((question.text if question else question_id, shown[0], shown[1]))
    old_rules = [r["rule_id"] for r in previous["rules"]]
    new_rules = [r["rule_id"] for r in current["rules"]]
    return Changes(
        previous_id=previous["id"],
        answers=changed,
        rules_added=[r for r in new_rules if r not in old_rules],
        rules_removed=[r for r in old_rules if r not in new_rules],
    )


# --------------------------------------------------------------------------------------------------------------------
# A submission page, and deciding


def submission(db: Database, submission_id: int) -> dict[str, Any]:
    """One stored screening for a clinician, or NotFound (Restricted when it is restricted: every page of one
    screening, its decision, consultation and print view, come through here)."""
    found = store.get_submission(db, submission_id)
    if found is None:
        raise NotFound()
    return refuse_restricted(found)


def page(db: Database, ruleset: RuleSet, actor: store.Actor, found: dict[str, Any]) -> dict[str, Any]:
    """Everything the submission page shows. A failed integrity check is audited each time it is seen."""
    questionnaire = ruleset.questionnaire
    intact = integrity_ok(found)
    changes, question = None, ""
    if found["previous_id"]:
        previous = store.get_submission(db, found["previous_id"])
        changes = changes_since(questionnaire, previous, found)
        question = store.clinician_question(db, previous["id"])
    if not intact:
        store.append_audit(
            db, actor.event("integrity_failure", outcome="failure", object_type="submission", object_id=found["id"])
        )
    return {
        "held": held_for(db, questionnaire, found),
        "submission": found,
        "sections": answers_by_section(questionnaire, found),
        "answers_read": answers_read(questionnaire, found),
        "decisions": store.decisions_for(db, found["id"]),
        "approvable": approvable(found["treatments"], amended=found["always_to_clinician"]),
        "changes": changes,
        "question": question,
        "intact": intact,
        "ruleset_current": found["ruleset_version"] == ruleset.version,
    }


@dataclass(frozen=True)
class Held:
    """Why a screening waits for a clinician whatever it gives: the same person's earlier screening, on which a
    clinician's defer or decline stood when this one was sent, and what changed since."""

    earlier_id: int
    decision: dict[str, Any] | None  # None when the earlier screening has since been erased
    changes: Changes | None


def held_for(db: Database, questionnaire: Questionnaire, found: dict[str, Any]) -> Held | None:
    """Why this screening is held for a clinician (the earlier decision and what changed), or None."""
    if found.get("held_by") is None:
        return None
    earlier = store.get_submission(db, found["held_by"])
    if earlier is None:
        return Held(found["held_by"], None, None)
    shown_already = earlier["id"] == found["previous_id"]  # started from that screening: its changes are shown above
    changes = None if shown_already else changes_since(questionnaire, earlier, found)
    return Held(earlier["id"], store.latest_decision(db, earlier["id"]), changes)


def record_view(db: Database, actor: store.Actor, submission_id: int) -> None:
    """Audit that a clinician opened a screening."""
    store.append_audit(db, actor.event("submission_viewed", object_type="submission", object_id=submission_id))


def decide(
    db: Database,
    config: dict[str, Any],
    actor: store.Actor,
    found: dict[str, Any],
    *,
    action: str,
    treatments: list[str],
    defer_until: date | None,
    question: str = "",
    private_note: str = "",
) -> Decision:
    """Check and record a clinician's decision, its audit row and the patient's email in one transaction.

    Raises FieldError (naming the form field at fault), IntegrityFailure, or DecisionConflict when someone
    decided first (that conflict is audited too)."""
    if not integrity_ok(found):
        store.append_audit(
            db,
            actor.event(
                "integrity_failure",
                outcome="failure",
                object_type="submission",
                object_id=found["id"],
                detail={"refused": action},
            ),
        )
        raise IntegrityFailure()
    try:
        decision = make_decision(
            action,
            treatments=treatments,
            treatment_outcomes=found["treatments"],
            defer_until=defer_until,
            question=question,
            private_note=private_note,
            today=clock.today_in(clock.zone(config["CLINIC_TIMEZONE"])),
            amended=found["always_to_clinician"],
        )
    except InvalidDecision as problem:
        raise FieldError(problem.field, problem.message) from None
    link = mail.patient_link(config, config["SECRET_KEY"], found["submission_key"])
    try:
        store.record_decision(
            db,
            found["id"],
            clinician_id=actor.id,
            action=decision.action,
            state=decision.state,
            treatments=decision.treatments,
            defer_until=decision.defer_until.isoformat() if decision.defer_until else None,
            note=decision.question,
            private_note=decision.private_note,
            audit=actor.event(
                "decision_recorded", detail={"action": decision.action, "treatments": list(decision.treatments)}
            ),
            mails=(
                mail.decision(
                    config, found["email"], link, submission_id=found["id"], language=mail.language_of(found)
                ),
            ),
            hold=_hold_others(db, config, actor) if decision.action in STANDING_ACTIONS else None,
        )
    except store.DecisionConflict as conflict:
        conflict.detail.update(submission=found, actions=ACTIONS)
        store.append_audit(
            db,
            actor.event(
                "decision_conflict",
                outcome="failure",
                object_type="submission",
                object_id=found["id"],
                detail={"action": decision.action},
            ),
        )
        raise
    mail.nudge(config)
    return decision


# A defer or decline stands against the person, not only this screening: docs/decisions.md, "A clinician's decision
# stands".
STANDING_ACTIONS = ("decline", "defer")


def _hold_others(db: Database, config: dict[str, Any], actor: store.Actor) -> store.HoldOthers:
    """The same person's other current screenings wait for a clinician from this decision on, each audited and, when
    it newly waits, with the clinic's alert to its notification address (none when it has none)."""
    alerts_to = clinic.alert_address(db, config)
    return store.HoldOthers(
        audit=actor.event("submission_held"),
        notice=lambda submission_id: (mail.review_needed(config, alerts_to, submission_id),) if alerts_to else (),
    )


def queue_page(db: Database, filters: dict[str, Any], *, after: str = "") -> dict[str, Any]:
    """One page of the queue for the filters chosen (level, state, treatment, dates), with counts per state."""
    level, state, treatment = filters["level"], filters["state"], filters["treatment"]
    outcomes = MOST_SEVERE_FIRST if level == "any" else (level,)
    since, until = filters.get("since"), filters.get("until")
    rows, next_cursor = store.queue(
        db,
        outcomes=outcomes,
        states=() if state == "any" else (state,),
        treatment="" if treatment == "any" else treatment,
        since=since.isoformat() if since else "",
        until=(until + timedelta(days=1)).isoformat() if until else "",
        after=after,
    )
    return {
        "rows": rows,
        "next_cursor": next_cursor,
        "counts": store.state_counts(db, outcomes),
        "title": "Screenings waiting for review",
    }


def cautions(db: Database, *, after: str = "") -> tuple[list[dict[str, Any]], str | None]:
    """A page of the screenings in which any treatment came out caution (whatever the overall outcome: a caution
    filler beside a toxin under review is listed), for the practitioner's preparation."""
    return store.queue(db, outcomes=MOST_SEVERE_FIRST, states=(), after=after, treatment_outcome="caution")


def printed(db: Database, actor: store.Actor, submission_id: int) -> dict[str, Any]:
    """One screening for its A4 print view, the printing audited; NotFound for an unknown one."""
    found = submission(db, submission_id)
    store.append_audit(db, actor.event("submission_printed", object_type="submission", object_id=submission_id))
    return found
