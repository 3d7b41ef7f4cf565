"""A real SMTP server (aiosmtpd) on loopback, and an app that sends to it (replacing the root conftest's `app`)."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from tests.factories import make_app


class Inbox:
    """Collects every message the server accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def app(tmp_path, smtp):
    controller, _ = smtp
    return make_app(
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_SECURITY="none",
        CLINIC_EMAIL="desk@clinic.example",
        PUBLIC_URL="https://screening.clinic.example",
    )
