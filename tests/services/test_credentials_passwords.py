"""Passwords are NFKC-normalised (hashes from before still work), and all-whitespace or one repeated
character is refused; the common-password list stays."""

from __future__ import annotations

import unicodedata

import pytest

from screening.services import credentials
from tests.factories import CLINICIAN_EMAIL, db_connection, make_clinician
from tests.journeys import sign_in

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

COMPOSED = unicodedata.normalize("NFC", "crème brûlée façade 42")
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        (" " * 12, "only spaces"),
        ("\u3000" * 12, "only spaces"),  # ideographic spaces: NFKC makes them spaces
        ("a" * 12, "one character repeated"),
        ("7" * 40, "one character repeated"),
        ("password1234", "commonly used"),
    ],
)
def test_weak_passwords_are_refused(password, words):
    assert words in (credentials.password_problem(password) or "")


def test_a_good_password_with_spaces_and_accents_is_accepted():
    assert credentials.password_problem(COMPOSED) is None


def test_a_password_typed_decomposed_signs_in(app, db_path):
    make_clinician(db_path, password=COMPOSED)
    assert sign_in(app.test_client(), CLINICIAN_EMAIL, DECOMPOSED).status_code == 303


def test_a_hash_of_the_raw_password_from_before_still_works_and_is_rehashed(app, db_path):
    clinician_id = make_clinician(db_path)
    raw_hash = credentials.hasher.hash(DECOMPOSED)  # hashed as typed, before NFKC normalisation
    with db_connection(db_path) as db:
        db.execute("UPDATE clinician SET password_hash = ? WHERE id = ?", [raw_hash, clinician_id])
        db.conn.commit()

    assert sign_in(app.test_client(), CLINICIAN_EMAIL, DECOMPOSED).status_code == 303

    with db_connection(db_path) as db:
        stored = next(db.query("SELECT password_hash FROM clinician WHERE id = ?", [clinician_id]))["password_hash"]
    assert stored != raw_hash and credentials.hasher.verify(stored, COMPOSED)
