"""A real SMTP server for tests: aiosmtpd's ``Controller`` on 127.0.0.1, keeping every message it receives.

Use it from a ``conftest.py`` with ``from support.smtp import smtp_server`` (the fixture is session-wide;
tests tell their mails apart by recipient, e.g. a unique address each).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller


class SmtpSink:
    """aiosmtpd handler collecting the messages, with helpers to wait for one."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self.hostname = "127.0.0.1"
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://{self.hostname}:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        message = cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default))
        with self._lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for _, rcpts, message in self.messages if address in rcpts]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:  # noqa: ASYNC109
        """The messages to ``address`` once there are ``count`` of them; fails after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} mail(s) to {address}, got {len(self.to(address))}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    """A running local SMTP server; ``smtp_server.url`` goes into ``Settings.smtp_url``."""
    sink = SmtpSink()
    sink.port = _free_port()
    controller = Controller(sink, hostname=sink.hostname, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
