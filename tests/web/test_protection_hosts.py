"""A foreign Host header never reaches a page, a link or an .ics; ProxyFix only when configured; HSTS over
HTTPS."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_app, publish
from tests.journeys import book, offered, submit_through_form

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

PUBLIC = "https://screening.clinic.example"  # the mail_server marker's PUBLIC_URL (tests/conftest.py)
PAGES = ("/", "/healthz", "/clinician/login", "/returning", "/questions/about-you", "/your-result")


@pytest.mark.parametrize("path", PAGES)
def test_a_foreign_host_header_gets_400_before_any_page(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_forwarded_host_is_ignored_without_a_proxy_and_checked_with_one(tmp_path, smtp):
    direct = make_app(tmp_path / "direct", PUBLIC_URL=PUBLIC)
    assert direct.test_client().get("/healthz", headers={"X-Forwarded-Host": "evil.example"}).status_code == 200
    proxied = make_app(tmp_path / "proxied", PUBLIC_URL=PUBLIC, PROXY_COUNT=1)
    client = proxied.test_client()
    assert client.get("/healthz", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
    good = client.get(
        "/healthz", headers={"X-Forwarded-Host": "screening.clinic.example", "X-Forwarded-Proto": "https"}
    )
    assert good.status_code == 200 and good.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers  # plain HTTP: no HSTS


def test_links_and_the_calendar_come_from_public_url_even_on_another_trusted_name(tmp_path, smtp, clock):
    """The test client's Host is `localhost` (trusted, as loopback): nothing it sees may name it."""
    app = make_app(tmp_path, PUBLIC_URL=PUBLIC, TRUSTED_HOSTS="screening.clinic.example,alias.clinic.example")
    patient, _ = submit_through_form(app, "toxin")
    page = patient.get("/your-result").get_data(as_text=True)
    links = re.findall(r"https?://[^\s\"<]+/r/[A-Za-z0-9_-]+", page)
    assert links and all(link.startswith(PUBLIC + "/r/") for link in links)
    publish(tmp_path / "screening.sqlite3", now=clock.now())
    assert book(patient, offered(patient)[0]).status_code == 303
    ics = patient.get("/your-result/appointment.ics")
    assert ics.status_code == 200
    text = ics.get_data(as_text=True)
    assert "localhost" not in text and re.search(r"UID:appointment-\d+-\d+@screening\.clinic\.example", text)
    assert ics.headers["Cache-Control"] == "no-store"
    assert patient.get("/your-result/appointment.ics", headers={"Host": "evil.example"}).status_code == 400
