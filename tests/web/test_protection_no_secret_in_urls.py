"""Check 17: crawl a patient's whole journey (start, every step, details, check, submit, result, booking) and a
clinician's session (queue, a submission, diary, patients, catalogue, account), following every link each page
offers. No URL the app hands out (a Location header, an href, a src, a form action) carries a secret the browser
holds: the session cookie, anything in the session (the draft and private-link tokens, the clinician's sign-in
session, the CSRF secret) or a CSRF token from a form. Every HTML response says Referrer-Policy: no-referrer.

Mutations that turn these tests red (each tried): `intake.private_link` redirecting to
`url_for("patient.result", token=token)`; `intake.show_result` redirecting with `?t=<access token>`;
`review.decide` redirecting with `?s=<the sign-in session token>`; the `Referrer-Policy` line taken out of
`security.SECURITY_HEADERS`.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pytest

from tests.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    REVIEW_TOXIN,
    answers_by_step,
    make_admin,
    publish,
    quick_submission,
)
from tests.journeys import SESSION_COOKIE, book_by_day, decide, offered_days, post_step, sign_in, start, walk
from tests.pages import csrf_token

pytestmark = [
    pytest.mark.mail_server,
    pytest.mark.audit_key,
]  # a real SMTP server, and a key as `screening init` writes

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data")
MIN_SECRET = 16  # shorter strings in the session are flags and dates, not secrets
MAX_FOLLOWED = 80  # links followed per crawl, beyond the scripted journey


class _Urls(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.csrf_tokens: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.urls += [found[name] or "" for name in URL_ATTRIBUTES if name in found]
        if tag == "meta" and (found.get("http-equiv") or "").lower() == "refresh":
            self.urls.append(found.get("content") or "")
        if found.get("name") == "csrf_token" and found.get("value"):
            self.csrf_tokens.append(found["value"])


class Crawl:
    """Wraps a test client: records every response, the URLs it hands out and the secrets the browser then holds."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.responses: list[tuple[str, str, object]] = []  # (method, path, response)
        self.urls: list[tuple[str, str]] = []  # (where it was found, the URL)
        self.secrets: set[str] = set()
        plain_open = client.open

        def recording_open(*args, **kwargs):
            response = plain_open(*args, **kwargs)
            self.note(response)
            return response

        client.open = recording_open

    def note(self, response) -> None:
        where = f"{response.request.method} {response.request.path}"
        self.responses.append((response.request.method, response.request.path, response))
        if "Location" in response.headers:
            self.urls.append((f"{where} Location", response.headers["Location"]))
        if response.mimetype == "text/html":
            parser = _Urls()
            parser.feed(response.get_data(as_text=True))
            self.urls += [(where, url) for url in parser.urls]
            self.secrets.update(parser.csrf_tokens)
        cookie = self.client.get_cookie(SESSION_COOKIE)
        if cookie is not None and cookie.value:
            self.secrets.add(cookie.value)
            self.secrets.update(self._strings(self.serializer.loads(cookie.value)))

    def _strings(self, value, key: str = "") -> list[str]:
        if key == "_flashes":  # messages shown once, not references
            return []
        if isinstance(value, str):
            return [value] if len(value) >= MIN_SECRET else []
        if isinstance(value, dict):
            return [found for k, v in value.items() for found in self._strings(v, k)]
        if isinstance(value, (list, tuple)):
            return [found for v in value for found in self._strings(v, key)]
        return []

    def follow_links(self, prefix: str, *, avoid: tuple[str, ...] = ()) -> None:
        """GET every same-site link under `prefix` not fetched yet (breadth first, bounded)."""
        seen = {path for method, path, _ in self.responses if method == "GET"}
        for _ in range(MAX_FOLLOWED):
            waiting = [
                url
                for _, url in self.urls
                if not urlsplit(url).netloc
                and urlsplit(url).path.startswith(prefix)
                and not urlsplit(url).path.startswith(("/static/", *avoid))
                and urlsplit(url).path not in seen
            ]
            if not waiting:
                return
            target = waiting[0]
            seen.add(urlsplit(target).path)
            self.client.get(target)

    def assert_no_secret_in_any_url(self) -> None:
        assert self.secrets, "the crawl saw no session and no form: it checked nothing"
        leaks = [
            (where, url)
            for where, url in self.urls
            for secret in self.secrets
            if secret in url or secret in unquote(url)
        ]
        assert leaks == [], leaks[:5]

    def assert_every_html_response_says_no_referrer(self) -> None:
        html = [(method, path, r) for method, path, r in self.responses if r.mimetype == "text/html"]
        assert len(html) >= 10
        missing = [(m, p) for m, p, r in html if r.headers.get("Referrer-Policy") != "no-referrer"]
        assert missing == []

    def assert_no_server_error(self) -> None:
        failed = [(m, p, r.status_code) for m, p, r in self.responses if r.status_code >= 500]
        assert failed == []


def test_a_patients_whole_journey_hands_out_no_url_with_a_secret_and_sends_no_referrer(app, db_path, clock):
    publish(db_path, 3, now=clock.now())
    patient = app.test_client()
    crawl = Crawl(app, patient)
    patient.get("/")
    steps = answers_by_step("toxin")
    start(patient)
    # A step sent with a problem: post/redirect/get keeps the values under a reference held in the session.
    assert post_step(patient, "about-you", {"treatment_requested": "nonsense"}).status_code == 303
    result = walk(patient, steps, from_path="/questions/about-you")
    assert result.status_code == 200
    day = offered_days(patient)[0]
    assert book_by_day(patient, day).status_code == 303
    patient.get("/your-result")
    patient.get("/your-result/appointment.ics")
    crawl.follow_links("/")
    # The private link as the email gives it, opened in a fresh browser: the one URL that holds the token.
    with patient.session_transaction() as session:
        token = session["result"]
    fresh = app.test_client()
    landing_crawl = Crawl(app, fresh)
    landing = fresh.get(f"/r/{token}")
    assert landing.status_code == 303 and token not in landing.headers["Location"]
    assert landing.headers["Referrer-Policy"] == "no-referrer"
    fresh.get(landing.headers["Location"])

    paths = {path for _, path, _ in crawl.responses}
    assert {"/questions/medicines", "/your-details", "/check-your-answers", "/your-result/book"} <= paths
    assert any(path.startswith("/your-result/times") for path in paths)
    for each in (crawl, landing_crawl):
        each.secrets.add(token)
        each.assert_no_secret_in_any_url()
        each.assert_no_server_error()
    crawl.assert_every_html_response_says_no_referrer()


def test_a_clinicians_session_hands_out_no_url_with_a_secret_and_sends_no_referrer(app, db_path, clock):
    submission_id = quick_submission(db_path, **REVIEW_TOXIN)
    publish(db_path, 2, now=clock.now())
    make_admin(db_path)
    clinician = app.test_client()
    crawl = Crawl(app, clinician)
    clinician.get("/clinician/queue")  # anonymous: to sign-in, with where to go next
    signed = sign_in(clinician, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert signed.status_code == 303
    with clinician.session_transaction() as session:
        assert session["_user_id"] in crawl.secrets  # the sign-in session's token is among what is looked for
    for path in (
        "/clinician/queue",
        f"/clinician/submissions/{submission_id}",
        "/clinician/diary",
        "/clinician/patients",
        f"/clinician/patients/{submission_id}",
        "/clinician/rules/",
        "/clinician/account",
    ):
        assert clinician.get(path).status_code == 200, path
    decided = decide(clinician, submission_id, action="approve", treatments=["toxin"], private_note="Reviewed.")
    assert decided.status_code == 303
    crawl.follow_links("/clinician", avoid=("/clinician/logout",))
    clinician.post("/clinician/logout", data={"csrf_token": csrf_token(clinician.get("/clinician/queue"))})

    assert any(path.startswith("/clinician/rules/") and path != "/clinician/rules/" for _, path, _ in crawl.responses)
    crawl.assert_no_secret_in_any_url()
    crawl.assert_no_server_error()
    crawl.assert_every_html_response_says_no_referrer()
