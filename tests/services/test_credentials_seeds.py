"""Second-factor seeds at rest: encrypted with TOTP_SEED_KEY (instance/config.py, never the database); a seed stored
in clear before is encrypted at the next start and still makes the same codes; a wrong key opens nothing."""

from __future__ import annotations

from pathlib import Path

from screening.services import credentials
from tests.factories import CLINICIAN_EMAIL, TOTP_SEED_KEY, db_connection, make_app, make_clinician, rows

SEED = "JBSWY3DPEHPK3PXPJBSWY3DP"


def stored_seeds(database: Path) -> dict:
    return rows(database, "SELECT totp_secret, totp_pending FROM clinician WHERE email = ?", [CLINICIAN_EMAIL])[0]


def test_a_seed_stored_in_clear_is_encrypted_at_the_next_start(tmp_path):
    make_app(tmp_path)
    database = tmp_path / "screening.sqlite3"
    make_clinician(database)
    with db_connection(database) as db:  # as a seed was stored before seeds were encrypted
        db.execute(
            "UPDATE clinician SET totp_secret = ?, totp_pending = ? WHERE email = ?", [SEED, SEED, CLINICIAN_EMAIL]
        )
        db.conn.commit()

    make_app(tmp_path)

    stored = stored_seeds(database)
    assert all(value.startswith(credentials.ENCRYPTED_SEED) for value in stored.values())
    assert {credentials.seed_in_use(TOTP_SEED_KEY, value) for value in stored.values()} == {SEED}
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("screening.sqlite3*") if p.is_file())
    assert SEED.encode() not in on_disk


def test_a_seed_encrypted_with_another_key_opens_nothing():
    stored = credentials.seed_at_rest(TOTP_SEED_KEY, SEED)

    assert SEED not in stored
    assert credentials.seed_in_use(TOTP_SEED_KEY, stored) == SEED
    assert credentials.seed_in_use("t" * 64, stored) is None
    assert credentials.seed_in_use(None, stored) is None
