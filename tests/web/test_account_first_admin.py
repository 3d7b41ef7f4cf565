"""Before any clinician account exists, the sign-in page tells a visitor on the server's own computer (loopback) the
command that creates the first admin, with the instance folder the server uses; never a visitor from elsewhere."""

from __future__ import annotations

import html
import re
import shlex
from pathlib import Path

import pytest

from tests.cli_helpers import invoke
from tests.factories import make_clinician, rows
from tests.journeys import LOGIN_PATH
from tests.pages import page_text

FIRST_ADMIN = "No clinician account exists yet"
PLAIN = "Accounts are created by the clinic's admin"


def shown_command(response) -> str:
    """The command the sign-in page shows (the text of its <code>, as a terminal would be given it)."""
    assert FIRST_ADMIN in page_text(response), page_text(response)[:600]
    found = re.search(r'<code id="first-admin-command">(.*?)</code>', response.get_data(as_text=True), re.DOTALL)
    assert found, "no command on the sign-in page"
    return html.unescape(found.group(1)).strip()


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_the_sign_in_page_names_the_first_admin_command_to_a_visitor_on_this_computer(app, address):
    page = app.test_client().get(LOGIN_PATH, environ_base={"REMOTE_ADDR": address})

    assert page.status_code == 200
    words = shlex.split(shown_command(page))
    assert words[0] == f"SCREENING_INSTANCE_PATH={app.instance_path}"
    assert Path(words[1]).name == "screening" and Path(words[1]).is_file()
    assert words[2:5] == ["clinician", "add", "you@yourclinic.example"]
    assert words[-2:] == ["--role", "admin"]


def test_the_command_shown_creates_the_first_admin_and_the_hint_goes(app, runner, db_path):
    words = shlex.split(shown_command(app.test_client().get(LOGIN_PATH)))

    done = invoke(runner, *words[2:], input="plum tractor 41 lantern\n")

    assert done.returncode == 0, done.stderr
    assert rows(db_path, "SELECT role FROM clinician") == [{"role": "admin"}]
    after = page_text(app.test_client().get(LOGIN_PATH))
    assert FIRST_ADMIN not in after
    assert PLAIN in after


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("203.0.113.7", {}),
        ("192.168.1.20", {}),
        ("2001:db8::5", {}),
        ("127.0.0.2", {}),  # loopback, but not the server's own address: not shown
        # A proxy on the same computer forwards remote visitors from loopback: what it says of them is enough.
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}),
        ("::1", {"X-Real-IP": "203.0.113.7"}),
    ],
)
def test_a_visitor_from_elsewhere_is_never_told_the_command(app, address, headers):
    page = app.test_client().get(LOGIN_PATH, environ_base={"REMOTE_ADDR": address}, headers=headers)

    assert page.status_code == 200
    text = page_text(page)
    assert FIRST_ADMIN not in text
    assert "clinician add" not in text
    assert app.instance_path not in page.get_data(as_text=True)
    assert PLAIN in text


def test_once_a_clinician_exists_the_sign_in_page_says_only_who_creates_accounts(app, db_path):
    make_clinician(db_path)

    text = page_text(app.test_client().get(LOGIN_PATH))

    assert FIRST_ADMIN not in text
    assert "clinician add" not in text
    assert PLAIN in text
