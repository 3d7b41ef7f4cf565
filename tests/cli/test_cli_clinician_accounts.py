"""Clinician accounts through the real `screening` command: adding (password on stdin), refusals, long passphrases,
disabling, no default accounts, and help on every subcommand."""

from __future__ import annotations

import gzip
from contextlib import closing
from pathlib import Path

import click
import pytest

from screening.cli import cli
from screening.db import connect
from tests.cli_helpers import invoke
from tests.factories import audit_rows, make_app, rows
from tests.journeys import (
    CHOOSE_PASSWORD_PATH,
    LOGIN_PATH,
    QUEUE_PATH,
    first_sign_in,
    is_login_redirect,
    sign_in,
)
from tests.pages import location

ARGON2ID_DEFAULTS = "$argon2id$v=19$m=65536,t=3,p=4$"
COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "screening" / "data" / "common-passwords.txt.gz"
GOOD = "lemon kettle 58 harbour"
OWN = "velvet compass 27 meadow"


@pytest.fixture
def instance(runner, tmp_path: Path) -> Path:
    """A fresh install: `screening init` on a private instance folder."""
    folder = tmp_path  # the folder of the test's app, which the CLI runner runs on
    done = invoke(runner, "init", "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


def database(instance: Path) -> Path:
    return instance / "screening.sqlite3"


def clinicians(instance: Path) -> list[dict]:
    return rows(database(instance), "SELECT * FROM clinician ORDER BY id")


def add(runner, instance: Path, email: str, password: str, *, name: str = "Ada Lovelace", role: str = "clinician"):
    return invoke(runner, "clinician", "add", email, "--name", name, "--role", role, input=password + "\n")


def assert_one_line_refusal(done, words: str) -> None:
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert words in lines[0]
    assert "Traceback" not in done.stderr


def test_cli_add_stores_argon2id_hash_with_distinct_salts_and_no_plaintext(runner, instance):
    password = "ZZPW-canary violet 93 anchor"
    with closing(connect(database(instance))) as reader:
        list(reader.query("SELECT count(*) FROM clinician"))  # an open reader keeps the -wal file in place

        first = add(runner, instance, "ada@clinic.example", password)
        second = add(runner, instance, "grace@clinic.example", password, name="Grace Hopper", role="admin")

        assert first.returncode == 0, first.stderr
        assert second.returncode == 0, second.stderr
        assert "added clinician Ada Lovelace <ada@clinic.example>" in first.stdout
        stored = clinicians(instance)
        assert [(row["email"], row["role"]) for row in stored] == [
            ("ada@clinic.example", "clinician"),
            ("grace@clinic.example", "admin"),
        ]
        hashes = [row["password_hash"] for row in stored]
        assert all(value.startswith(ARGON2ID_DEFAULTS) for value in hashes)
        assert hashes[0] != hashes[1]
        assert hashes[0].split("$")[4] != hashes[1].split("$")[4]  # the salts differ
        files = [path for path in instance.iterdir() if path.name.startswith("screening.sqlite3")]
        assert any(path.name.endswith("-wal") for path in files)
        for path in files:
            assert password.encode() not in path.read_bytes(), path.name
    assert password not in first.stdout + first.stderr + second.stdout + second.stderr
    created = audit_rows(database(instance), "clinician_created")
    assert [row["actor_role"] for row in created] == ["system", "system"]
    assert all(password not in row["detail"] for row in created)


def test_common_password_list_holds_password1234():
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        assert "password1234" in {line.strip() for line in handle}


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("eleven char", "at least 12 characters"),
        ("password1234", "commonly used passwords"),
        ("PASSWORD1234", "commonly used passwords"),
    ],
    ids=["11-characters", "common", "common-in-capitals"],
)
def test_cli_add_refuses_weak_password(runner, instance, password, words):
    done = add(runner, instance, "ada@clinic.example", password)

    assert_one_line_refusal(done, words)
    assert clinicians(instance) == []


def test_cli_add_refuses_duplicate_email_ignoring_case(runner, instance):
    assert add(runner, instance, "ada@clinic.example", GOOD).returncode == 0

    done = add(runner, instance, "ADA@Clinic.Example", "another fine 77 passphrase", name="Someone Else")

    assert_one_line_refusal(done, "exists already")
    assert [row["name"] for row in clinicians(instance)] == ["Ada Lovelace"]


def passphrase(length: int) -> str:
    words = "Grüße aus Zürich, ça va très bien — 東京 🌿 naïve café "
    text = (words * (length // len(words) + 1))[: length - 1] + "Ω"
    assert len(text) == length and " " in text
    return text


def test_cli_accepts_long_unicode_passphrases_that_then_sign_in(runner, instance):
    long_ones = {"a64@clinic.example": passphrase(64), "a128@clinic.example": passphrase(128)}
    for email, password in long_ones.items():
        done = add(runner, instance, email, password)
        assert done.returncode == 0, done.stderr
    app = make_app(instance)

    for email, password in long_ones.items():
        truncated = sign_in(app.test_client(), email, password[:-1])
        assert truncated.status_code == 200
        assert "The email address or password is not right" in truncated.get_data(as_text=True)
        browser = app.test_client()
        response = sign_in(browser, email, password)
        assert response.status_code == 303, email
        assert location(response) == CHOOSE_PASSWORD_PATH  # signed in; an admin chose it, so it is changed first
        assert browser.get(CHOOSE_PASSWORD_PATH).status_code == 200


def test_cli_disable_ends_live_session_at_once(runner, instance):
    assert add(runner, instance, "ada@clinic.example", GOOD).returncode == 0
    app = make_app(instance)
    browser = first_sign_in(app, "ada@clinic.example", GOOD, OWN)
    assert browser.get(QUEUE_PATH).status_code == 200

    done = invoke(runner, "clinician", "disable", "ADA@clinic.example")

    assert done.returncode == 0, done.stderr
    assert "1 active session(s) ended" in done.stdout
    assert is_login_redirect(browser.get(QUEUE_PATH))
    again = sign_in(app.test_client(), "ada@clinic.example", OWN)
    assert again.status_code == 200
    assert clinicians(instance)[0]["disabled_at"] is not None
    disabled = audit_rows(database(instance), "clinician_disabled")
    assert [row["object_id"] for row in disabled] == [str(clinicians(instance)[0]["id"])]


def test_cli_disable_unknown_email_refused(runner, instance):
    assert_one_line_refusal(invoke(runner, "clinician", "disable", "nobody@clinic.example"), "no clinician")


def test_fresh_install_has_no_default_accounts(instance):
    app = make_app(instance)
    assert clinicians(instance) == []

    for email, password in (("admin", "admin"), ("admin", "password"), ("root", "root"), ("admin@localhost", "admin")):
        browser = app.test_client()
        response = sign_in(browser, email, password)
        assert response.status_code == 200, (email, password)
        assert is_login_redirect(browser.get(QUEUE_PATH))
    assert audit_rows(database(instance), "login_success") == []


def _subcommands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for group_name in ("clinician", "audit"):
        group = cli.commands[group_name]
        assert isinstance(group, click.Group)
        found.append((group_name,))
        found.extend((group_name, name) for name in sorted(group.commands))
    return found


SUBCOMMANDS = _subcommands()


def test_help_covers_the_account_and_audit_commands():
    assert {("clinician", "add"), ("clinician", "disable"), ("audit", "verify")} <= set(SUBCOMMANDS)


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_cli_subcommand_has_help_text(runner, tmp_path, words):
    command = cli
    for word in words:
        command = command.commands[word]
    assert (command.help or "").strip(), f"{' '.join(words)} has no help text"

    done = invoke(runner, *words, "--help")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: screening {' '.join(words)}")
    assert command.help.strip().splitlines()[0][:40] in done.stdout


def test_login_path_constant_matches_app(app):
    # The tests above recognise the sign-in page by this path; keep them honest.
    assert app.url_map.bind("localhost").build("account.login") == LOGIN_PATH
