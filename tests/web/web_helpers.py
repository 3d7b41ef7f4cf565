"""Helpers for the web tests: scrape CSRF tokens, walk the questionnaire through the real pages, read the database.

The baseline answers come from tests/factories.py; this module sends them the way a browser does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from screening import store
from screening.db import connect
from screening.domain import load_ruleset
from tests.factories import BASELINE_DOB, baseline_answers

PROJECT_DIR = Path(__file__).resolve().parents[2]
QUESTIONNAIRE = load_ruleset(PROJECT_DIR / "rules").questionnaire
SESSION_COOKIE = "__Host-session"

# The steps in order, written out by hand from spec.md section 3 (sections A to I), then details and check.
STEP_SLUGS = (
    "about-you",
    "pregnancy",
    "allergies",
    "nerves-muscles-heart",
    "medicines",
    "skin",
    "bleeding-immune",
    "previous-treatments",
    "health-and-plans",
)
DETAILS_PATH = "/your-details"
CHECK_PATH = "/check-your-answers"
RESULT_PATH = "/your-result"
SLUG_OF_QUESTION = {question.id: section.slug for section in QUESTIONNAIRE.sections for question in section.questions}

FULL_NAME = "Jane Example"
DETAILS = {"full_name": FULL_NAME, "email": "jane@example.org", "phone": "07700 900 982"}

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]*)"')


# --------------------------------------------------------------------------------------------------------------------
# Answers


def answers_by_step(treatment: str = "toxin", **overrides: Any) -> dict[str, dict[str, Any]]:
    """A complete set of answers with nothing to declare, per step slug; overrides by question id (None removes)."""
    # The shared baseline, with the date of birth as the date the form's three boxes hold and one medicine named.
    as_typed = {"date_of_birth": BASELINE_DOB, "current_medicines": "Combined contraceptive pill"}
    flat = baseline_answers(treatment, **{**as_typed, **overrides})
    steps: dict[str, dict[str, Any]] = {slug: {} for slug in STEP_SLUGS}
    for question_id, value in flat.items():
        steps[SLUG_OF_QUESTION[question_id]][question_id] = value
    return steps


def form_fields(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as the browser sends them: a date as three boxes, a multi choice as repeated fields."""
    fields: dict[str, Any] = {}
    for name, value in answers.items():
        if isinstance(value, date):
            fields |= {
                f"{name}-day": str(value.day),
                f"{name}-month": str(value.month),
                f"{name}-year": str(value.year),
            }
        else:
            fields[name] = value
    return fields


# --------------------------------------------------------------------------------------------------------------------
# Pages


def csrf_token(response) -> str:
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on the page {response.request.path}"
    return match.group(1)


def submission_key(response) -> str:
    match = _SUBMISSION_KEY.search(response.get_data(as_text=True))
    assert match, "no submission_key on the check page"
    return match.group(1)


def location(response) -> str:
    """The path (and query) a redirect points to."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start(client):
    """Open the start page and press Start now; returns the 303 response."""
    token = csrf_token(client.get("/"))
    return client.post("/start", data={"csrf_token": token})


def post_step(client, slug: str, answers: Mapping[str, Any], *, query: str = "", extra: Mapping | None = None):
    """GET a step (for its token) and POST these answers to it."""
    path = f"/questions/{slug}{query}"
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} gave {page.status_code} {page.headers.get('Location')}"
    data = {**form_fields(answers), **(extra or {}), "csrf_token": csrf_token(page)}
    return client.post(path, data=data)


def declaration(client, signature: str = FULL_NAME, *, confirm: bool = True, page=None) -> dict[str, Any]:
    """The declaration form as the check page would send it."""
    page = page if page is not None else client.get(CHECK_PATH)
    data = {"csrf_token": csrf_token(page), "submission_key": submission_key(page), "signature": signature}
    if confirm:
        data["confirm"] = "y"
    return data


def walk(
    client,
    steps: Mapping[str, Mapping[str, Any]],
    *,
    details: Mapping[str, str] = DETAILS,
    signature: str = FULL_NAME,
    stop_at: str | None = None,
    from_path: str | None = None,
    pages: list | None = None,
):
    """Walk the questionnaire through the real pages, following each 303, and return the final page.

    Starts a new screening unless `from_path` is given. Answers each step from `steps` (by slug), fills in the
    details, signs and sends; returns the GET of /your-result, or the GET of `stop_at` when that page is reached.
    Every page fetched on the way is appended to `pages` when a list is passed.
    """
    if from_path is None:
        response = start(client)
        assert response.status_code == 303, response.status_code
        path = location(response)
    else:
        path = from_path
    for _ in range(40):
        page = client.get(path)
        if pages is not None:
            pages.append(page)
        assert page.status_code == 200, f"GET {path} gave {page.status_code} {page.headers.get('Location')}"
        bare = urlsplit(path).path
        if bare in (stop_at, RESULT_PATH):
            return page
        if bare.startswith("/questions/"):
            slug = bare.removeprefix("/questions/")
            assert slug in steps, f"the walk reached {path} but has no answers for it"
            data = {**form_fields(steps[slug]), "csrf_token": csrf_token(page)}
        elif bare == DETAILS_PATH:
            data = {**details, "csrf_token": csrf_token(page)}
        elif bare == CHECK_PATH:
            data = declaration(client, signature, page=page)
        else:
            raise AssertionError(f"the walk reached an unexpected page {path}")
        response = client.post(path, data=data)
        assert response.status_code == 303, f"POST {path} gave {response.status_code}: {page_text(response)[:600]}"
        path = location(response)
    raise AssertionError("the walk did not finish in 40 pages")


# --------------------------------------------------------------------------------------------------------------------
# HTML


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._title = False
        self.title = ""
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "title":
            self._title = True
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._title = False
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if self._title:
            self.title += data
        if not self._skip:
            self.text.append(data)


def parse(response) -> _Elements:
    parser = _Elements()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    return parser


def elements(response, tag: str | None = None, **attrs: str) -> list[dict[str, str | None]]:
    """The attributes of every element with this tag (any tag if None) whose attributes include `attrs`."""
    return [
        found
        for name, found in parse(response).elements
        if (tag is None or name == tag) and all(found.get(key) == value for key, value in attrs.items())
    ]


def page_text(response) -> str:
    """The visible text of a page, entities decoded and whitespace collapsed."""
    return " ".join(" ".join(parse(response).text).split())


def page_title(response) -> str:
    return " ".join(parse(response).title.split())


def error_summary_links(response) -> list[str]:
    """The hrefs of the links in the error summary (the role=alert box)."""
    parser = _SummaryLinks()
    parser.feed(response.get_data(as_text=True))
    return parser.links


class _SummaryLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth:
            self.depth += tag not in _VOID
            if tag == "a":
                self.links.append(attributes.get("href") or "")
        elif tag == "div" and attributes.get("role") == "alert":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


def field_error(response, field_id: str) -> str:
    """The text of the error message shown next to a field (id="<field>-error"), or '' when there is none."""
    parser = _ById(f"{field_id}-error")
    parser.feed(response.get_data(as_text=True))
    return " ".join(" ".join(parser.text).split())


class _ById(HTMLParser):
    def __init__(self, element_id: str):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in _VOID
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


# --------------------------------------------------------------------------------------------------------------------
# Database


@contextmanager
def store_db(path: str | Path) -> Iterator:
    """A store connection (screening.db.connect), closed afterwards."""
    db = connect(path)
    try:
        yield db
    finally:
        db.close()


def count_rows(path: str | Path, table: str) -> int:
    with store_db(path) as db:
        return store.count_rows(db, table)


def drafts(path: str | Path) -> list[dict[str, Any]]:
    """Every draft row, with its answers and contact decoded."""
    with store_db(path) as db:
        rows = list(db.query("SELECT * FROM draft ORDER BY created_at"))
    return [{**row, "answers": json.loads(row["answers"]), "contact": json.loads(row["contact"])} for row in rows]


def only_draft_answers(path: str | Path) -> dict[str, Any]:
    rows = drafts(path)
    assert len(rows) == 1, f"expected one draft, found {len(rows)}"
    return rows[0]["answers"]


def submissions(path: str | Path) -> list[dict[str, Any]]:
    """Every submission as store.get_submission returns it (answers decoded, fired rules attached)."""
    with store_db(path) as db:
        ids = [row["id"] for row in db.query("SELECT id FROM submission ORDER BY id")]
        return [store.get_submission(db, submission_id) for submission_id in ids]


def only_submission(path: str | Path) -> dict[str, Any]:
    rows = submissions(path)
    assert len(rows) == 1, f"expected one submission, found {len(rows)}"
    return rows[0]
