"""`screening rules check` checks every translation in rules/translations/: the shipped Spanish passes and is reported
complete and awaiting a clinician's approval; a copy with an unknown id, a placeholder missing, a stale wording
version or half an approval is refused with one line naming the file, the id and the value, exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.domain import load_ruleset
from screening.domain.translations import wording_version
from tests.cli_helpers import clean_env, invoke
from tests.factories import RULES_DIR, shipped_ruleset

ES = Path("translations") / "es.toml"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the whole rules folder, translations included."""
    return Path(shutil.copytree(RULES_DIR, tmp_path / "rules-edited"))


@pytest.fixture
def check(runner, tmp_path: Path):
    def run(folder: Path):
        return invoke(runner, "rules", "check", "--rules", str(folder), env=clean_env(tmp_path / "instance"))

    return run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusals(run) -> list[str]:
    assert run.returncode == 1, run.stdout
    assert "Traceback" not in run.stderr
    assert "screening: the translation translations/es.toml is refused" in run.stderr
    return [line.strip() for line in run.stderr.splitlines() if line.startswith("  ")]


def test_rules_check_passes_the_shipped_spanish_complete_and_awaiting_approval(check):
    run = check(RULES_DIR)

    assert run.returncode == 0, run.stderr
    assert (
        "translation translations/es.toml: es: 0 untranslated, awaiting a clinician's approval"
        " (not offered to patients)" in run.stdout.splitlines()
    )


def test_the_shipped_spanish_translates_the_english_wording_the_rules_hold_now():
    text = (RULES_DIR / ES).read_text(encoding="utf-8")

    assert f'translates = "{wording_version(shipped_ruleset())}"' in text
    assert 'approved_by = ""' in text and 'register = ""' in text and 'approved_at = ""' in text


def test_rules_check_refuses_a_translation_of_a_question_that_does_not_exist(check, copy):
    with (copy / ES).open("a", encoding="utf-8") as file:
        file.write('\n[questions.favourite_colour]\ntext = "¿Cuál es su color favorito?"\n')

    assert refusals(check(copy)) == [
        "translations/es.toml: questions.favourite_colour: unknown question id (text '¿Cuál es su color favorito?')"
    ]


def test_rules_check_refuses_an_unknown_option_and_an_unknown_rule(check, copy):
    edit(copy / ES, 'both = "Los dos"', 'both = "Los dos"\nneither = "Ninguno"')
    with (copy / ES).open("a", encoding="utf-8") as file:
        file.write('\n[messages.no_such_rule]\npatient_message = "Hola."\n')

    assert refusals(check(copy)) == [
        "translations/es.toml: questions.treatment_requested.options.neither: unknown option id "
        "(known: toxin, filler, both) = 'Ninguno'",
        "translations/es.toml: messages.no_such_rule: unknown rule id (patient_message 'Hola.')",
    ]


def test_rules_check_refuses_a_message_that_lost_its_date_placeholder(check, copy):
    edit(copy / ES, "Puede reservar a partir de: {last_toxin_date + 90 days}.", "Puede reservar más adelante.")

    listed = refusals(check(copy))

    assert listed == [
        "translations/es.toml: messages.toxin_within_90_days: missing placeholder {last_toxin_date + 90 days} "
        "(the English has it) in 'Entre dos tratamientos antiarrugas deben pasar al menos 3 meses (90 días). "
        "Puede reservar más adelante.'"
    ]


def test_rules_check_refuses_a_message_with_a_placeholder_the_english_has_not(check, copy):
    edit(
        copy / ES,
        'patient_message = "Gracias. El profesional que le atienda le preguntará por su epilepsia en su cita."',
        'patient_message = "Gracias. Le preguntaremos por su epilepsia el {date_of_birth + 1 days}."',
    )

    (line,) = refusals(check(copy))

    assert line.startswith(
        "translations/es.toml: messages.filler_epilepsy: placeholder {date_of_birth + 1 days} is not in the English"
    )


def test_rules_check_refuses_a_translation_of_wording_that_has_since_changed(check, copy):
    edit(
        copy / "questionnaire.toml",
        'text = "Do you have a cold sore at the moment?"',
        'text = "Do you have a cold sore right now?"',
    )
    changed = wording_version(load_ruleset(copy))

    (line,) = refusals(check(copy))

    assert line == (
        f"translations/es.toml: translates: '{wording_version(shipped_ruleset())}' is stale: the English wording is "
        f"now '{changed}' (bring the changed wording up to date, then have it approved again)"
    )


def test_a_changed_condition_does_not_stale_the_translation(check, copy):
    shutil.rmtree(copy / "tests")  # the rule tests would catch the changed age, which is not this test's point
    edit(
        copy / "contraindications.toml",
        "condition = 'toxin and age_years >= 65'",
        "condition = 'toxin and age_years >= 66'",
    )

    run = check(copy)

    assert run.returncode == 0, run.stderr
    assert "translation translations/es.toml: es: 0 untranslated" in run.stdout


@pytest.mark.parametrize(
    ("approval", "expected"),
    [
        (
            ('approved_by = "Dr Ana García"', 'register = ""', 'approved_at = ""'),
            [
                "translations/es.toml: register: missing, but the approval is partly filled in "
                "(approved_by = 'Dr Ana García', approved_at = '')",
                "translations/es.toml: approved_at: missing, but the approval is partly filled in "
                "(approved_by = 'Dr Ana García', register = '')",
            ],
        ),
        (
            ('approved_by = "Dr Ana García"', 'register = "GMC 7654321"', 'approved_at = "last Tuesday"'),
            ["translations/es.toml: approved_at: 'last Tuesday' is not a date (write it as YYYY-MM-DD)"],
        ),
    ],
    ids=["name-without-register-or-date", "date-that-is-not-a-date"],
)
def test_rules_check_refuses_half_an_approval(check, copy, approval, expected):
    for old, new in zip(('approved_by = ""', 'register = ""', 'approved_at = ""'), approval, strict=True):
        edit(copy / ES, old, new)

    assert refusals(check(copy)) == expected


def test_rules_check_reports_a_complete_approved_translation_as_one_that_may_be_offered(check, copy):
    edit(copy / ES, 'approved_by = ""', 'approved_by = "Dr Ana García"')
    edit(copy / ES, 'register = ""', 'register = "GMC 7654321"')
    edit(copy / ES, 'approved_at = ""', 'approved_at = "2026-12-01"')

    run = check(copy)

    assert run.returncode == 0, run.stderr
    assert (
        "translation translations/es.toml: es: 0 untranslated, approved by Dr Ana García (GMC 7654321) on 2026-12-01"
        " (may be offered)" in run.stdout.splitlines()
    )


def test_rules_check_lists_what_is_untranslated_without_refusing(check, copy):
    edit(copy / ES, 'title = "Alergias"', 'title = ""')

    run = check(copy)

    assert run.returncode == 0, run.stderr
    assert "es: 1 untranslated, awaiting a clinician's approval (not offered to patients)" in run.stdout
    assert "  untranslated: sections.C.title" in run.stdout.splitlines()


def test_rules_wording_version_prints_the_version_a_translation_names(runner, tmp_path):
    run = invoke(runner, "rules", "wording-version", "--rules", str(RULES_DIR), env=clean_env(tmp_path / "instance"))

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == wording_version(shipped_ruleset())
