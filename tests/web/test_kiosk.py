"""Kiosk mode on a reception tablet (screening/web/kiosk.py, screening/services/kiosks.py): a clinician turns a device
into a kiosk and is signed out on it; every page but the questionnaire's answers with the kiosk page; turning it off
takes a clinician's password; a revoked or forged cookie makes no kiosk; the result is never on the tablet (the
private link goes by email); a screening left for KIOSK_IDLE_SECONDS is deleted before the next person comes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from screening.web.kiosk import KIOSK_COOKIE, SALT
from tests.factories import (
    CLINICIAN_EMAIL,
    DETAILS,
    FULL_NAME,
    PASSWORD,
    answers_by_step,
    audit_rows,
    count_rows,
    deliver,
    drafts,
    rows,
)
from tests.journeys import SESSION_COOKIE, declaration, post_step, session_cookie, start, walk
from tests.pages import csrf_token, location, page_text

KIOSK_ON = "/clinician/kiosk"
KIOSK_OFF = "/clinician/kiosk/turn-off"
KIOSKS = "/clinician/admin/kiosks"
HAND_BACK = "/thank-you"
MORNING = datetime(2026, 6, 4, 8, 0, tzinfo=UTC)
KIOSK_PAGE_HEADING = "This is the clinic's reception tablet"


def turn_on(device, name: str = "Reception tablet 1"):
    page = device.get(KIOSK_ON)
    assert page.status_code == 200
    return device.post(KIOSK_ON, data={"csrf_token": csrf_token(page), "name": name})


def kiosk_device(auth, name: str = "Reception tablet 1"):
    """A browser a clinician turned into a kiosk (and was signed out on)."""
    device = auth.clinician()
    turned = turn_on(device, name)
    assert turned.status_code == 303 and location(turned) == "/", page_text(turned)[:300]
    return device


def turn_off(device, email: str = CLINICIAN_EMAIL, password: str = PASSWORD):
    page = device.get(KIOSK_OFF)
    assert page.status_code == 200
    return device.post(KIOSK_OFF, data={"csrf_token": csrf_token(page), "email": email, "password": password})


def is_kiosk_page(response) -> bool:
    return response.status_code == 403 and KIOSK_PAGE_HEADING in page_text(response)


def is_sign_in_redirect(response) -> bool:
    return response.status_code in (302, 303) and location(response).startswith("/clinician/login")


def only_kiosk(db_path) -> dict:
    (found,) = rows(db_path, "SELECT * FROM kiosk")
    return found


# --------------------------------------------------------------------------------------------------------------------
# Turning it on


def test_turning_a_device_into_a_kiosk_signs_the_clinician_out_sets_the_cookie_and_is_audited(auth, db_path):
    device = auth.clinician()
    clinician_id = auth.account()
    turned = turn_on(device, "  Reception   tablet 1 ")

    assert turned.status_code == 303 and location(turned) == "/"
    (cookie,) = [c for c in turned.headers.getlist("Set-Cookie") if c.startswith(f"{KIOSK_COOKIE}=")]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path", "max-age"} <= attributes and "SameSite=Strict" in cookie
    kiosk = only_kiosk(db_path)
    assert (kiosk["name"], kiosk["created_by"], kiosk["ended_at"]) == ("Reception tablet 1", clinician_id, None)
    assert kiosk["secret_hash"] not in cookie  # only the secret's hash is kept, and the cookie carries the secret
    (event,) = audit_rows(db_path, "kiosk_turned_on")
    assert (event["actor_id"], event["object_type"], event["object_id"]) == (clinician_id, "kiosk", str(kiosk["id"]))
    assert rows(db_path, "SELECT count(*) AS n FROM clinician_session WHERE revoked_at IS NULL")[0]["n"] == 0
    assert len(audit_rows(db_path, "logout")) == 1

    queue = device.get("/clinician/queue")
    assert is_kiosk_page(queue), "the tablet is not signed in as a clinician, and does not offer the sign-in form"
    assert 'name="password"' not in queue.get_data(as_text=True)


def test_turning_kiosk_mode_on_needs_a_name_and_changes_nothing_without_one(auth, db_path):
    device = auth.clinician()
    refused = turn_on(device, "   ")
    assert refused.status_code == 400
    assert "Enter a name for this device" in page_text(refused)
    assert count_rows(db_path, "clinician") == 1 and rows(db_path, "SELECT * FROM kiosk") == []
    assert device.get("/clinician/queue").status_code == 200  # still signed in: nothing happened


def test_turning_kiosk_mode_on_needs_a_signed_in_clinician(client, db_path):
    assert is_sign_in_redirect(client.get(KIOSK_ON))
    token = csrf_token(client.get("/"))
    assert is_sign_in_redirect(client.post(KIOSK_ON, data={"csrf_token": token, "name": "Tablet"}))
    assert rows(db_path, "SELECT * FROM kiosk") == []


def test_turning_kiosk_mode_on_without_the_csrf_token_is_refused(auth, db_path):
    device = auth.clinician()
    assert device.post(KIOSK_ON, data={"name": "Tablet"}).status_code == 400
    assert rows(db_path, "SELECT * FROM kiosk") == []
    assert device.get("/clinician/queue").status_code == 200


# --------------------------------------------------------------------------------------------------------------------
# Locked to the patient form


@pytest.mark.parametrize(
    "path",
    [
        "/clinician/queue",
        "/clinician/login",
        "/clinician/account",
        "/clinician/admin/clinicians",
        KIOSKS,
        KIOSK_ON,
        "/your-result",
        "/your-result/your-data",
        "/returning",
        "/r/some-private-link-token-000000",
        "/save-for-later",
        "/continue",
    ],
)
def test_on_a_kiosk_every_page_but_the_questionnaires_answers_with_the_kiosk_page(auth, path):
    device = kiosk_device(auth)
    shown = device.get(path)
    assert is_kiosk_page(shown)
    assert shown.headers["Cache-Control"] == "no-store"


def test_on_a_kiosk_the_questionnaire_opens_from_start_to_declaration(auth):
    device = kiosk_device(auth)
    start_page = device.get("/")
    assert start_page.status_code == 200
    assert "/returning" not in start_page.get_data(as_text=True)  # that page is not on the tablet
    assert "not shown on this tablet" in page_text(start_page)
    pages = []
    check = walk(device, answers_by_step("toxin"), stop_at="/check-your-answers", pages=pages)
    assert check.status_code == 200 and FULL_NAME in page_text(check)
    assert all(page.status_code == 200 for page in pages) and len(pages) > 3
    assert device.get("/healthz").status_code == 200
    steps = [page for page in pages if "/questions/" in page.request.path]
    assert steps and not any('name="later"' in page.get_data(as_text=True) for page in steps)  # its draft is wiped


def test_an_ordinary_browser_offers_save_and_finish_later_on_each_step(client):
    pages = []
    walk(client, answers_by_step("toxin"), stop_at="/check-your-answers", pages=pages)
    steps = [page for page in pages if "/questions/" in page.request.path]
    assert steps and all('name="later"' in page.get_data(as_text=True) for page in steps)


# --------------------------------------------------------------------------------------------------------------------
# Turning it off, revoking it, a forged cookie


def test_turning_kiosk_mode_off_needs_a_clinicians_email_and_password(auth, db_path):
    device = kiosk_device(auth)
    clinician_id = auth.account()

    wrong = turn_off(device, password="not the password at all")
    assert wrong.status_code == 400 and "The email address or password is not right" in page_text(wrong)
    unknown = turn_off(device, email="nobody@clinic.example")
    assert unknown.status_code == 400
    assert is_kiosk_page(device.get("/clinician/queue")) and only_kiosk(db_path)["ended_at"] is None
    refusals = audit_rows(db_path, "kiosk_turn_off_refused")
    assert [(e["actor_id"], e["outcome"]) for e in refusals] == [(clinician_id, "failure"), (None, "failure")]

    turned_off = turn_off(device)
    assert turned_off.status_code == 303 and location(turned_off) == "/clinician/login"
    assert any(c.startswith(f"{KIOSK_COOKIE}=;") for c in turned_off.headers.getlist("Set-Cookie"))
    kiosk = only_kiosk(db_path)
    assert (kiosk["ended_how"], kiosk["ended_by"]) == ("turned_off", clinician_id) and kiosk["ended_at"]
    (event,) = audit_rows(db_path, "kiosk_turned_off")
    assert (event["actor_id"], event["object_id"]) == (clinician_id, str(kiosk["id"]))
    sign_in = device.get("/clinician/login")
    assert sign_in.status_code == 200 and "Kiosk mode is off on this device" in page_text(sign_in)
    assert is_sign_in_redirect(device.get("/clinician/queue"))  # an ordinary browser: not signed in by turning off


def test_the_turn_off_page_on_an_ordinary_browser_goes_to_the_sign_in_page(client):
    assert location(client.get(KIOSK_OFF)) == "/clinician/login"


def test_an_admin_sees_and_revokes_a_kiosk_and_its_cookie_no_longer_makes_a_kiosk(app, auth, db_path):
    device = kiosk_device(auth)
    cookie = device.get_cookie(KIOSK_COOKIE).value
    admin = auth.admin()
    listed = admin.get(KIOSKS)
    assert listed.status_code == 200 and "Reception tablet 1" in page_text(listed) and "in use" in page_text(listed)
    kiosk_id = only_kiosk(db_path)["id"]

    revoked = admin.post(f"{KIOSKS}/{kiosk_id}/revoke", data={"csrf_token": csrf_token(listed)})
    assert revoked.status_code == 303 and location(revoked) == KIOSKS
    assert "revoked" in page_text(admin.get(KIOSKS))
    (event,) = audit_rows(db_path, "kiosk_revoked")
    assert (event["actor_id"], event["object_id"]) == (auth.account("grace@clinic.example"), str(kiosk_id))

    assert is_sign_in_redirect(device.get("/clinician/queue"))  # an ordinary browser again
    copied = app.test_client()
    copied.set_cookie(KIOSK_COOKIE, cookie)
    assert is_sign_in_redirect(copied.get("/clinician/queue"))
    again = admin.post(f"{KIOSKS}/{kiosk_id}/revoke", data={"csrf_token": csrf_token(listed)})
    assert again.status_code == 303 and len(audit_rows(db_path, "kiosk_revoked")) == 1  # once


def test_only_an_admin_sees_or_revokes_kiosks(auth, db_path):
    kiosk_device(auth, "Tablet by the door")
    clinician = auth.clinician()
    assert clinician.get(KIOSKS).status_code == 403
    token = csrf_token(clinician.get("/clinician/queue"))
    assert clinician.post(f"{KIOSKS}/{only_kiosk(db_path)['id']}/revoke", data={"csrf_token": token}).status_code == 403
    assert only_kiosk(db_path)["ended_at"] is None


def test_revoking_no_such_kiosk_is_a_404(auth):
    admin = auth.admin()
    assert admin.post(f"{KIOSKS}/999/revoke", data={"csrf_token": csrf_token(admin.get(KIOSKS))}).status_code == 404


def test_a_forged_kiosk_cookie_is_ignored(app, auth, db_path):
    kiosk_device(auth)
    kiosk = only_kiosk(db_path)
    forgeries = {
        "not signed at all": "anything",
        "signed with another key": URLSafeTimedSerializer("another key " * 4, salt=SALT).dumps({"k": kiosk["id"]}),
        "the app's key, a made-up secret": URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(
            {"k": kiosk["id"], "s": "made up"}
        ),
        "the app's key, nonsense inside": URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(["k", 1]),
    }
    outcomes = {}
    for name, value in forgeries.items():
        browser = app.test_client()
        browser.set_cookie(KIOSK_COOKIE, value)
        outcomes[name] = is_sign_in_redirect(browser.get("/clinician/queue"))
    assert outcomes == dict.fromkeys(forgeries, True)


# --------------------------------------------------------------------------------------------------------------------
# No result on the tablet


@pytest.mark.mail_server
def test_after_sending_the_tablet_shows_no_link_and_the_link_goes_by_email(app, auth, db_path, smtp):
    _, inbox = smtp
    device = kiosk_device(auth)
    end = walk(device, answers_by_step("toxin"), stop_at=HAND_BACK)

    text, html = page_text(end), end.get_data(as_text=True)
    assert "Thank you, please hand the tablet back" in text
    assert "/r/" not in html and "your-result" not in html
    assert FULL_NAME not in html and DETAILS["email"] not in html
    assert len(rows(db_path, "SELECT * FROM submission")) == 1 and drafts(db_path) == []
    assert is_kiosk_page(device.get("/your-result"))
    assert is_kiosk_page(device.get("/check-your-answers")) is False  # the form itself: back to the start
    assert location(device.get("/check-your-answers")) == "/"

    assert deliver(app)["sent"] >= 1
    (mail,) = inbox.to(DETAILS["email"])
    link = re.search(r"https?://[^/\s]+(/r/[A-Za-z0-9_-]+)", mail.get_body().get_content()).group(1)
    own_phone = app.test_client()
    assert own_phone.get(link).status_code == 303 and own_phone.get("/your-result").status_code == 200

    admin = auth.admin()
    listed = admin.get(KIOSKS)
    admin.post(f"{KIOSKS}/{only_kiosk(db_path)['id']}/revoke", data={"csrf_token": csrf_token(listed)})
    after = device.get("/your-result")  # kiosk mode gone: the tablet's session still holds no private link
    assert after.status_code == 404 and "Open your page with your private link" in page_text(after)


def test_a_declaration_sent_twice_on_a_kiosk_still_shows_no_result(auth, db_path):
    """A double tap: the second POST leaves with the cookie the first one had, before its answer came back."""
    device = kiosk_device(auth)
    data = declaration(device, page=walk(device, answers_by_step("toxin"), stop_at="/check-your-answers"))
    before = session_cookie(device)
    assert location(device.post("/check-your-answers", data=data)) == HAND_BACK
    device.set_cookie(SESSION_COOKIE, before)
    again = device.post("/check-your-answers", data=data)
    assert again.status_code == 303 and location(again) == HAND_BACK  # the first submission stands
    assert len(rows(db_path, "SELECT * FROM submission")) == 1
    assert is_kiosk_page(device.get("/your-result"))


# --------------------------------------------------------------------------------------------------------------------
# Wiped between patients


def test_after_the_idle_time_the_next_request_starts_fresh_and_the_draft_is_deleted(app, auth, db_path, clock):
    clock.set(MORNING)
    device = kiosk_device(auth)
    steps = answers_by_step("toxin")
    first = next(iter(steps))
    assert start(device).status_code == 303
    assert post_step(device, first, steps[first]).status_code == 303
    assert post_step(device, next(iter(list(steps)[1:])), {}).status_code == 303  # sent with problems: kept aside
    assert len(drafts(db_path)) == 1 and count_form_state(db_path) == 1

    idle = app.config["KIOSK_IDLE_SECONDS"]
    clock.set(MORNING + timedelta(seconds=idle - 1))
    assert device.get(f"/questions/{first}").status_code == 200  # still there: and the idle time starts again
    clock.set(MORNING + timedelta(seconds=2 * idle - 2))
    assert device.get(f"/questions/{first}").status_code == 200
    assert len(drafts(db_path)) == 1

    clock.set(MORNING + timedelta(seconds=3 * idle))
    fresh = device.get(f"/questions/{first}")
    assert fresh.status_code == 303 and location(fresh) == "/"
    assert drafts(db_path) == [] and count_form_state(db_path) == 0
    assert "Your answers were not kept" not in page_text(device.get("/"))  # nothing of the last person, even that


def test_a_form_sent_after_the_idle_time_saves_nothing_and_starts_again(app, auth, db_path, clock):
    clock.set(MORNING)
    device = kiosk_device(auth)
    steps = answers_by_step("toxin")
    first = next(iter(steps))
    start(device)
    page = device.get(f"/questions/{first}")
    clock.set(MORNING + timedelta(seconds=app.config["KIOSK_IDLE_SECONDS"]))
    sent = device.post(f"/questions/{first}", data={"csrf_token": csrf_token(page)})
    assert sent.status_code == 303 and location(sent).startswith("/")
    assert not location(sent).startswith("/questions") and drafts(db_path) == []


def test_the_still_here_request_starts_the_idle_time_again(app, auth, db_path, clock):
    clock.set(MORNING)
    device = kiosk_device(auth)
    start(device)
    idle = app.config["KIOSK_IDLE_SECONDS"]
    clock.set(MORNING + timedelta(seconds=idle - 5))
    told = device.get("/kiosk/still-here")
    assert told.status_code == 204
    assert told.headers.getlist("Set-Cookie") == []  # it may race a page that changes the session: it never sets one
    clock.set(MORNING + timedelta(seconds=2 * idle - 10))
    assert len(drafts(db_path)) == 1
    assert device.get("/resume").status_code == 303 and len(drafts(db_path)) == 1


def test_an_ordinary_browser_is_never_wiped_for_idleness(client, db_path, clock):
    clock.set(MORNING)
    start(client)
    clock.set(MORNING + timedelta(hours=1))
    assert location(client.get("/resume")).startswith("/questions/")
    assert len(drafts(db_path)) == 1


def count_form_state(db_path) -> int:
    return rows(db_path, "SELECT count(*) AS n FROM form_state")[0]["n"]


def test_wrong_passwords_to_turn_kiosk_mode_off_are_limited_as_sign_ins_are(app, auth, db_path):
    device = kiosk_device(auth)
    per_address = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])  # "5 per minute;20 per hour": 5 a minute
    answers = [turn_off(device, password=f"wrong guess {n}").status_code for n in range(per_address + 1)]
    assert answers == [400] * per_address + [429]
    assert turn_off(device).status_code == 429  # even the right password waits: the limit counts before the work
    assert only_kiosk(db_path)["ended_at"] is None


def test_a_screening_begun_on_a_tablet_revoked_since_is_wiped_not_continued(auth, db_path):
    device = kiosk_device(auth)
    steps = answers_by_step("toxin")
    first = next(iter(steps))
    start(device)
    assert post_step(device, first, steps[first]).status_code == 303 and len(drafts(db_path)) == 1
    admin = auth.admin()
    listed = admin.get(KIOSKS)
    admin.post(f"{KIOSKS}/{only_kiosk(db_path)['id']}/revoke", data={"csrf_token": csrf_token(listed)})

    resumed = device.get(f"/questions/{first}")
    assert resumed.status_code == 303 and location(resumed) == "/"  # no result on an open browser for this patient
    assert drafts(db_path) == []
    assert device.get("/").status_code == 200 and is_sign_in_redirect(device.get("/clinician/queue"))
