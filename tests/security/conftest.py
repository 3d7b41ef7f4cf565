"""The security tests share the mail folder's real SMTP server on loopback (aiosmtpd)."""

from tests.mail.conftest import app, smtp  # noqa: F401 - fixtures: an app that sends to a real SMTP server
