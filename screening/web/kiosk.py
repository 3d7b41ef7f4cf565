"""Kiosk mode on a reception tablet, as request plumbing: the device's signed cookie, the lock to the patient form,
and the wipe between patients (when one finishes, and after KIOSK_IDLE_SECONDS without a page).

The cookie names a kiosk registration (screening/services/kiosks.py) by its id and a random secret, signed with
SECRET_KEY by the kept serializers of screening/web/signing.py (fallback keys still accepted); HttpOnly, Secure where
the session cookie is, SameSite=Strict, for 400 days (the longest a browser keeps one). A forged, unreadable, revoked
or turned-off cookie makes no kiosk: the device is an ordinary browser. On a kiosk, every page but the questionnaire's
answers with the kiosk page (never the sign-in form); the last activity is kept in the session, checked on every
request, and a screening left longer than KIOSK_IDLE_SECONDS is deleted from the database with the session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, make_response, redirect, render_template, request, session, url_for
from itsdangerous import BadData

from screening import clock
from screening.db import get_db
from screening.services import kiosks
from screening.web import prg, signing

KIOSK_COOKIE = "__Host-kiosk"
KIOSK_LIFETIME = timedelta(days=400)
SALT = "screening.kiosk"
LAST_SEEN = "kiosk_seen"  # in the session: when this tablet last asked for a page (a POSIX timestamp)

# The questionnaire, from the start page to the end page, and turning kiosk mode off; nothing else opens on a kiosk.
OPEN_ON_A_KIOSK = frozenset(
    {
        "static",
        "patient.healthz",
        "patient.start",
        "patient.begin",
        "patient.resume",
        "patient.step",
        "patient.save_step",
        "patient.details",
        "patient.check",
        "patient.submit",
        "patient.under_18",
        "patient.hand_back",
        "patient.still_here",
        "account.kiosk_off",
    }
)


def init_app(app: Flask) -> None:
    """After CSRF and the sign-in hooks: a POST that arrives after the idle time is checked for its token with the
    session it was sent with, then finds its screening wiped."""
    app.before_request(lock_to_the_form)
    app.after_request(note_activity)
    app.context_processor(lambda: {"kiosk": current()})


def _serializer():
    config = current_app.config
    keys = (*(config["SECRET_KEY_FALLBACKS"] or ()), config["SECRET_KEY"])
    return signing.serializer(keys, SALT)


def current() -> dict[str, Any] | None:
    """The kiosk registration this device's cookie names, when it is live (looked up once a request)."""
    if "kiosk" not in g:
        g.kiosk = _from_cookie()
    return g.kiosk


def _from_cookie() -> dict[str, Any] | None:
    cookie = request.cookies.get(KIOSK_COOKIE)
    if not cookie or len(cookie) > 4096:
        return None
    try:
        found = _serializer().loads(cookie, max_age=int(KIOSK_LIFETIME.total_seconds()))
    except BadData:
        return None
    if not isinstance(found, dict):
        return None
    return kiosks.live(get_db(), found.get("k"), found.get("s"))


def with_cookie(response, granted: kiosks.KioskPass):
    """The response that makes this device a kiosk."""
    response.set_cookie(
        KIOSK_COOKIE,
        _serializer().dumps({"k": granted.kiosk_id, "s": granted.secret}),
        max_age=int(KIOSK_LIFETIME.total_seconds()),
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def without_cookie(response):
    """The response that makes this device an ordinary browser again."""
    response.delete_cookie(
        KIOSK_COOKIE, path="/", secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict"
    )
    return response


def idle_seconds() -> int:
    return int(current_app.config["KIOSK_IDLE_SECONDS"])


def lock_to_the_form():
    """On a kiosk: wipe a screening left too long, then answer any page but the questionnaire's with the kiosk
    page."""
    if request.endpoint == "static":
        return None
    if current() is None:
        if LAST_SEEN in session:  # a screening begun on a tablet revoked since: it never goes on on an open browser
            wipe()
        return None
    if idle_too_long():
        wipe()
    if request.endpoint is None or request.endpoint in OPEN_ON_A_KIOSK:
        return None  # no such page (404) or one of the questionnaire's
    return make_response(render_template("patient/kiosk.html"), 403)


def idle_too_long() -> bool:
    """Whether this tablet's last page (kept in the session) and its draft's last change or "I am still here" (kept
    in the database) are both KIOSK_IDLE_SECONDS ago or more. A session that never saw a page here is not idle."""
    seen = session.get(LAST_SEEN)
    if not isinstance(seen, int | float):
        return False
    touched = kiosks.draft_touched(get_db(), session.get("draft"))
    last = max(seen, touched.timestamp() if touched else seen)
    return clock.utc_now().timestamp() - last >= idle_seconds()


# Not on "I am still here": it is fetched by the page's script while the patient may press a button that changes the
# session, and its answer, coming back last, would put the session before that change back. It touches the draft.
NOT_ACTIVITY = frozenset({"static", "patient.still_here"})


def note_activity(response):
    """The tablet asked for a page: the idle time starts again."""
    if request.endpoint not in NOT_ACTIVITY and g.get("kiosk") is not None and not g.get("kiosk_over"):
        session[LAST_SEEN] = clock.utc_now().timestamp()
    return response


def wipe() -> None:
    """Forget this tablet's patient: their draft and the values any form kept are deleted, and the session cleared."""
    kiosks.wipe_draft(get_db(), session.get("draft"))
    prg.forget_questionnaire()
    session.clear()


def turned_off() -> None:
    """Kiosk mode ends on this device with this request: its patient is wiped, and the session is an ordinary one."""
    wipe()
    g.kiosk_over = True


def active() -> bool:
    return current() is not None


def hand_back():
    """The end of a patient's turn on a kiosk: everything of theirs wiped, then the page that asks for the tablet
    back. Their private link goes to them by email only."""
    wipe()
    return redirect(url_for("patient.hand_back"), 303)
