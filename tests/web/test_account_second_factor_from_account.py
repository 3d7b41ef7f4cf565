"""A clinician sets up their own sign-in code from their account page: a link there, a QR code (an inline SVG drawn
on the server, no script) beside the key as text, and an authenticator entry named after the clinic."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import segno

from screening.services import credentials
from tests.factories import ADMIN_EMAIL, CLINICIAN_EMAIL
from tests.pages import csrf_token, elements, location, page_text, post_form

ACCOUNT = "/clinician/account"
SET_UP_PATH = "/clinician/login/set-up-code"
SETTINGS = "/clinician/admin/settings"
HARBOUR = {
    "name": "Harbour Skin Clinic",
    "address": "1 Quay Street, Bristol BS1 1AA",
    "phone": "0117 000 0000",
    "email": "hello@harbour.example",
    "contact": "Please phone Harbour Skin Clinic on 0117 000 0000.",
    "notification_email": "diary@harbour.example",
    "notify_bookings": "y",
}
_SECRET = re.compile(r"<code>([A-Z2-7]{16,})</code>")
_URI = re.compile(r"(otpauth://[^<\"\s]+)")


def shown_secret(page) -> str:
    return _SECRET.search(page.get_data(as_text=True)).group(1)


def test_the_account_page_links_to_setting_up_a_sign_in_code(auth):
    clinician = auth.clinician()

    page = clinician.get(ACCOUNT)

    assert page.status_code == 200
    assert elements(page, "a", href=SET_UP_PATH), "no link to set up a sign-in code"
    assert clinician.get(SET_UP_PATH).status_code == 200


def test_the_set_up_page_shows_a_qr_code_of_the_key_beside_the_key_as_text(auth):
    clinician = auth.clinician()

    page = clinician.get(SET_UP_PATH)

    html = page.get_data(as_text=True)
    secret = shown_secret(page)
    uri = credentials.totp_uri(secret, CLINICIAN_EMAIL, "Our clinic")
    (svg,) = elements(page, "svg")
    assert svg["role"] == "img"
    assert "QR code" in svg["aria-label"]
    assert credentials.totp_qr_svg(uri) in html  # the very drawing of this key's address
    assert "<script" not in html.split("<main", 1)[1]
    assert secret in page_text(page)


def test_the_qr_code_is_segnos_drawing_of_the_otpauth_address():
    uri = "otpauth://totp/Harbour:ada%40clinic.example?secret=JBSWY3DPEHPK3PXP&issuer=Harbour"

    drawn = credentials.totp_qr_svg(uri)

    assert drawn.startswith("<svg ")
    assert 'role="img"' in drawn
    plain = segno.make_qr(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    assert drawn.replace(drawn[: drawn.index(">") + 1], "") == plain.replace(plain[: plain.index(">") + 1], "")


def test_the_authenticator_entry_is_named_after_the_clinic_from_its_settings(auth):
    admin = auth.admin()
    assert post_form(admin, SETTINGS, HARBOUR).status_code == 303

    page = admin.get(SET_UP_PATH)

    (uri,) = set(_URI.findall(page.get_data(as_text=True).replace("&amp;", "&")))
    parts = urlsplit(uri)
    assert parse_qs(parts.query)["issuer"] == ["Harbour Skin Clinic"]
    assert unquote(parts.path) == f"/Harbour Skin Clinic:{ADMIN_EMAIL}"
    assert "Our clinic" not in uri


def test_once_a_code_is_set_up_the_account_page_says_so_and_offers_no_second(auth, clock):
    clinician = auth.clinician()
    page = clinician.get(SET_UP_PATH)
    secret = shown_secret(page)
    confirmed = clinician.post(
        SET_UP_PATH, data={"code": pyotp.TOTP(secret).at(clock.timestamp()), "csrf_token": csrf_token(page)}
    )
    assert confirmed.status_code == 303
    assert location(confirmed) == ACCOUNT  # set up from the account page: back to it

    account = clinician.get(ACCOUNT)

    assert not elements(account, "a", href=SET_UP_PATH)
    assert "A sign-in code is set up" in page_text(account)
