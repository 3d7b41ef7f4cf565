"""The whole clinic as a stateful property: patients, clinicians and admins act through the services in any order
(screen, screen again, decide, ask a question, answer it, book, cancel, withdraw a slot, record a consultation,
erase, restrict, purge, back up, let days pass) and after every step the clinic's invariants hold:

- no treatment is bookable against a clinician's standing decision (a decline, or a deferral to a later day, on the
  same person's earlier screening) that stood when the screening was sent, nor when its own outcome is review (or it
  is an amendment) and no clinician approved it;
- the reasons the patient's page gives are exactly the fired rules' messages, each once;
- every submission's seal verifies and the audit chain is whole;
- erasure either finishes (the family's rows are gone) or refuses with a message; never another exception;
- every email about a screening goes to that screening's address, and a patient's copy of their data holds nothing
  about anybody else (no other person's name, address, screening or private link).

Each example has a database of its own, made by screening.db.migrate; the time is the `clock` fixture's, moved by the
machine. The people are a small pool whose details overlap (a shared date of birth, a shared phone and a shared
email address) so that screenings are held, matched and confused where a clinic could confuse them. Each action
calls its services in one small helper below, so a change to a service's signature is made in one place.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from screening import store
from screening.db import connect, migrate
from screening.errors import FieldError, ServiceError
from screening.mail import links
from screening.services import clinic, consultation, intake, review
from screening.services.lifecycle import backup, erasure, patient_copy, retention
from tests.factories import (
    STEP_SLUGS,
    answers_by_step,
    flat_answers,
    make_admin,
    make_clinician,
    rows,
    set_register,
    shipped_ruleset,
)

RULESET = shipped_ruleset()
START = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)  # a Monday morning in winter: London is on UTC
CLINIC_EMAIL = "desk@clinic.example"


@dataclass(frozen=True)
class Person:
    full_name: str
    email: str
    date_of_birth: date
    phone: str


# Ann and Ben were born on the same day; Cat shares Ann's phone and her email address (a household's), not her
# birthday. The clinic tells people apart as intake.standing_decision_for does: email and date of birth together, or
# the phone.
PEOPLE = (
    Person("Ann Alder", "ann.alder@example.org", date(1990, 7, 22), "07700 900101"),
    Person("Ben Birch", "ben.birch@example.org", date(1990, 7, 22), "07700 900202"),
    Person("Cat Cedar", "ann.alder@example.org", date(1984, 3, 15), "07700 900101"),
)

# Answers by the outcome they give under the shipped rules (tests/factories.py checks these variants).
VARIANTS = {
    "clear": ("toxin", {}),
    "clear both": ("both", {}),
    "caution": ("toxin", {"upcoming_event": "yes"}),
    "review toxin": ("toxin", {"neuro_conditions": ["multiple_sclerosis"]}),
    "review filler": ("filler", {"bleeding_disorder": "yes"}),
    "review toxin of both": ("both", {"neuro_conditions": ["multiple_sclerosis"]}),
    "defer": ("toxin", {"unwell_now": "yes"}),
    "decline": ("toxin", {"neuro_conditions": ["myasthenia_gravis"]}),
}
DECISIONS = ("approve", "decline", "defer", "request_information")


def clinic_sees_same_person(one: Person, other: Person) -> bool:
    """As a clinic without accounts can tell: the same email and date of birth, or the same phone."""
    return (one.email == other.email and one.date_of_birth == other.date_of_birth) or one.phone == other.phone


# --------------------------------------------------------------------------------------------------------------------
# One helper per action: each calls the services as the pages and the CLI do.


def screen(db, config, person: Person, variant: str, *, finish: bool, today: date) -> None:
    """A patient answers every step, gives their details and (when `finish`) sends the screening."""
    treatment, overrides = VARIANTS[variant]
    new = intake.start(db, config)
    steps = answers_by_step(treatment, date_of_birth=person.date_of_birth, **overrides)
    for slug in STEP_SLUGS:  # as the form sends them: a date as YYYY-MM-DD text
        draft = intake.draft_for(db, new.draft_token, config["DRAFT_LIFETIME"])
        saved = intake.save_step(
            db, RULESET, draft, RULESET.questionnaire.section(slug), flat_answers({slug: steps[slug]}), today
        )
        assert saved.saved, (slug, saved.problems)
    draft = intake.draft_for(db, new.draft_token, config["DRAFT_LIFETIME"])
    intake.save_details(db, draft, person.full_name, person.email, person.phone)
    if finish:
        _send(db, config, new, person, today)


def screen_again(db, config, earlier: dict[str, Any], person: Person, variant: str, *, today: date) -> None:
    """A returning patient starts from an earlier screening and sends changed answers."""
    treatment, overrides = VARIANTS[variant]
    new = intake.screen_again(db, config, earlier)
    draft = intake.draft_for(db, new.draft_token, config["DRAFT_LIFETIME"])
    answers = flat_answers(answers_by_step(treatment, date_of_birth=person.date_of_birth, **overrides))
    store.save_draft_answers(db, draft, answers)
    _send(db, config, new, person, today)


def _send(db, config, new: intake.NewDraft, person: Person, today: date) -> None:
    draft = intake.draft_for(db, new.draft_token, config["DRAFT_LIFETIME"])
    intake.submit(
        db,
        config,
        store.Actor("patient"),
        RULESET,
        draft,
        access_token=new.access_token,
        signature=person.full_name,
        reply="",
        today=today,
    )


def decide(db, config, clinician_id: int, found: dict[str, Any], action: str, *, defer_until: date) -> None:
    """A clinician decides a pending screening (approving every treatment they may approve)."""
    review.decide(
        db,
        config,
        store.Actor("clinician", clinician_id),
        found,
        action=action,
        treatments=review.approvable(found["treatments"], amended=found["always_to_clinician"])
        if action == "approve"
        else [],
        defer_until=defer_until if action == "defer" else None,
        question="Which medicine do you take?" if action == "request_information" else "",
        private_note="A note for the clinic" if action in ("decline", "defer") else "",
    )


def reply(db, config, found: dict[str, Any], *, today: date) -> None:
    """The patient answers the clinician's question without changing an answer."""
    intake.reply_to_question(
        db,
        config,
        store.Actor("patient"),
        RULESET,
        found,
        reply="My answer to your question",
        signature=found["full_name"],
        today=today,
    )


def free_slot_ids(db, config, found: dict[str, Any]) -> list[int]:
    return [slot["id"] for slot in intake.free_slots(db, config, intake.booking_status(db, config, found))]


def book(db, config, found: dict[str, Any], slot_id: int) -> None:
    intake.book(db, config, store.Actor("patient"), found, str(slot_id))


def cancel(db, config, found: dict[str, Any]) -> bool:
    return intake.cancel_booking(db, config, store.Actor("patient"), found)


def publish(db, config, admin_id: int, day: date) -> None:
    """An admin publishes a morning of half-hour slots with Dr Ada, in the clinic's zone."""
    clinic.publish_schedule(
        db,
        store.Actor("admin", admin_id),
        intake.clinic_zone(config),
        first_day=day,
        last_day=day,
        opens=time(10, 0),
        closes=time(12, 0),
        every=timedelta(minutes=30),
        practitioner="Dr Ada",
    )


def withdraw(db, config, admin_id: int, slot_id: int) -> None:
    clinic.withdraw_slot(db, config, store.Actor("admin", admin_id), slot_id, "The practitioner is unwell")


def consult(db, config, clinician_id: int, found: dict[str, Any], *, walk_in: bool, today: date) -> None:
    """The practitioner records an attended consultation (at the appointment, or as a walk-in)."""
    consultation.record(
        db,
        store.Actor("clinician", clinician_id),
        found,
        clinic.clinician(db, clinician_id=clinician_id),
        today,
        attendance="attended",
        id_document="passport",
        id_date_of_birth=date.fromisoformat(found["answers"]["date_of_birth"]),
        answers="confirmed",
        consulted=True,
        note="",
        zone=intake.clinic_zone(config),
        walk_in=walk_in,
    )


def erase(db, config, admin_id: int, person: Person, outbox: Path) -> erasure.Plan:
    """An admin erases a patient (found by email and date of birth); returns the plan it carried out."""
    plan = erasure.plan(
        db, person.email, person.date_of_birth.isoformat(), consulted_years=config["RETENTION_CONSULTED_YEARS"]
    )
    erasure.erase(db, plan, store.Actor("admin", admin_id).event("patient_erased"), outbox_dir=outbox)
    return plan


def restrict(db, config, admin_id: int, person: Person) -> list[int]:
    plan = erasure.plan(
        db, person.email, person.date_of_birth.isoformat(), consulted_years=config["RETENTION_CONSULTED_YEARS"]
    )
    return erasure.restrict(db, plan, store.Actor("admin", admin_id).event("submission_restricted"))


def purge(db, config) -> None:
    retention.purge(db, retention.Policy.from_config(config), actor={"actor_role": "system"})


def back_up(config, target: Path) -> backup.Summary:
    return backup.take_backup(config["DATABASE"], target)


def data_copy(db, config, submission_id: int, now: datetime) -> dict[str, Any]:
    return patient_copy.build(
        db, RULESET.questionnaire, RULESET.version, submission_id, clinic=config["CLINIC_NAME"], now=now
    )


# The refusals erasure may give: the request matches nobody (ErasureInputError, the plan's own refusal) or a service
# refuses with a message. Anything else (an IntegrityError, a KeyError) is a defect.
ERASURE_REFUSALS = (ServiceError, erasure.ErasureInputError)


# --------------------------------------------------------------------------------------------------------------------
# What the machine remembers: who each screening is about, and when a clinician's decision stood when it was sent.


@dataclass
class Sent:
    person: int  # index into PEOPLE
    held_when_sent: bool  # by the test's own reckoning of the standing decisions, not the product's


@dataclass
class World:
    sent: dict[int, Sent] = field(default_factory=dict)


def clinic_machine(tmp_path: Path, clock, app) -> type[RuleBasedStateMachine]:
    """The clinic as a state machine, on the test's clock and the app's settings, each example in its own folder."""
    base_config = dict(app.config)
    examples = itertools.count()

    class Clinic(RuleBasedStateMachine):
        @initialize(
            first=st.lists(
                st.tuples(st.integers(0, len(PEOPLE) - 1), st.sampled_from(sorted(VARIANTS))), min_size=2, max_size=4
            )
        )
        def open_the_clinic(self, first):
            folder = Path(tempfile.mkdtemp(dir=tmp_path, prefix=f"clinic-{next(examples)}-"))
            self.folder = folder
            self.config = {
                **base_config,
                "DATABASE": str(folder / "screening.sqlite3"),
                "INSTANCE_PATH": str(folder),
                "CLINIC_EMAIL": CLINIC_EMAIL,
                "RETENTION_UNBOOKED_DAYS": 6,  # so that a purge within a few days of the clinic has work to do
            }
            migrate(self.config["DATABASE"])
            clock.set(START)
            self.db = connect(self.config["DATABASE"])
            path = self.config["DATABASE"]
            self.clinician_id = make_clinician(path)
            set_register(path, self.clinician_id, "GMC", "7654321")
            self.admin_id = make_admin(path)
            self.world = World()
            self.backups = itertools.count()
            for days in range(4):
                publish(self.db, self.config, self.admin_id, self.today() + timedelta(days=days))
            for person, variant in first:  # the morning's screenings, whichever rules this example draws
                screen(self.db, self.config, PEOPLE[person], variant, finish=True, today=self.today())
                self.note_new_submissions(person)

        def teardown(self):
            if hasattr(self, "db"):
                self.db.close()

        # ------------------------------------------------------------------------------------------------------------
        # Reading the clinic

        def today(self) -> date:
            return intake.clinic_today(self.config)

        def ids(self, sql: str = "SELECT id FROM submission ORDER BY id") -> list[int]:
            return [row["id"] for row in rows(self.config["DATABASE"], sql)]

        def current(self) -> list[dict[str, Any]]:
            return [
                store.get_submission(self.db, sid)
                for sid in self.ids("SELECT id FROM submission WHERE superseded_by IS NULL ORDER BY id")
            ]

        def pick(self, found: list, choice: int):
            return found[choice % len(found)] if found else None

        def in_state(self, *states: str) -> list[dict[str, Any]]:
            return [s for s in self.current() if s["review_state"] in states]

        def standing_for(self, person: int, before: int) -> list[dict[str, Any]]:
            """The standing decisions (a decline, or a deferral to a later day) on current screenings made before
            `before` by the same person as the clinic tells: each screening's last decision, read from the decisions
            with this test's own idea of a person and of what stands."""
            today = self.today().isoformat()
            standing = []
            for sid in self.ids("SELECT id FROM submission WHERE superseded_by IS NULL ORDER BY id"):
                if sid >= before or not clinic_sees_same_person(self.person_of(sid), PEOPLE[person]):
                    continue
                decisions = store.decisions_for(self.db, sid)
                last = decisions[-1] if decisions else None
                if last and (
                    last["action"] == "decline" or (last["action"] == "defer" and (last["defer_until"] or "") > today)
                ):
                    standing.append(last)
            return standing

        def person_of(self, submission_id: int) -> Person:
            return PEOPLE[self.world.sent[submission_id].person]

        def forget_what_is_gone(self) -> None:
            present = set(self.ids())
            for sid in [sid for sid in self.world.sent if sid not in present]:
                del self.world.sent[sid]

        def note_new_submissions(self, person: int) -> None:
            for sid in self.ids():
                if sid not in self.world.sent:
                    self.world.sent[sid] = Sent(person, bool(self.standing_for(person, before=sid)))

        # ------------------------------------------------------------------------------------------------------------
        # Patients

        @rule(person=st.integers(0, len(PEOPLE) - 1), variant=st.sampled_from(sorted(VARIANTS)), finish=st.booleans())
        def a_patient_screens(self, person, variant, finish):
            screen(self.db, self.config, PEOPLE[person], variant, finish=finish, today=self.today())
            self.note_new_submissions(person)

        @rule(choice=st.integers(0, 99), variant=st.sampled_from(sorted(VARIANTS)))
        def a_patient_screens_again(self, choice, variant):
            earlier = self.pick(self.current(), choice)
            if earlier is None:
                return
            person = self.world.sent[earlier["id"]].person
            screen_again(self.db, self.config, earlier, PEOPLE[person], variant, today=self.today())
            self.note_new_submissions(person)

        @rule(choice=st.integers(0, 99))
        def a_patient_answers_the_question(self, choice):
            asked = self.pick(self.in_state("information_requested"), choice)
            if asked is None:
                return
            reply(self.db, self.config, asked, today=self.today())
            self.note_new_submissions(self.world.sent[asked["id"]].person)

        @rule(choice=st.integers(0, 99), slot_choice=st.integers(0, 99), offered_only=st.booleans())
        def a_patient_books(self, choice, slot_choice, offered_only):
            candidates = self.current()
            if offered_only:  # most patients book what their page offers; the others try anyway
                candidates = [found for found in candidates if free_slot_ids(self.db, self.config, found)]
            found = self.pick(candidates, choice)
            if found is None:
                return
            free = free_slot_ids(self.db, self.config, found)
            if not free:  # nothing offered: the service refuses any slot, with its message
                every = self.ids("SELECT id FROM slot ORDER BY id")
                try:
                    book(self.db, self.config, found, self.pick(every, slot_choice))
                except intake.NothingToBook as refused:
                    assert refused.message
                else:
                    raise AssertionError(f"screening {found['id']} booked a slot it was not offered")
                return
            book(self.db, self.config, found, self.pick(free, slot_choice))
            assert intake.booking_status(self.db, self.config, found).booking is not None

        @rule(choice=st.integers(0, 99))
        def a_patient_cancels(self, choice):
            found = self.pick(self.current(), choice)
            if found is None:
                return
            had = intake.booking_status(self.db, self.config, found).booking is not None
            assert cancel(self.db, self.config, found) == had

        # ------------------------------------------------------------------------------------------------------------
        # Clinicians

        @rule(choice=st.integers(0, 99), action=st.sampled_from(DECISIONS), days=st.integers(1, 5))
        def a_clinician_decides(self, choice, action, days):
            found = self.pick(self.in_state("pending"), choice)
            if found is None:
                return
            nothing_to_approve = not review.approvable(found["treatments"], amended=found["always_to_clinician"])
            try:
                decide(
                    self.db,
                    self.config,
                    self.clinician_id,
                    found,
                    action,
                    defer_until=self.today() + timedelta(days=days),
                )
            except FieldError as refused:  # a held screening whose rules decline or defer: no approval overturns them
                assert action == "approve" and nothing_to_approve, refused.message
                assert store.get_submission(self.db, found["id"])["review_state"] == "pending"

        @rule(choice=st.integers(0, 99), walk_in=st.booleans())
        def a_practitioner_records_a_consultation(self, choice, walk_in):
            found = self.pick(self.current(), choice)
            if found is None:
                return
            try:
                consult(self.db, self.config, self.clinician_id, found, walk_in=walk_in, today=self.today())
            except ServiceError as refused:  # no appointment and not a walk-in, or the appointment is on a later day
                assert refused.message

        # ------------------------------------------------------------------------------------------------------------
        # Admins and the system

        @rule(days=st.integers(0, 3))
        def an_admin_publishes_slots(self, days):
            try:
                publish(self.db, self.config, self.admin_id, self.today() + timedelta(days=days))
            except ServiceError as refused:  # those times exist already, or today's are past
                assert refused.message

        @rule(choice=st.integers(0, 99))
        def an_admin_withdraws_a_slot(self, choice):
            slot_id = self.pick(self.ids("SELECT id FROM slot WHERE cancelled_at IS NULL ORDER BY id"), choice)
            if slot_id is not None:
                withdraw(self.db, self.config, self.admin_id, slot_id)

        @rule(person=st.integers(0, len(PEOPLE) - 1))
        def an_admin_erases_a_patient(self, person):
            before = set(self.ids())
            try:
                plan = erase(self.db, self.config, self.admin_id, PEOPLE[person], self.folder / "outbox")
            except ERASURE_REFUSALS as refused:
                assert str(refused), "an erasure refused without a reason"
                assert set(self.ids()) == before, "a refused erasure changed something"
                return
            left = set(self.ids())
            for screening in plan.erasable:
                assert not set(screening.family.ids) & left, f"erasure left {screening.family.ids} behind"
            for screening in plan.retained:
                assert set(screening.family.ids) <= left, f"erasure took {screening.family.ids}, which it must keep"
            self.forget_what_is_gone()

        @rule(person=st.integers(0, len(PEOPLE) - 1))
        def an_admin_restricts_a_patient(self, person):
            try:
                restrict(self.db, self.config, self.admin_id, PEOPLE[person])
            except ERASURE_REFUSALS as refused:
                assert str(refused)

        @rule()
        def the_daily_purge_runs(self):
            purge(self.db, self.config)
            self.forget_what_is_gone()

        @rule()
        def an_admin_backs_up(self):
            summary = back_up(self.config, self.folder / f"backup-{next(self.backups)}.sqlite3")
            assert summary.chain_broken_at is None, summary.chain_problem
            assert summary.submissions == len(self.ids())

        @rule(days=st.integers(1, 7))
        def days_pass(self, days):
            clock.set(clock.now() + timedelta(days=days))

        # ------------------------------------------------------------------------------------------------------------
        # The invariants

        @invariant()
        def nothing_is_bookable_that_waits_for_a_clinician(self):
            if not hasattr(self, "db"):
                return
            for found in self.current():
                status = intake.booking_status(self.db, self.config, found)
                bookable, approved, sid = set(status.bookable_treatments), status.approved, found["id"]
                for treatment, outcome in found["treatments"].items():
                    if outcome == "review" and treatment not in approved:
                        assert treatment not in bookable, f"screening {sid}: {treatment} is bookable unreviewed"
                if found["kind"] == "amendment":
                    assert bookable <= approved, f"amendment {sid}: {sorted(bookable - approved)} bookable unreviewed"
                if self.world.sent[sid].held_when_sent:
                    assert bookable <= approved, (
                        f"screening {sid}, sent while a clinician's decision on the same person stood, offers"
                        f" {sorted(bookable - approved)} with no clinician's approval"
                    )

        @invariant()
        def nothing_is_bookable_against_a_standing_decision(self):
            """The issue's wording, whenever the decision was made: a decline, or a deferral to a later day, that
            stands on the same person's earlier screening leaves nothing bookable that no clinician approved since.

            This holds also when the decision comes after the later screening was sent (the same person sends a
            second screening while the first waits, then a clinician declines the first), because the decision
            holds the person's other screenings too (docs/decisions.md, "A clinician's decision stands")."""
            if not hasattr(self, "db"):
                return
            for found in self.current():
                sid = found["id"]
                if found["restricted_at"]:  # frozen: no patient page opens it, and a decision never touches it
                    continue
                standing = self.standing_for(self.world.sent[sid].person, before=sid)
                if not standing:
                    continue
                status = intake.booking_status(self.db, self.config, found)
                since = max(decision["id"] for decision in standing)
                approved_since = {
                    treatment
                    for decision in store.decisions_for(self.db, sid)
                    if decision["action"] == "approve" and decision["id"] > since
                    for treatment in decision["treatments"]
                }
                offered = set(status.bookable_treatments) - approved_since
                assert not offered, (
                    f"screening {sid} offers {sorted(offered)} while a clinician's decision on screening"
                    f" {[d['submission_id'] for d in standing]} of the same person stands"
                )

        @invariant()
        def the_page_gives_every_fired_rule_its_message_once(self):
            if not hasattr(self, "db"):
                return
            for found in self.current():
                states = intake.treatment_states(self.db, found, intake.booking_status(self.db, self.config, found))
                shown = [reason for state in states for reason in state.reasons]
                fired = {rule["patient_message"] for rule in found["rules"]}
                assert len(shown) == len(set(shown)), f"screening {found['id']}: a reason is shown twice"
                assert set(shown) == fired, f"screening {found['id']}: {set(shown) ^ fired}"

        @invariant()
        def every_seal_and_the_audit_chain_verify(self):
            if not hasattr(self, "db"):
                return
            for sid in self.ids():
                assert store.seal_intact(self.db, sid), f"screening {sid}'s seal does not verify"
            chain = store.verify_audit_chain(self.db)
            assert chain.first_broken is None, chain.reason

        @invariant()
        def mail_and_copies_reach_only_the_person_they_are_about(self):
            if not hasattr(self, "db"):
                return
            current = self.current()
            every = {sid: store.get_submission(self.db, sid) for sid in self.ids()}
            for row in rows(self.config["DATABASE"], "SELECT to_addr, body FROM outbox"):
                for found in every.values():
                    if links.private_link_ref(found["submission_key"]) in row["body"]:
                        assert row["to_addr"] == found["email"], f"mail about {found['id']} went to {row['to_addr']}"
            for found in current:
                owner = PEOPLE[self.world.sent[found["id"]].person]
                copy = data_copy(self.db, self.config, found["id"], clock.now())
                text = json.dumps(copy, ensure_ascii=False)
                own = {screening["reference"] for screening in copy["screenings"]}
                for other_id, other in every.items():
                    if PEOPLE[self.world.sent[other_id].person] == owner:
                        continue
                    assert other_id not in own, f"the copy for {found['id']} holds screening {other_id}"
                    assert other["full_name"] not in text, f"the copy for {found['id']} names {other['full_name']}"
                    if other["email"] != owner.email:
                        assert other["email"] not in text, f"the copy for {found['id']} holds {other['email']}"
                    assert other["submission_key"] not in text, (
                        f"the copy for {found['id']} holds the private link of screening {other_id}"
                    )

    return Clinic


INVARIANTS = (
    "nothing_is_bookable_that_waits_for_a_clinician",
    "nothing_is_bookable_against_a_standing_decision",
    "the_page_gives_every_fired_rule_its_message_once",
    "every_seal_and_the_audit_chain_verify",
    "mail_and_copies_reach_only_the_person_they_are_about",
)


def test_the_whole_clinic_keeps_its_invariants_whatever_happens(tmp_path, clock, app):
    run_state_machine_as_test(
        clinic_machine(tmp_path, clock, app),
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),  # no explain phase: it traces, slowly
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


# Sequences the machine found, kept so that they are tried on every run whatever Hypothesis draws.
FOUND = {
    # Ann sends a screening a clinician must see and, while it waits, a clear one; a clinician declines the first.
    "a clear screening sent while the first waited": (
        [(0, "review toxin"), (0, "clear")],
        [("a_clinician_decides", {"choice": 0, "action": "decline", "days": 1})],
    ),
    # Ann's "both" screening is declined (its filler was clear, and stays bookable); the decline holds her caution
    # screening, which a clinician then declines too: the filler of the first must stop being bookable.
    "a declined screening's clear filler": (
        [(0, "caution"), (0, "review toxin of both")],
        [("a_clinician_decides", {"choice": 0, "action": "decline", "days": 1})] * 2,
    ),
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_the_sequences_the_machine_found_keep_the_invariants(tmp_path, clock, app, name):
    first, steps = FOUND[name]
    machine = clinic_machine(tmp_path, clock, app)()
    try:
        machine.open_the_clinic(first=first)
        for step, arguments in steps:
            getattr(machine, step)(**arguments)
            for invariant_name in INVARIANTS:
                getattr(machine, invariant_name)()
    finally:
        machine.teardown()
