"""What tests build, and read back: the application, the baseline patient's answers (flat, by page, or complete for
the domain's tests), the spec's visibility oracle, and clinicians, submissions, slots and mail made through the real
store, with the rows they leave in the database.

The baseline patient is the vignettes' one: a woman born on 22 July 1990 (34 on the domain tests' screening date,
10 March 2025) who has nothing to declare. `baseline_answers` gives her answers in the specification's encoding (the
JSON `screening evaluate` reads: dates as YYYY-MM-DD text), for the questions shown by default for a treatment; an
override by question id replaces an answer, and None removes it. `answers_by_step` groups them by the page that asks
them (the date of birth as the three boxes hold it), and `answers_for` completes them for the domain's tests.

The visibility oracle (SHOWN_WHEN, expected_visible) is written by hand from spec.md section 3 ("shown when"),
independently of the code under test, so `answers_for` can build a complete answer set without asking the
questionnaire what it shows; tests/test_factories.py checks that the baseline answers are exactly what it shows.

Pages and their forms are read with tests/pages.py; people walking through the product are in tests/journeys.py.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from screening import clock as app_clock
from screening import mail, store
from screening.app import create_app
from screening.db import connect
from screening.domain import Answers, Evaluation, RuleSet, evaluate_screening, load_ruleset, translations
from screening.mail import links
from screening.services import credentials
from screening.services.rules.rulebook import load_consent_texts_from
from screening.settings import BY_NAME

PROJECT_DIR = Path(__file__).resolve().parents[1]
RULES_DIR = PROJECT_DIR / "rules"
SHARED_CLINICAL_DIR = PROJECT_DIR.parent / "shared" / "clinical"

# --------------------------------------------------------------------------------------------------------------------
# The application and the shipped rules

SECRET_KEY = "x" * 40
TOTP_SEED_KEY = "s" * 64  # the clinicians' second-factor seeds are encrypted, as `screening init` sets up
PUBLIC_URL = BY_NAME["PUBLIC_URL"].default


def make_app(folder: Path, **config: Any):
    """The application as a clinic runs it (CSRF on), with its database (screening.sqlite3, as `screening init`
    names it) and instance folder in `folder`; `config` adds or replaces settings."""
    return create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "TOTP_SEED_KEY": TOTP_SEED_KEY,
            "DATABASE": str(folder / "screening.sqlite3"),
            "INSTANCE_PATH": str(folder),
            "TESTING": True,
            **config,
        }
    )


SPANISH_APPROVAL = {"approved_by": "Dr Ana García", "register": "GMC 7654321", "approved_at": "2026-12-01"}


def approved_rules(target: Path, *, approved: bool = True, drop: str | None = None, pseudo: str | None = None) -> Path:
    """A copy of the shipped rules (without their tests) in `target`, whose Spanish a clinician approved as a clinic
    fills it in (unless not `approved`); with `drop`, that one line of the Spanish removed (left untranslated); with
    `pseudo`, also an approved pseudo-translation of every id under that language code (the pseudo-locale's clinical
    wording: tests/pseudo_locale.py)."""
    folder = Path(shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("tests")))
    spanish = folder / "translations" / "es.toml"
    text = spanish.read_text(encoding="utf-8")
    if approved:
        for key, value in SPANISH_APPROVAL.items():
            text = text.replace(f'{key} = ""', f'{key} = "{value}"', 1)
    if drop is not None:
        assert text.count(drop) == 1, drop
        text = text.replace(drop, "")
    spanish.write_text(text, encoding="utf-8")
    if pseudo is not None:
        made = translations.pseudo_translation(shipped_ruleset(), pseudo)
        made = dataclasses.replace(made, name="Pseudo", approval=translations.Approval(**SPANISH_APPROVAL))
        (folder / "translations" / f"{pseudo}.toml").write_text(translations.translation_toml(made), encoding="utf-8")
    return folder


@functools.cache
def shipped_ruleset() -> RuleSet:
    """The shipped rules in rules/, loaded once for the whole run."""
    return load_ruleset(RULES_DIR)


RULESET = shipped_ruleset()
QUESTIONNAIRE = RULESET.questionnaire

# --------------------------------------------------------------------------------------------------------------------
# The baseline patient

SCREENING_DATE = date(2025, 3, 10)
BASELINE_DOB = date(1990, 7, 22)
TREATMENTS = ("toxin", "filler", "both")

# Every question asked whatever the treatment, answered "nothing to declare".
COMMON_ANSWERS: dict[str, Any] = {
    "date_of_birth": BASELINE_DOB.isoformat(),
    "sex_at_birth": "female",
    "pregnant": "no",
    "trying_to_conceive": "no",
    "breastfeeding": "no",
    "has_allergies": "no",
    "neuro_conditions": ["none"],
    "blood_thinners": ["none"],
    "skin_problem_at_site": ["none"],
    "cold_sore_now": "no",
    "bleeding_disorder": "no",
    "unwell_now": "no",
    "upcoming_event": "no",
    "bdd_diagnosis": "no",
    "appearance_preoccupation": "no",
}
# The questions asked only of a toxin patient (forehead and frown lines: no lip flip, so no wind instrument).
TOXIN_ANSWERS: dict[str, Any] = {
    "toxin_areas": ["forehead", "glabella"],
    "swallow_breath_problems": "no",
    "heart_condition": "no",
    "eye_face_history": ["none"],
    "toxin_interacting_meds": ["none"],
    "previous_toxin": "no",
}
# The questions asked only of a filler patient (cheeks: no lips or under-eye, so no cold-sore history or swelling).
FILLER_ANSWERS: dict[str, Any] = {
    "filler_areas": ["cheeks"],
    "isotretinoin_recent": "no",
    "immunosuppressed": "no",
    "keloid_history": "no",
    "recent_skin_procedure": "no",
    "autoimmune_condition": "no",
    "previous_filler": "no",
    "permanent_filler_or_implant": "no",
    "vaccine_or_dental": ["none"],
}


def baseline_answers(treatment: str = "toxin", **overrides: Any) -> dict[str, Any]:
    """The baseline patient's answers for `treatment`, flat by question id; overrides by id (None removes one)."""
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}, not {treatment!r}")
    answers: dict[str, Any] = {**COMMON_ANSWERS, "treatment_requested": treatment}
    if treatment in ("toxin", "both"):
        answers |= TOXIN_ANSWERS
    if treatment in ("filler", "both"):
        answers |= FILLER_ANSWERS
    for question_id, value in overrides.items():
        if value is None:
            answers.pop(question_id, None)
        else:
            answers[question_id] = value
    return answers


# The patient's name, email and phone on the details page.
FULL_NAME = "Jane Example"
DETAILS = {"full_name": FULL_NAME, "email": "jane@example.org", "phone": "07700 900 982"}

# Answers that send a screening to a clinician, or only flag it, per the shipped rules (checked in the tests).
REVIEW_TOXIN = {"treatment": "toxin", "neuro_conditions": ["multiple_sclerosis"]}
REVIEW_FILLER = {"treatment": "filler", "bleeding_disorder": "yes"}
REVIEW_BOTH = {"treatment": "both", "neuro_conditions": ["multiple_sclerosis"], "bleeding_disorder": "yes"}
REVIEW_TOXIN_OF_BOTH = {"treatment": "both", "neuro_conditions": ["multiple_sclerosis"]}  # toxin review, filler clear
CAUTION = {"treatment": "toxin", "upcoming_event": "yes"}
DECLINE = {"treatment": "toxin", "neuro_conditions": ["myasthenia_gravis"]}
DEFER = {"treatment": "toxin", "unwell_now": "yes"}
CLEAR = {"treatment": "toxin"}

# --------------------------------------------------------------------------------------------------------------------
# Answers by page: the steps of the form

# The steps in order, written out by hand from spec.md section 3 (sections A to I), then details and check.
STEP_SLUGS = (
    "about-you",
    "pregnancy",
    "allergies",
    "nerves-muscles-heart",
    "medicines",
    "skin",
    "bleeding-immune",
    "previous-treatments",
    "health-and-plans",
)
SLUG_OF_QUESTION = {question.id: section.slug for section in QUESTIONNAIRE.sections for question in section.questions}


def answers_by_step(treatment: str = "toxin", **overrides: Any) -> dict[str, dict[str, Any]]:
    """A complete set of answers with nothing to declare, per step slug; overrides by question id (None removes)."""
    # The shared baseline, with the date of birth as the date the form's three boxes hold and one medicine named.
    as_typed = {"date_of_birth": BASELINE_DOB, "current_medicines": "Combined contraceptive pill"}
    flat = baseline_answers(treatment, **{**as_typed, **overrides})
    steps: dict[str, dict[str, Any]] = {slug: {} for slug in STEP_SLUGS}
    for question_id, value in flat.items():
        steps[SLUG_OF_QUESTION[question_id]][question_id] = value
    return steps


def flat_answers(steps: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Answers by step flattened by question id, dates as YYYY-MM-DD text."""
    flat: dict[str, Any] = {}
    for answers in steps.values():
        for question_id, value in answers.items():
            flat[question_id] = value.isoformat() if isinstance(value, date) else value
    return flat


# --------------------------------------------------------------------------------------------------------------------
# The spec's visibility oracle, and complete answers for the domain's tests

# Spec section 3, in form order (Q1 to Q42).
QUESTION_ORDER = (
    "date_of_birth",
    "treatment_requested",
    "toxin_areas",
    "filler_areas",
    "wind_instrument",
    "under_eye_swelling",
    "sex_at_birth",
    "pregnant",
    "trying_to_conceive",
    "breastfeeding",
    "has_allergies",
    "allergy_types",
    "allergy_details",
    "severe_allergy_history",
    "neuro_conditions",
    "neuro_details",
    "swallow_breath_problems",
    "heart_condition",
    "eye_face_history",
    "blood_thinners",
    "toxin_interacting_meds",
    "isotretinoin_recent",
    "immunosuppressed",
    "current_medicines",
    "skin_problem_at_site",
    "cold_sore_now",
    "cold_sore_history",
    "keloid_history",
    "recent_skin_procedure",
    "bleeding_disorder",
    "autoimmune_condition",
    "previous_toxin",
    "last_toxin_date",
    "previous_filler",
    "permanent_filler_or_implant",
    "previous_adverse_reaction",
    "previous_reaction_details",
    "unwell_now",
    "vaccine_or_dental",
    "upcoming_event",
    "bdd_diagnosis",
    "appearance_preoccupation",
)
OPTIONAL_TEXT = frozenset({"allergy_details", "neuro_details", "current_medicines", "previous_reaction_details"})


def _toxin(a: Mapping[str, Any]) -> bool:
    return a.get("treatment_requested") in ("toxin", "both")


def _filler(a: Mapping[str, Any]) -> bool:
    return a.get("treatment_requested") in ("filler", "both")


def _ticked(a: Mapping[str, Any], question: str, *options: str) -> bool:
    value = a.get(question)
    return value is not None and not set(options).isdisjoint(value)


def _not_male(a: Mapping[str, Any]) -> bool:
    return a.get("sex_at_birth") != "male"  # != is true for null: shown until the patient says "male"


# Spec section 3 "shown when", transcribed by hand; a question not listed is always shown.
SHOWN_WHEN: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "toxin_areas": _toxin,
    "filler_areas": _filler,
    "wind_instrument": lambda a: _toxin(a) and _ticked(a, "toxin_areas", "lip_flip"),
    "under_eye_swelling": lambda a: _filler(a) and _ticked(a, "filler_areas", "under_eye"),
    "pregnant": _not_male,
    "trying_to_conceive": lambda a: _not_male(a) and a.get("pregnant") in ("no", "not_sure"),
    "breastfeeding": _not_male,
    "allergy_types": lambda a: a.get("has_allergies") == "yes",
    "allergy_details": lambda a: a.get("has_allergies") == "yes",
    "severe_allergy_history": lambda a: a.get("has_allergies") == "yes",
    "neuro_details": lambda a: a.get("neuro_conditions") is not None and set(a["neuro_conditions"]) != {"none"},
    "swallow_breath_problems": _toxin,
    "heart_condition": _toxin,
    "eye_face_history": _toxin,
    "toxin_interacting_meds": _toxin,
    "isotretinoin_recent": _filler,
    "immunosuppressed": _filler,
    "cold_sore_history": lambda a: _filler(a) and _ticked(a, "filler_areas", "lips", "nasolabial", "marionette"),
    "keloid_history": _filler,
    "recent_skin_procedure": _filler,
    "autoimmune_condition": _filler,
    "previous_toxin": _toxin,
    "last_toxin_date": lambda a: _toxin(a) and a.get("previous_toxin") == "yes",
    "previous_filler": _filler,
    "permanent_filler_or_implant": _filler,
    "previous_adverse_reaction": lambda a: a.get("previous_toxin") == "yes" or a.get("previous_filler") == "yes",
    "previous_reaction_details": lambda a: a.get("previous_adverse_reaction") == "yes",
    "vaccine_or_dental": _filler,
}


def expected_visible(answers: Mapping[str, Any]) -> list[str]:
    """The question ids the spec shows for these answers, in form order (answers to hidden questions do not count)."""
    seen: dict[str, Any] = {}
    shown: list[str] = []
    for question_id in QUESTION_ORDER:
        rule = SHOWN_WHEN.get(question_id)
        if rule is not None and not rule(seen):
            continue
        shown.append(question_id)
        if question_id in answers:
            seen[question_id] = answers[question_id]
    return shown


# Answers to the questions the baseline hides (sent only when an override makes the oracle show them).
HIDDEN_DEFAULTS: dict[str, Any] = {
    "wind_instrument": "no",
    "under_eye_swelling": "no",
    "allergy_types": ["other"],  # only shown (and so only sent) when an override says has_allergies = "yes"
    "severe_allergy_history": ["none"],
    "cold_sore_history": "no",
    "last_toxin_date": "2024-06-01",  # only sent when previous_toxin = "yes"; 282 days before SCREENING_DATE
    "previous_adverse_reaction": "no",
}


def _defaults(treatment: str) -> dict[str, Any]:
    """An answer for every required question: every 'anything wrong?' question answered no or none."""
    return {**baseline_answers("both", treatment_requested=treatment), **HIDDEN_DEFAULTS}


def answers_for(treatment: str = "toxin", **overrides: Any) -> dict[str, Any]:
    """Raw answers for the baseline patient, complete for the questions visible for `treatment`.

    Defaults are sent only for questions the spec shows. Every override is sent as given, even for a question that is
    hidden (a stale answer the server must ignore) or one that does not exist (for validation tests).
    """
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}, not {treatment!r}")
    merged = {**_defaults(treatment), **overrides}
    raw = {question_id: merged[question_id] for question_id in expected_visible(merged) if question_id in merged}
    raw.update(overrides)
    return raw


def normalise(raw: Mapping[str, Any], on: date = SCREENING_DATE, ruleset: RuleSet | None = None) -> Answers:
    return (ruleset or shipped_ruleset()).questionnaire.normalise(raw, on)


def evaluate(raw: Mapping[str, Any], on: date = SCREENING_DATE, ruleset: RuleSet | None = None) -> Evaluation:
    """Normalise raw answers on a screening date, then run every rule."""
    ruleset = ruleset or shipped_ruleset()
    return evaluate_screening(ruleset, normalise(raw, on, ruleset))


def case(
    case_id: str,
    treatment: str,
    overrides: Mapping[str, Any],
    fired: set[str] | frozenset[str],
    outcome: str,
    *,
    toxin: str | None = None,
    filler: str | None = None,
):
    """One truth-table row: answers_for(treatment, **overrides) fires exactly `fired` and gives `outcome`.

    The per-treatment outcomes are the overall outcome for a single treatment; a 'both' row must state each one.
    """
    if treatment == "both":
        if toxin is None or filler is None:
            raise ValueError(f"{case_id}: a 'both' row must give the toxin and filler outcomes")
        per_treatment = {"toxin": toxin, "filler": filler}
    else:
        per_treatment = {treatment: outcome}
    return pytest.param(treatment, dict(overrides), frozenset(fired), outcome, per_treatment, id=case_id)


CASE_FIELDS = ("treatment", "overrides", "fired", "outcome", "per_treatment")


def assert_screening(
    treatment: str, overrides: Mapping[str, Any], fired: frozenset[str], outcome: str, per_treatment: dict[str, str]
) -> Evaluation:
    evaluation = evaluate(answers_for(treatment, **overrides))
    assert set(evaluation.rule_ids) == fired
    assert len(evaluation.rule_ids) == len(fired), "a rule fired twice"
    assert evaluation.outcome == outcome
    assert evaluation.treatments == per_treatment
    assert evaluation.engine_errors == ()
    return evaluation


# --------------------------------------------------------------------------------------------------------------------
# The database


@contextmanager
def db_connection(path: str | Path) -> Iterator:
    """A store connection (screening.db.connect), closed afterwards."""
    db = connect(path)
    try:
        yield db
    finally:
        db.close()


def rows(path: str | Path, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    with db_connection(path) as db:
        return list(db.query(sql, params))


def count_rows(path: str | Path, table: str) -> int:
    with db_connection(path) as db:
        return store.count_rows(db, table)


def audit_rows(path: str | Path, action: str | None = None) -> list[dict[str, Any]]:
    if action is None:
        return rows(path, "SELECT * FROM audit_event ORDER BY id")
    return rows(path, "SELECT * FROM audit_event WHERE action = ? ORDER BY id", [action])


def actions(path: str | Path) -> list[str]:
    return [row["action"] for row in audit_rows(path)]


def drafts(path: str | Path) -> list[dict[str, Any]]:
    """Every draft row, with its answers and contact decoded."""
    with db_connection(path) as db:
        rows = list(db.query("SELECT * FROM draft ORDER BY created_at"))
    return [{**row, "answers": json.loads(row["answers"]), "contact": json.loads(row["contact"])} for row in rows]


def only_draft_answers(path: str | Path) -> dict[str, Any]:
    rows = drafts(path)
    assert len(rows) == 1, f"expected one draft, found {len(rows)}"
    return rows[0]["answers"]


def submissions(path: str | Path) -> list[dict[str, Any]]:
    """Every submission as store.get_submission returns it (answers decoded, fired rules attached)."""
    with db_connection(path) as db:
        ids = [row["id"] for row in db.query("SELECT id FROM submission ORDER BY id")]
        return [store.get_submission(db, submission_id) for submission_id in ids]


def only_submission(path: str | Path) -> dict[str, Any]:
    rows = submissions(path)
    assert len(rows) == 1, f"expected one submission, found {len(rows)}"
    return rows[0]


def latest_submission_id(path: str | Path) -> int:
    return rows(path, "SELECT max(id) AS id FROM submission")[0]["id"]


def review_state(path: str | Path, submission_id: int) -> str:
    return rows(path, "SELECT review_state FROM submission WHERE id = ?", [submission_id])[0]["review_state"]


def decision_rows(path: str | Path, submission_id: int) -> list[dict[str, Any]]:
    found = rows(path, "SELECT * FROM decision WHERE submission_id = ? ORDER BY id", [submission_id])
    return [{**row, "treatments": json.loads(row["treatments"])} for row in found]


def active_bookings(db_path: Path) -> list[dict]:
    return rows(db_path, "SELECT * FROM booking WHERE cancelled_at IS NULL")


def utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)


# --------------------------------------------------------------------------------------------------------------------
# Clinicians (signed-in browsers: the `auth` fixture of tests/conftest.py)

PASSWORD = "plum tractor 41 lantern"  # 23 characters, not on the common list
ADMIN_PASSWORD = "quiet harbour 73 violin"
CLINICIAN_EMAIL = "ada@clinic.example"
ADMIN_EMAIL = "grace@clinic.example"


@functools.cache
def password_hash(password: str) -> str:
    """argon2id costs about 50 ms: hash each test password once per run (the CLI tests check that salts differ)."""
    return credentials.hash_password(password)


def make_clinician(
    path: str | Path,
    email: str = CLINICIAN_EMAIL,
    *,
    password: str = PASSWORD,
    name: str | None = None,
    role: str = "clinician",
) -> int:
    with db_connection(path) as db:
        return store.add_clinician(
            db,
            email=email,
            name=name or email.split("@")[0].capitalize(),
            role=role,
            password_hash=password_hash(password),
            audit=store.AuditEvent(action="clinician_created", actor_role="system"),
        )


def make_admin(path: str | Path, email: str = ADMIN_EMAIL, *, password: str = ADMIN_PASSWORD, name: str = "Grace"):
    return make_clinician(path, email, password=password, name=name, role="admin")


def set_register(path: str | Path, clinician_id: int, register: str, number: str) -> None:
    """A professional register and number on a clinician's profile."""
    with db_connection(path) as db:
        db.execute(
            "UPDATE clinician SET register = ?, register_number = ? WHERE id = ?", [register, number, clinician_id]
        )


# --------------------------------------------------------------------------------------------------------------------
# Submissions made through the store


def record(
    db,
    treatment: str = "toxin",
    *,
    created_at: datetime | str | None = None,
    full_name: str = FULL_NAME,
    contact: dict[str, str] | None = None,
    **overrides: Any,
) -> int:
    """Store a submission on this connection as the intake does (normalise, evaluate, record_submission), dated the
    clinic's today by the one clock, as the intake dates it (the test's `clock` fixture moves it). `contact` gives
    another person's email and phone (by default every screening is Jane's, and a clinician's defer or decline on
    one of a person's screenings holds the others)."""
    today = app_clock.today_in(app_clock.zone("Europe/London"))
    answers = RULESET.questionnaire.normalise(flat_answers(answers_by_step(treatment, **overrides)), today)
    evaluation = evaluate_screening(RULESET, answers)
    submission_id = store.record_submission(
        db,
        store.NewSubmission(
            submission_key=secrets.token_urlsafe(16),
            access_token=secrets.token_urlsafe(16),
            answers=answers,
            evaluation=evaluation,
            contact={**DETAILS, **(contact or {}), "full_name": full_name},
            attested_name=full_name,
            ruleset_version=RULESET.version,
        ),
    )
    store.append_audit(
        db,
        store.Actor("patient").event(
            "submission_created",
            object_type="submission",
            object_id=submission_id,
            detail={
                "outcome": evaluation.outcome,
                "treatments": evaluation.treatments,
                "rules": len(evaluation.fired),
                "seal": store.seal_kind(db, submission_id),
            },
        ),
    )
    if created_at is not None:
        stamp = created_at if isinstance(created_at, str) else store.iso(created_at)
        db.execute("UPDATE submission SET created_at = ? WHERE id = ?", [stamp, submission_id])
    return submission_id


def someone(n: int) -> dict[str, str]:
    """Contact details of the n-th of several different people (no shared email or phone)."""
    return {"email": f"person{n}@example.org", "phone": f"07700 9{n:05d}"}


def quick_submission(path: str | Path, treatment: str = "toxin", **kwargs: Any) -> int:
    """A submission stored without the pages (see record)."""
    with db_connection(path) as db:
        return record(db, treatment, **kwargs)


def approve(db_path, submission_id: int) -> None:
    """A clinician (Bo, made here if needed) approves every treatment sent for review."""
    found = rows(db_path, "SELECT id FROM clinician WHERE email = 'bo@clinic.example'")
    bo = found[0]["id"] if found else make_clinician(db_path, "bo@clinic.example", name="Bo")
    with db_connection(db_path) as db:
        treatments = [
            t for t, level in store.get_submission(db, submission_id)["treatments"].items() if level == "review"
        ]
        store.record_decision(
            db,
            submission_id,
            clinician_id=bo,
            action="approve",
            state="approved",
            treatments=tuple(treatments),
            defer_until=None,
            note="",
            audit=store.AuditEvent(action="decision_recorded", actor_role="clinician", actor_id=bo),
        )


def consult(db, submission_id: int, *, booking_id: int | None = None, attendance: str = "attended") -> int:
    """A consultation record for this screening on this connection, as the practitioner's page stores one (by Pat,
    a registered clinician made here the first time)."""
    found = list(db.query("SELECT id FROM clinician WHERE email = 'pat@clinic.example'"))
    clinician_id = (
        found[0]["id"]
        if found
        else store.add_clinician(
            db,
            email="pat@clinic.example",
            name="Pat",
            role="clinician",
            password_hash=password_hash(PASSWORD),
            audit=store.AuditEvent(action="clinician_created", actor_role="system"),
        )
    )
    attended = attendance == "attended"
    values = {
        "submission_id": submission_id,
        "booking_id": booking_id,
        "clinician_id": clinician_id,
        "clinician_name": "Pat",
        "register": "NMC",
        "register_number": "12A3456E",
        "attendance": attendance,
        "id_document": "passport" if attended else "",
        "id_date_of_birth": (store.get_submission(db, submission_id)["answers"].get("date_of_birth") or "")
        if attended
        else "",
        "answers": "confirmed" if attended else "",
        "consulted": int(attended),
    }
    return store.record_consultation(
        db, values, store.AuditEvent(action="consultation_recorded", actor_role="clinician", actor_id=clinician_id)
    )


def consent_row(
    db,
    submission_id: int,
    consultation_id: int,
    treatment: str = "toxin",
    *,
    signed_at: str | None = None,
    withdrawn_at: str | None = None,
    pdf_sha256: str = "",
    options: dict[str, bool] | None = None,
) -> int:
    """A consent row written straight into the table (for exports and lists that only read consents), taken by the
    consultation's practitioner from the shipped text of that treatment."""
    text = load_consent_texts_from(RULES_DIR)[treatment]
    consultation = next(db.query("SELECT * FROM consultation WHERE id = ?", [consultation_id]))
    consent_id = db.execute(
        "INSERT INTO consent (submission_id, consultation_id, treatment, text_version, text_sha256, clinician_id,"
        " clinician_name, register, register_number, discussed, patient_questions, reasons, hopes, taken_at,"
        " signed_name, signed_at, signed_where, pdf_sha256, withdrawn_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'The risks and the aftercare', '', 'Frown lines', 'Look less tired',"
        " ?, ?, ?, ?, ?, ?)",
        [
            submission_id,
            consultation_id,
            treatment,
            text.version,
            text.sha256,
            consultation["clinician_id"],
            consultation["clinician_name"],
            consultation["register"],
            consultation["register_number"],
            consultation["created_at"],
            "Jane Doe" if signed_at else "",
            signed_at,
            "clinic_device" if signed_at else "",
            pdf_sha256,
            withdrawn_at,
        ],
    ).lastrowid
    for option, given in (options or {}).items():
        db.execute(
            "INSERT INTO consent_option (consent_id, option, given, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)",
            [consent_id, option, int(given), "patient", signed_at or consultation["created_at"]],
        )
    return consent_id


# --------------------------------------------------------------------------------------------------------------------
# Slots published through the store


def _add_slots(db_path: Path, start: datetime, count: int, practitioner: str, kind: str = "consultation") -> list[int]:
    made = [
        (
            store.iso(start + timedelta(minutes=30 * n))[:19] + "Z",
            store.iso(start + timedelta(minutes=30 * n + 30))[:19] + "Z",
        )
        for n in range(count)
    ]
    with db_connection(db_path) as db:
        store.add_slots(db, made, practitioner, store.AuditEvent(action="slots_added", actor_role="system"), kind=kind)
    return [r["id"] for r in rows(db_path, "SELECT id FROM slot ORDER BY starts_at")][-count:]


def publish(
    db_path: Path, count: int = 4, *, now: datetime, days_ahead: int = 2, practitioner: str = "Dr Ada"
) -> list[int]:
    """Publish `count` half-hour slots from 9:00 UTC `days_ahead` days after `now` (the test's `clock.now()`);
    returns their ids in time order."""
    start = now.astimezone(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
    return _add_slots(db_path, start, count, practitioner)


def publish_soon(
    db_path: Path, count: int = 2, *, now: datetime, hours_ahead: int = 2, practitioner: str = "Ada"
) -> list[int]:
    """Slots starting a few hours after `now` (the test's `clock.now()`), on the hour, so they are in the diary's
    week."""
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_ahead)
    return _add_slots(db_path, start, count, practitioner)


def publish_treatment(db_path: Path, start: datetime, count: int = 2, *, practitioner: str = "Pat") -> list[int]:
    """Half-hour treatment slots from `start` (UTC); returns their ids in time order."""
    return _add_slots(db_path, start, count, practitioner, kind="treatment")


def signed_consent_row(
    db, submission_id: int, consultation_id: int, clinician_id: int | None, treatment: str, signed_at: str
) -> int:
    """A signed consent to `treatment`, signed at `signed_at` (UTC ISO), taken by `clinician_id` (None: the
    consultation's practitioner): written straight into the table, as the consent pages would leave it."""
    consent_id = consent_row(db, submission_id, consultation_id, treatment, signed_at=signed_at)
    if clinician_id is not None:
        name = next(db.query("SELECT name FROM clinician WHERE id = ?", [clinician_id]))["name"]
        db.execute(
            "UPDATE consent SET clinician_id = ?, clinician_name = ? WHERE id = ?", [clinician_id, name, consent_id]
        )
    return consent_id


def give_treatment(db_path, clock, submission_id: int, treatment: str = "toxin") -> int:
    """The clinic records `treatment` given on this screening at the clock fixture's moment; returns its id."""
    with db_connection(db_path) as db:
        return treated_row(db, submission_id, given_at=store.iso(clock.now()), treatment=treatment)


def product_row(
    db,
    brand: str = "Brand X",
    *,
    kind: str = "toxin",
    unit: str = "units",
    max_per_session: float | None = 30,
    generic_name: str = "botulinum toxin type A",
) -> int:
    """A product on the clinic's list, written straight into the table as the admin's page would leave it."""
    return db.execute(
        "INSERT INTO product (brand, generic_name, kind, unit, max_per_session, active, created_at)"
        " VALUES (?, ?, ?, ?, ?, 1, '2026-01-01T00:00:00Z')",
        [brand, generic_name, kind, unit, max_per_session],
    ).lastrowid


def batch_row(db, product_id: int, lot_number: str = "LOT1", *, expiry: str = "2027-06-30") -> int:
    """A batch of a product, received on 1 November 2026, expiring on `expiry`."""
    return db.execute(
        "INSERT INTO batch (product_id, lot_number, expiry_date, received_date, created_at)"
        " VALUES (?, ?, ?, '2026-11-01', '2026-11-01T00:00:00Z')",
        [product_id, lot_number, expiry],
    ).lastrowid


def treated_row(
    db,
    submission_id: int,
    *,
    given_at: str,
    treatment: str = "toxin",
    product_id: int | None = None,
    batch_id: int | None = None,
    areas: tuple[tuple[str, float], ...] = (),
    unit: str = "units",
) -> int:
    """A treatment given (with the consultation and signed consent it follows, by Pat), written straight into the
    tables as the treatment record leaves it: the product, batch and amounts per area when given."""
    consultation_id = consult(db, submission_id)
    consent_id = consent_row(db, submission_id, consultation_id, treatment, signed_at=given_at)
    consent = next(db.query("SELECT clinician_id, clinician_name FROM consent WHERE id = ?", [consent_id]))
    treatment_id = db.execute(
        "INSERT INTO treatment_given (submission_id, consent_id, treatment, clinician_id, clinician_name, given_at,"
        " product_id, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            submission_id,
            consent_id,
            treatment,
            consent["clinician_id"],
            consent["clinician_name"],
            given_at,
            product_id,
            batch_id,
        ],
    ).lastrowid
    for area, amount in areas:
        db.execute(
            "INSERT INTO treatment_area (treatment_given_id, area, amount, unit) VALUES (?, ?, ?, ?)",
            [treatment_id, area, amount, unit],
        )
    return treatment_id


# --------------------------------------------------------------------------------------------------------------------
# Mail


def outbox(db_path, kind: str | None = None) -> list[dict]:
    """Queued messages with their bodies as they will be sent (the outbox keeps link references, not links: the
    sender renders them with the secret key at delivery)."""
    if kind:
        found = rows(db_path, "SELECT * FROM outbox WHERE kind = ? ORDER BY id", [kind])
    else:
        found = rows(db_path, "SELECT * FROM outbox ORDER BY id")
    for row in found:
        row["body"] = links.render(row["body"], secret_key=SECRET_KEY, public_url=PUBLIC_URL)
    return found


def deliver(app) -> dict[str, int]:
    """Send what is due now, as the sender thread does: {"sent": n, "failed": n}."""
    with app.app_context(), db_connection(app.config["DATABASE"]) as db:
        return mail.deliver_due(db, mail.Settings.from_config(app.config, app.instance_path))


# --------------------------------------------------------------------------------------------------------------------
# A licensed instrument, invented for the tests (made-up items, not any real instrument's text: the product ships
# none, and a licensed text may not be copied). Positive at 4 or more.

INVENTED_INSTRUMENT = """
# Invented for the tests: not a validated instrument, not anyone's text.
id = "invented_worry_scale"
title = "Invented worry scale"
version = "2.1"
licence_holder = "Example Licensing Ltd (invented)"
licence_notice = "Used under licence by the clinic. Not to be altered or copied."
reference = "An invented reference, 2026."
cut_off = 4
options = [
  { id = "never", label = "Never", score = 0 },
  { id = "sometimes", label = "Sometimes", score = 1 },
  { id = "often", label = "Often", score = 2 },
]

[[items]]
id = "mirror"
text = "How often does an invented worry take up your morning?"

[[items]]
id = "talk"
text = "How often do you mention the invented worry to friends?"

[[items]]
id = "plans"
text = "Has the invented worry changed your plans?"
options = [{ id = "no", label = "No", score = 0 }, { id = "yes", label = "Yes", score = 3 }]

[[items]]
id = "follow_up"
text = "If it has, for how long?"
optional = true
options = [{ id = "weeks", label = "Weeks", score = 0 }, { id = "months", label = "Months", score = 1 }]
"""


# --------------------------------------------------------------------------------------------------------------------
# The public worked cases (shared/clinical/vignettes-public.json) through the pages

PUBLIC_VIGNETTES = SHARED_CLINICAL_DIR / "vignettes-public.json"


def public_cases() -> list:
    """The public cases as pytest parameters, by id (one skipped parameter when the file is absent)."""
    if not PUBLIC_VIGNETTES.exists():
        return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=f"{PUBLIC_VIGNETTES} is absent"))]
    return [pytest.param(case, id=case["id"]) for case in json.loads(PUBLIC_VIGNETTES.read_text(encoding="utf-8"))]


def expected_messages(fired: list[tuple[str, int, str]], treatments: tuple[str, ...]) -> list[str]:
    """The messages (text, severity, applies) for these treatments: their own rules and the `any` ones, most severe
    first, once each."""
    rank: dict[str, int] = {}
    for text, severity, applies in fired:
        if applies == "any" or applies in treatments:
            rank[text] = max(rank.get(text, 0), severity)
    return sorted(rank, key=lambda text: -rank[text])  # stable: the spec's order within a level


def steps_of(answers: dict) -> dict[str, dict]:
    """A case's answers by step slug, dates as the form's three boxes take them."""
    steps: dict[str, dict] = {slug: {} for slug in STEP_SLUGS}
    for question_id, value in answers.items():
        if QUESTIONNAIRE.by_id[question_id].type == "date" and isinstance(value, str):
            value = date.fromisoformat(value)
        steps[SLUG_OF_QUESTION[question_id]][question_id] = value
    return steps
