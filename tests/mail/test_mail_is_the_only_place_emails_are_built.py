"""Every email's words live in screening/mail: no other module builds a message or talks to a mail server. So a
clinic that rewords an email, or a reviewer who checks that no email carries anything clinical, reads one module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "screening"
MAIL_PACKAGE = PACKAGE / "mail"
MAIL_LIBRARIES = ("email.mime", "email.message", "smtplib")


def builders_outside_mail(package: Path = PACKAGE) -> list[str]:
    """Each place outside screening/mail that constructs a Mail or imports a mail library, as 'file:line what'."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if MAIL_PACKAGE in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if called == "Mail":
                    found.append(f"{path.relative_to(package)}:{node.lineno} builds a Mail")
            elif isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for name in names:
                    if name.startswith(MAIL_LIBRARIES):
                        found.append(f"{path.relative_to(package)}:{node.lineno} imports {name}")
    return found


def test_no_email_is_built_outside_the_mail_package():
    assert builders_outside_mail() == []


def test_the_scan_finds_an_email_built_in_a_service(tmp_path):
    services = tmp_path / "services"
    services.mkdir()
    (services / "clinic.py").write_text(
        "from screening import store\nimport smtplib\n\n"
        "def notice(to):\n    return store.Mail('clinic_booked', to, 'New booking', 'A booking')\n"
    )
    assert builders_outside_mail(tmp_path) == [
        "services/clinic.py:2 imports smtplib",
        "services/clinic.py:5 builds a Mail",
    ]


@pytest.mark.parametrize("name", ["password_reset", "slot_withdrawn", "clinic_booking", "audit_digest"])
def test_each_moved_email_is_a_function_of_the_mail_package(name):
    from screening import mail

    assert callable(getattr(mail, name)) and getattr(mail, name).__doc__
