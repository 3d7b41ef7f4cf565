"""Helpers for the clinician-workspace tests: clinicians, sign-in, submissions made fast or through the real form,
pages parsed with html.parser, and the audit trail read straight from the database. (The CLI: tests/cli_helpers.py.)

(The application itself comes from tests/factories.py: `make_app`.)
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, date, datetime
from functools import cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from screening import clock as app_clock
from screening import store
from screening.db import connect
from screening.domain import evaluate_screening, load_ruleset
from screening.services import credentials
from tests.web.web_helpers import DETAILS, FULL_NAME, answers_by_step, csrf_token, walk

PROJECT_DIR = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_DIR / "rules"
RULESET = load_ruleset(RULES_DIR)
SESSION_COOKIE = "__Host-session"
LOGIN_PATH = "/clinician/login"
QUEUE_PATH = "/clinician/queue"

PASSWORD = "plum tractor 41 lantern"  # 23 characters, not on the common list
ADMIN_PASSWORD = "quiet harbour 73 violin"
CLINICIAN_EMAIL = "ada@clinic.example"
ADMIN_EMAIL = "grace@clinic.example"

# Answers that send a screening to a clinician, or only flag it, per the shipped rules (checked in the tests).
REVIEW_TOXIN = {"treatment": "toxin", "neuro_conditions": ["multiple_sclerosis"]}
REVIEW_FILLER = {"treatment": "filler", "bleeding_disorder": "yes"}
REVIEW_BOTH = {"treatment": "both", "neuro_conditions": ["multiple_sclerosis"], "bleeding_disorder": "yes"}
REVIEW_TOXIN_OF_BOTH = {"treatment": "both", "neuro_conditions": ["multiple_sclerosis"]}  # toxin review, filler clear
CAUTION = {"treatment": "toxin", "upcoming_event": "yes"}
DECLINE = {"treatment": "toxin", "neuro_conditions": ["myasthenia_gravis"]}
DEFER = {"treatment": "toxin", "unwell_now": "yes"}
CLEAR = {"treatment": "toxin"}


# --------------------------------------------------------------------------------------------------------------------
# Database


def db_connection(path: str | Path):
    """A store connection (screening.db.connect) as a context manager that closes it."""
    return closing(connect(path))


def rows(path: str | Path, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    with db_connection(path) as db:
        return list(db.query(sql, params))


def audit_rows(path: str | Path, action: str | None = None) -> list[dict[str, Any]]:
    if action is None:
        return rows(path, "SELECT * FROM audit_event ORDER BY id")
    return rows(path, "SELECT * FROM audit_event WHERE action = ? ORDER BY id", [action])


def actions(path: str | Path) -> list[str]:
    return [row["action"] for row in audit_rows(path)]


def review_state(path: str | Path, submission_id: int) -> str:
    return rows(path, "SELECT review_state FROM submission WHERE id = ?", [submission_id])[0]["review_state"]


def decision_rows(path: str | Path, submission_id: int) -> list[dict[str, Any]]:
    found = rows(path, "SELECT * FROM decision WHERE submission_id = ? ORDER BY id", [submission_id])
    return [{**row, "treatments": json.loads(row["treatments"])} for row in found]


def latest_submission_id(path: str | Path) -> int:
    return rows(path, "SELECT max(id) AS id FROM submission")[0]["id"]


# --------------------------------------------------------------------------------------------------------------------
# Clinicians


@cache
def password_hash(password: str) -> str:
    """argon2id costs about 50 ms: hash each test password once per run (the CLI tests check that salts differ)."""
    return credentials.hash_password(password)


def make_clinician(
    path: str | Path,
    email: str = CLINICIAN_EMAIL,
    *,
    password: str = PASSWORD,
    name: str | None = None,
    role: str = "clinician",
) -> int:
    with db_connection(path) as db:
        return store.add_clinician(
            db,
            email=email,
            name=name or email.split("@")[0].capitalize(),
            role=role,
            password_hash=password_hash(password),
            audit=store.AuditEvent(action="clinician_created", actor_role="system"),
        )


def make_admin(path: str | Path, email: str = ADMIN_EMAIL, *, password: str = ADMIN_PASSWORD, name: str = "Grace"):
    return make_clinician(path, email, password=password, name=name, role="admin")


def login_page(client, **request_kwargs):
    return client.get(LOGIN_PATH, **request_kwargs)


def sign_in(client, email: str = CLINICIAN_EMAIL, password: str = PASSWORD, **request_kwargs):
    """Open the sign-in page (for its token) and send the email and password; returns the POST's response."""
    token = csrf_token(login_page(client, **request_kwargs))
    return client.post(LOGIN_PATH, data={"email": email, "password": password, "csrf_token": token}, **request_kwargs)


def signed_in(app, email: str = CLINICIAN_EMAIL, password: str = PASSWORD):
    """A new browser signed in as this clinician (asserts the sign-in went to the queue)."""
    client = app.test_client()
    response = sign_in(client, email, password)
    assert response.status_code == 303, page_text(response)[:500]
    assert location(response) == QUEUE_PATH
    return client


def token_of(client) -> str:
    """A CSRF token of this browser's session, from a page it may see (the queue, else the sign-in page)."""
    page = client.get(QUEUE_PATH)
    if page.status_code != 200:
        page = login_page(client)
    return csrf_token(page)


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return None if cookie is None else cookie.value


def browser_with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, value)
    return other


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and urlsplit(response.headers["Location"]).path == (
        LOGIN_PATH
    )


# --------------------------------------------------------------------------------------------------------------------
# Submissions


def flat_answers(steps: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for answers in steps.values():
        for question_id, value in answers.items():
            flat[question_id] = value.isoformat() if isinstance(value, date) else value
    return flat


def record(
    db,
    treatment: str = "toxin",
    *,
    created_at: datetime | str | None = None,
    full_name: str = FULL_NAME,
    **overrides: Any,
) -> int:
    """Store a submission on this connection as the intake does (normalise, evaluate, record_submission), dated the
    clinic's today by the one clock, as the intake dates it (the test's `clock` fixture moves it)."""
    today = app_clock.today_in(app_clock.zone("Europe/London"))
    answers = RULESET.questionnaire.normalise(flat_answers(answers_by_step(treatment, **overrides)), today)
    evaluation = evaluate_screening(RULESET, answers)
    submission_id = store.record_submission(
        db,
        store.NewSubmission(
            submission_key=secrets.token_urlsafe(16),
            access_token=secrets.token_urlsafe(16),
            answers=answers,
            evaluation=evaluation,
            contact={**DETAILS, "full_name": full_name},
            attested_name=full_name,
            ruleset_version=RULESET.version,
        ),
    )
    store.append_audit(
        db,
        store.Actor("patient").event(
            "submission_created",
            object_type="submission",
            object_id=submission_id,
            detail={"outcome": evaluation.outcome, "rules": len(evaluation.fired)},
        ),
    )
    if created_at is not None:
        stamp = created_at if isinstance(created_at, str) else store.iso(created_at)
        db.execute("UPDATE submission SET created_at = ? WHERE id = ?", [stamp, submission_id])
    return submission_id


def quick_submission(path: str | Path, treatment: str = "toxin", **kwargs: Any) -> int:
    """A submission stored without the pages (see record)."""
    with db_connection(path) as db:
        return record(db, treatment, **kwargs)


def submit_through_form(app, treatment: str = "toxin", *, details: Mapping[str, str] = DETAILS, **overrides):
    """A patient fills in the real pages; returns (their browser, the new submission's id)."""
    patient = app.test_client()
    result = walk(patient, answers_by_step(treatment, **overrides), details=details, signature=details["full_name"])
    assert result.status_code == 200
    return patient, latest_submission_id(app.config["DATABASE"])


# --------------------------------------------------------------------------------------------------------------------
# Clinician pages


def decide(client, submission_id: int, **fields: Any):
    """Open the submission (for the token) and POST this decision."""
    page = client.get(f"/clinician/submissions/{submission_id}")
    assert page.status_code == 200, page.status_code
    return client.post(
        f"/clinician/submissions/{submission_id}/decision", data={**fields, "csrf_token": csrf_token(page)}
    )


_QUEUE_LINK = re.compile(r'href="/clinician/submissions/(\d+)"')
_NEXT_PAGE = re.compile(r'<a class="button button--secondary" href="([^"]+)">Next page</a>')
_COUNT = re.compile(r'<span class="counts__number">(\d+)</span>\s*([^<]+?)\s*</li>')


def listed_ids(response) -> list[int]:
    """The submissions a queue page lists, in order."""
    return [int(found) for found in _QUEUE_LINK.findall(response.get_data(as_text=True))]


def next_page_href(response) -> str | None:
    match = _NEXT_PAGE.search(response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def shown_counts(response) -> dict[str, int]:
    """The per-state counts at the top of the queue, by their label."""
    return {label: int(n) for n, label in _COUNT.findall(response.get_data(as_text=True))}


def location(response) -> str:
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --------------------------------------------------------------------------------------------------------------------
# HTML


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag) and all(node.attrs.get(k) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Node | None:
        found = self.find_all(id=element_id)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def tree(response) -> Node:
    builder = _TreeBuilder()
    builder.feed(response.get_data(as_text=True))
    builder.close()
    return builder.root


def text_of(response) -> str:
    return tree(response).text()


def field_error(response, field_id: str) -> str:
    node = tree(response).by_id(f"{field_id}-error")
    return "" if node is None else node.text()


def utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)


def page_text(response) -> str:
    return text_of(response)
