"""An admin invites a clinician by email: the account is made with no password anyone knows, and the clinician gets
a one-time link (three days) to choose their own; the outbox holds a reference to the link, never the link."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import ADMIN_EMAIL, SECRET_KEY, audit_rows, outbox, rows
from tests.journeys import QUEUE_PATH, sign_in, token_of
from tests.pages import csrf_token, field_error, location, page_text

CLINICIANS = "/clinician/admin/clinicians"
INVITE = "/clinician/admin/clinicians/invite"
KIM = "kim@clinic.example"
OWN = "velvet compass 27 meadow"


def invite(admin, email: str = KIM, name: str = "Kim Nurse", role: str = "clinician"):
    page = admin.get(CLINICIANS)
    return admin.post(
        INVITE,
        data={"invite-email": email, "invite-name": name, "invite-role": role, "csrf_token": csrf_token(page)},
    )


def invitation_path(db_path) -> str:
    (message,) = outbox(db_path, "invitation")
    return re.search(r"http://[^/]+(/clinician/reset/\S+)", message["body"]).group(1)


def test_an_invited_clinician_chooses_their_own_password_from_the_link_and_signs_in(app, db_path, auth):
    admin = auth.admin()

    sent = invite(admin)

    assert sent.status_code == 303 and location(sent) == CLINICIANS
    assert "An invitation" in page_text(admin.get(CLINICIANS))
    (account,) = rows(db_path, "SELECT * FROM clinician WHERE email = ?", [KIM])
    assert account["role"] == "clinician" and account["name"] == "Kim Nurse"
    (message,) = outbox(db_path, "invitation")
    assert message["to_addr"] == KIM
    assert "Our clinic" in message["subject"]
    assert [row["object_id"] for row in audit_rows(db_path, "clinician_invited")] == [str(account["id"])]

    visitor = app.test_client()
    path = invitation_path(db_path)
    page = visitor.get(path)
    assert page.status_code == 200
    chosen = visitor.post(path, data={"new": OWN, "again": OWN, "csrf_token": csrf_token(page)})
    assert chosen.status_code == 303

    signed = sign_in(app.test_client(), KIM, OWN)
    assert signed.status_code == 303 and location(signed) == QUEUE_PATH  # their own already: no second choosing
    again = visitor.get(path)
    assert again.status_code == 404 and "expired or has been used" in page_text(again)


def test_the_outbox_holds_a_reference_to_the_link_and_nothing_that_opens_it(auth, db_path):
    invite(auth.admin())

    (queued,) = rows(db_path, "SELECT body FROM outbox WHERE kind = 'invitation'")
    assert re.search(r"⟨reset-token:[0-9a-f]{32}⟩", queued["body"])
    assert not re.search(r"/clinician/reset/[A-Za-z0-9_-]{20,}", queued["body"])
    assert SECRET_KEY not in queued["body"]
    (reset,) = rows(db_path, "SELECT id FROM password_reset")
    assert reset["id"] not in queued["body"]


def test_an_invitation_works_for_three_days_and_not_after(app, db_path, auth, clock):
    sent_at = clock.freeze()
    invite(auth.admin())
    path = invitation_path(db_path)
    visitor = app.test_client()

    clock.set(sent_at + timedelta(days=3) - timedelta(minutes=1))
    assert visitor.get(path).status_code == 200
    clock.set(sent_at + timedelta(days=3, minutes=1))
    late = visitor.get(path)

    assert late.status_code == 404 and "expired or has been used" in page_text(late)


def test_a_bad_invitation_is_refused_naming_the_field_and_changes_nothing(auth, db_path):
    admin = auth.admin()
    before = rows(db_path, "SELECT COUNT(*) AS n FROM clinician")[0]["n"]

    taken = invite(admin, email=ADMIN_EMAIL)
    assert taken.status_code == 400
    assert "exists already" in field_error(taken, "invite-email")
    not_an_email = invite(admin, email="not an email")
    assert not_an_email.status_code == 400
    assert "valid email address" in field_error(not_an_email, "invite-email")
    no_name = invite(admin, name="")
    assert no_name.status_code == 400
    assert "Enter a name" in field_error(no_name, "invite-name")

    assert rows(db_path, "SELECT COUNT(*) AS n FROM clinician")[0]["n"] == before
    assert outbox(db_path, "invitation") == []


def test_only_admins_invite_and_never_without_the_form_token(auth, db_path):
    clinician = auth.clinician()
    refused = clinician.post(
        INVITE,
        data={"invite-email": KIM, "invite-name": "Kim", "invite-role": "clinician", "csrf_token": token_of(clinician)},
    )
    assert refused.status_code == 403
    admin = auth.admin()
    no_token = admin.post(INVITE, data={"invite-email": KIM, "invite-name": "Kim", "invite-role": "clinician"})
    assert no_token.status_code == 400

    assert rows(db_path, "SELECT email FROM clinician WHERE email = ?", [KIM]) == []
    assert outbox(db_path, "invitation") == []
