"""The session cookie's signature and the forms' CSRF tokens, with their signers made once per key, not per call.

Flask's session interface and Flask-WTF's generate_csrf/validate_csrf build a new itsdangerous serializer each time
they sign or check something (two or three times a request), and each signature derives its HMAC key from the secret
key and salt again. Here a serializer is kept per (keys, salt, method) and each derived key is worked out once. What
is signed and what is accepted is unchanged, byte for byte: the same itsdangerous serializers with the same salts,
key derivation, digest, timestamps and time limits (and SECRET_KEY_FALLBACKS still checked, newest key first), so
cookies and tokens issued before a restart stay valid, and tests/web/test_protection_signing.py holds both ways.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import flask_wtf.csrf
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes


class KeyedSigner(TimestampSigner):
    """A TimestampSigner that derives the key for each secret key once (its salt and method never change)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        derived = self._derived.get(key)
        if derived is None:  # two threads may both work it out the first time: the same bytes either way
            derived = self._derived[key] = super().derive_key(key)
        return derived


class KeptSerializer(URLSafeTimedSerializer):
    """A URLSafeTimedSerializer that keeps its signer per salt instead of building one for every dumps and loads."""

    default_signer = KeyedSigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signers: dict[bytes | None, TimestampSigner] = {}

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        key = None if salt is None else want_bytes(salt)
        signer = self._signers.get(key)
        if signer is None:
            signer = self._signers[key] = super().make_signer(salt)  # type: ignore[assignment]
        return signer  # type: ignore[return-value]


@lru_cache(maxsize=64)
def serializer(
    keys: tuple[str | bytes, ...],
    salt: str,
    payload_serializer: Any = None,
    key_derivation: str | None = None,
    digest_method: Any = None,
) -> KeptSerializer:
    """The kept serializer for these secret keys (oldest first, the newest signs), salt and method."""
    signer_kwargs = {}
    if key_derivation is not None:
        signer_kwargs["key_derivation"] = key_derivation
    if digest_method is not None:
        signer_kwargs["digest_method"] = digest_method
    return KeptSerializer(list(keys), salt=salt, serializer=payload_serializer, signer_kwargs=signer_kwargs)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer kept per secret key and fallback keys."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # itsdangerous: the newest last
        return serializer(keys, self.salt, self.serializer, self.key_derivation, self.digest_method)


def csrf_serializer(secret_key: str | bytes, salt: str = "itsdangerous") -> URLSafeTimedSerializer:
    """What Flask-WTF's generate_csrf and validate_csrf build their tokens with: the kept serializer for the key."""
    return serializer((secret_key,), salt)


def init_app(app: Flask) -> None:
    """The kept serializers for the session cookie and for Flask-WTF's CSRF tokens (Flask-WTF looks up the
    serializer class by name in its module at each call, so its token logic, messages and time limit stay its own)."""
    app.session_interface = SessionInterface()
    flask_wtf.csrf.URLSafeTimedSerializer = csrf_serializer  # type: ignore[assignment,misc]
