"""Links in queued email, kept at rest as references, never as links.

A message in the outbox says which link it needs, not the link: `⟨private-link:KEY⟩` (the patient's private page,
derived from the one-time submission key with SECRET_KEY), `⟨return-token:NONCE⟩` (a one-time return link's token,
derived from a random nonce with SECRET_KEY; the link to finish a saved screening later is the same kind of token) or
`⟨reset-token:NONCE⟩` (a clinician's one-time password-reset link's token, derived the same way);
`⟨stop-reminders:ID⟩` is the signed one-click link that stops reminders. The sender renders the real link just before
delivery, in memory; the body is blanked once the message is sent. So a copy of the database (or of a backup) opens
nobody's page without the SECRET_KEY, which lives in instance/config.py, not in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

PRIVATE_LINK = re.compile(r"⟨private-link:([A-Za-z0-9_-]{1,128})⟩")
RETURN_TOKEN = re.compile(r"⟨return-token:([0-9a-f]{32})⟩")
RESET_TOKEN = re.compile(r"⟨reset-token:([0-9a-f]{32})⟩")
STOP_REMINDERS = re.compile(r"⟨stop-reminders:([0-9]{1,18})⟩")
# The pages emails link to, in one place: built here from PUBLIC_URL, never from a request (a test holds each to the
# app's own route).
PRIVATE_LINK_PATH = "/r/{token}"
RETURN_LINK_PATH = "/returning/{token}"
RESUME_LINK_PATH = "/continue/{token}"
RESET_LINK_PATH = "/clinician/reset/{token}"
STOP_REMINDERS_PATH = "/reminders/stop/{token}"
LOGIN_PATH = "/clinician/login"
SUBMISSION_PATH = "/clinician/submissions/{submission_id}"
DIARY_PATH = "/clinician/diary"
AUDIT_PATH = "/clinician/admin/audit"

TOKEN_SLOT = "TOKENSLOT"  # noqa: S105 - not a secret: what a one-time link's path is built with before the reference takes its place


def private_token(secret_key: str, submission_key: str) -> str:
    """The patient's private-link token, derived from the one-time submission key with the app's secret.

    Only its hash is stored, yet the service can still put the link in an email; a copy of the database alone opens
    nothing. 128 bits, URL-safe.
    """
    digest = hmac.new(str(secret_key).encode(), b"private-link:" + submission_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def private_link_ref(submission_key: str) -> str:
    return f"⟨private-link:{submission_key}⟩"


def new_return_nonce() -> str:
    return secrets.token_hex(16)


def return_token(secret_key: str, nonce: str) -> str:
    """The one-time return link's token: only its hash is stored (return_link.id), the nonce only in the outbox."""
    digest = hmac.new(str(secret_key).encode(), b"return-link:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def return_link_ref(public_path: str, nonce: str) -> str:
    """`public_path` is the full link built with TOKEN_SLOT where the token goes."""
    return public_path.replace(TOKEN_SLOT, f"⟨return-token:{nonce}⟩")


def new_reset_nonce() -> str:
    return secrets.token_hex(16)


def reset_token(secret_key: str, nonce: str) -> str:
    """A password-reset link's token: only its hash is stored (password_reset.id), the nonce only in the outbox."""
    digest = hmac.new(str(secret_key).encode(), b"reset-link:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def reset_link_ref(public_path: str, nonce: str) -> str:
    """`public_path` is the full reset link built with TOKEN_SLOT where the token goes."""
    return public_path.replace(TOKEN_SLOT, f"⟨reset-token:{nonce}⟩")


def stop_reminders_token(secret_key: str, submission_id: int) -> str:
    """The signed one-click link that stops reminders about one screening: its id and a MAC of it with SECRET_KEY
    (it only ever unsubscribes, so it is not one-time; the outbox holds the reference, never the link)."""
    digest = hmac.new(str(secret_key).encode(), b"stop-reminders:%d" % submission_id, hashlib.sha256).digest()
    return f"{submission_id}.{base64.urlsafe_b64encode(digest[:16]).decode().rstrip('=')}"


def stop_reminders_submission(secret_key: str, token: str) -> int | None:
    """The screening a signed stop link names, or None when the link is not one this instance signed."""
    number, _, _mac = (token or "").partition(".")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        return None
    expected = stop_reminders_token(secret_key, int(number))
    return int(number) if hmac.compare_digest(expected.encode(), token.encode()) else None


def stop_reminders_ref(submission_id: int) -> str:
    return f"⟨stop-reminders:{submission_id}⟩"


def render(body: str, *, secret_key: str, public_url: str) -> str:
    """The body as it is sent: references replaced by links (in memory, at delivery only)."""

    if not secret_key:
        if any(ref.search(body) for ref in (PRIVATE_LINK, RETURN_TOKEN, RESET_TOKEN, STOP_REMINDERS)):
            raise ValueError("a queued message needs SECRET_KEY to render its link")
        return body
    base = public_url.rstrip("/")
    body = PRIVATE_LINK.sub(
        lambda m: base + PRIVATE_LINK_PATH.format(token=private_token(secret_key, m.group(1))), body
    )
    body = STOP_REMINDERS.sub(
        lambda m: base + STOP_REMINDERS_PATH.format(token=stop_reminders_token(secret_key, int(m.group(1)))), body
    )
    body = RETURN_TOKEN.sub(lambda m: return_token(secret_key, m.group(1)), body)
    return RESET_TOKEN.sub(lambda m: reset_token(secret_key, m.group(1)), body)
