"""The security tests: an app that sends to a real SMTP server on loopback (aiosmtpd, as in tests/mail), with an
audit-chain key as `screening init` writes one."""

import pytest

from tests.factories import make_app
from tests.mail.conftest import smtp  # noqa: F401 - fixture: a real SMTP server on loopback

AUDIT_KEY = "a" * 64


@pytest.fixture
def app(tmp_path, smtp):  # noqa: F811 - the fixture imported above
    controller, _ = smtp
    return make_app(
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_SECURITY="none",
        CLINIC_EMAIL="desk@clinic.example",
        PUBLIC_URL="https://screening.clinic.example",
        AUDIT_KEY=AUDIT_KEY,
    )
