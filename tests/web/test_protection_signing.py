"""The session cookie and the CSRF tokens are signed by serializers kept per key (screening/web/signing.py): what they
sign and accept is what Flask's and Flask-WTF's own serializers sign and accept, fallback keys included."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from screening.web import signing
from tests.factories import make_app
from tests.pages import csrf_token

SESSION_COOKIE = "__Host-session"
OLD_KEY = "an-older-secret-key-of-32-or-more-characters"
OTHER_KEY = "a-key-this-clinic-never-had-of-32-characters"


def stock_session_serializer(app, keys=None) -> URLSafeTimedSerializer:
    """Flask's own serializer for the session cookie (as SecureCookieSessionInterface builds it)."""
    stock = SecureCookieSessionInterface()
    return URLSafeTimedSerializer(
        keys or [app.secret_key],
        salt=stock.salt,
        serializer=stock.serializer,
        signer_kwargs={"key_derivation": stock.key_derivation, "digest_method": hashlib.sha1},
    )


def stock_csrf_serializer(key) -> URLSafeTimedSerializer:
    """Flask-WTF's own serializer for CSRF tokens."""
    return URLSafeTimedSerializer(key, salt="wtf-csrf-token")


def session_cookie(client) -> str:
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None, "the page set no session cookie"
    return cookie.value


def test_the_app_signs_its_session_with_a_serializer_it_keeps(app):
    assert isinstance(app.session_interface, signing.SessionInterface)
    assert app.session_interface.get_signing_serializer(app) is app.session_interface.get_signing_serializer(app)


def test_a_session_cookie_the_app_signs_is_the_one_flask_would_accept(app, client):
    client.get("/")  # the start page's form puts a CSRF secret in the session

    data = stock_session_serializer(app).loads(session_cookie(client), max_age=86400)

    assert set(data) == {"csrf_token"}


def test_a_session_cookie_flask_signed_opens_a_session_here(app, client):
    token = csrf_token(client.get("/"))
    secret = stock_session_serializer(app).loads(session_cookie(client))["csrf_token"]
    client.set_cookie(SESSION_COOKIE, stock_session_serializer(app).dumps({"csrf_token": secret}))

    started = client.post("/start", data={"csrf_token": token})

    assert started.status_code == 303
    assert started.headers["Location"].startswith("/questions/")


def test_a_cookie_signed_with_a_fallback_key_is_read_and_one_with_an_unknown_key_is_not(tmp_path):
    app = make_app(tmp_path, SECRET_KEY_FALLBACKS=[OLD_KEY])
    kept = app.session_interface.get_signing_serializer(app)
    before_rotation = stock_session_serializer(app, keys=[OLD_KEY]).dumps({"draft": "d"})
    unknown = stock_session_serializer(app, keys=[OTHER_KEY]).dumps({"draft": "d"})

    assert kept.loads(before_rotation) == {"draft": "d"}
    with pytest.raises(BadSignature):
        kept.loads(unknown)
    # What the app signs now is signed with the newest key, which Flask reads without the fallback
    assert stock_session_serializer(app).loads(kept.dumps({"draft": "e"})) == {"draft": "e"}


def test_the_csrf_token_on_a_page_is_the_one_flask_wtf_would_sign(app, client):
    token = csrf_token(client.get("/"))
    secret = stock_session_serializer(app).loads(session_cookie(client))["csrf_token"]

    assert stock_csrf_serializer(app.secret_key).loads(token, max_age=3600) == secret


def test_a_csrf_token_flask_wtf_signed_is_accepted(app, client):
    csrf_token(client.get("/"))
    secret = stock_session_serializer(app).loads(session_cookie(client))["csrf_token"]

    started = client.post("/start", data={"csrf_token": stock_csrf_serializer(app.secret_key).dumps(secret)})

    assert started.status_code == 303


def test_a_csrf_token_signed_with_another_key_is_refused(app, client):
    csrf_token(client.get("/"))
    secret = stock_session_serializer(app).loads(session_cookie(client))["csrf_token"]

    refused = client.post("/start", data={"csrf_token": stock_csrf_serializer(OTHER_KEY).dumps(secret)})

    assert refused.status_code == 400


def test_a_kept_csrf_serializer_still_keeps_the_time_limit(app, clock):
    kept = signing.csrf_serializer(app.secret_key, salt="wtf-csrf-token")
    token = kept.dumps("secret")
    assert kept.loads(token, max_age=3600) == "secret"

    clock.age_signatures(timedelta(seconds=3601))

    with pytest.raises(BadSignature):  # SignatureExpired, as Flask-WTF's own serializer raises
        kept.loads(token, max_age=3600)
    assert signing.csrf_serializer(app.secret_key, salt="wtf-csrf-token") is kept
