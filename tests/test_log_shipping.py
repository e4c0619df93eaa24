"""Logs are shipped to a separate system (ASVS V16.4.3): with ``PEJLING_LOG_SYSLOG`` every line also goes to a syslog
collector, over UDP or TCP, as an RFC 5424 message whose text is the JSON line stderr gets.

The collectors here are real sockets on the loopback; the lines are the app's own, made by requests through the
ASGI app (in-process) or to ``pejling serve`` (a real server, whose shutdown flushes its security events).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from pejling.core import security_events
from pejling.core.cli import main
from pejling.core.log_shipping import drain_shipping, stop_shipping, syslog_target
from pejling.core.logs import configure_logging
from pejling.core.settings import Settings, get_settings, settings_problem
from tests.support.server import free_port, wait_until_healthy
from tests.test_log_lines import FORGED

#: ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`` (RFC 5424, no structured data).
RFC5424 = re.compile(r"<(\d{1,3})>1 (\S+) (\S+) pejling (\d+) (\S{1,32}) - (\{.*\})", re.DOTALL)
#: syslog priorities: facility user (1) × 8 + severity (warning 4, informational 6).
USER_WARNING, USER_INFO = 12, 14


class Collector:
    """A syslog input listening on the loopback: one datagram per message (UDP), or octet-counted frames (TCP)."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        self.socket = socket.socket(socket.AF_INET, kind)
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.received = bytearray()
        self.datagrams: list[bytes] = []
        self._thread: threading.Thread | None = None
        if transport == "tcp":
            self.socket.listen(1)
            self.socket.settimeout(60)  # a bound on a broken test, not a measurement
            self._thread = threading.Thread(target=self._read_connection, daemon=True)
            self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.transport}://127.0.0.1:{self.port}"

    def _read_connection(self) -> None:
        connection, _ = self.socket.accept()
        with connection:
            while chunk := connection.recv(65536):
                self.received.extend(chunk)

    def messages(self) -> list[str]:
        """Everything received once the sender has stopped (closed its connection, or sent its last datagram)."""
        if self.transport == "udp":
            self.socket.setblocking(False)  # loopback datagrams are queued by the time the sender returns
            while True:
                try:
                    self.datagrams.append(self.socket.recv(65536))
                except BlockingIOError:
                    break
            return [datagram.decode() for datagram in self.datagrams]
        assert self._thread is not None
        self._thread.join(60)
        return _octet_counted(bytes(self.received))

    def close(self) -> None:
        self.socket.close()


def _octet_counted(data: bytes) -> list[str]:
    """The messages of a TCP stream framed as ``LENGTH SP MESSAGE`` (RFC 6587 octet counting)."""
    messages, at = [], 0
    while at < len(data):
        space = data.index(b" ", at)
        length = int(data[at:space])
        messages.append(data[space + 1:space + 1 + length].decode())
        at = space + 1 + length
    return messages


def parsed(message: str) -> tuple[int, str, dict[str, Any]]:
    """The priority, MSGID and JSON line of one RFC 5424 message."""
    match = RFC5424.fullmatch(message)
    assert match, message
    return int(match.group(1)), match.group(5), json.loads(match.group(6))


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Logging as it was before the test configured it (and no shipping thread left behind)."""
    root, tortoise = logging.getLogger(), logging.getLogger("tortoise")
    handlers, level, tortoise_level = root.handlers[:], root.level, tortoise.level
    yield
    stop_shipping()
    root.handlers[:] = handlers
    root.setLevel(level)
    tortoise.setLevel(tortoise_level)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_log_lines_and_security_events_reach_the_collector(
    database: Settings, client: httpx.AsyncClient, logging_restored: None, transport: str
) -> None:
    collector = Collector(transport)
    unknown_token = "pjl_" + secrets.token_urlsafe(32)
    try:
        security_events.flush()  # what earlier tests left counted
        configure_logging(database.model_copy(update={"log_syslog": collector.url, "log_level": "INFO"}))
        assert (await client.get("/healthz", params={"token": unknown_token})).status_code == 200
        refused = await client.post("/graphql", json={"query": "{ me { email } }"},
                                    headers={"Authorization": f"Bearer {unknown_token}"})
        assert refused.status_code == 401
        logging.getLogger("pejling.test").warning("shopper wrote %s", FORGED)
        security_events.flush()
        stop_shipping()  # sends what is queued and closes the connection
        messages = collector.messages()
    finally:
        collector.close()

    assert all("\n" not in message for message in messages)  # a line break cannot forge a second entry
    lines = [parsed(message) for message in messages]
    access = [(priority, line) for priority, msgid, line in lines if msgid == "pejling.access"]
    [(priority, health)] = [(priority, line) for priority, line in access if line["path"] == "/healthz?[redacted]"]
    assert priority == USER_INFO and health["status"] == 200 and len(health["client"]) == 16
    [(priority, event)] = [(priority, line) for priority, msgid, line in lines
                           if msgid == "pejling.security" and line["kind"] == "invalid_token"]
    assert priority == USER_WARNING and event["event"] == "security_event" and event["level"] == "WARNING"
    assert (event["count"], event["clients"]) == (1, 1)
    assert event["top_clients"] == [{"client": health["client"], "count": 1}]  # the access log's hash, matchable
    [(_, forged)] = [(priority, line) for priority, msgid, line in lines if msgid == "pejling.test"]
    assert forged["message"] == f"shopper wrote {FORGED}"
    # The app's lines (not those of this test's own HTTP client, logger httpx, which shows what it sent).
    text = "".join(message for message, (_, msgid, _) in zip(messages, lines, strict=True) if msgid != "httpx")
    assert "pejling.access" in text and unknown_token not in text and "127.0.0.1" not in text


@pytest.mark.parametrize("value", ["collector.example:514", "http://collector.example:514", "udp://collector.example",
                                   "tcp://:514", "udp://collector.example:99999", "tcp://collector.example:514/logs",
                                   "udp://user@collector.example:514", "udp://collector.example:0"])
def test_a_wrong_syslog_setting_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    monkeypatch.setenv("PEJLING_LOG_SYSLOG", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert settings_problem(refused.value).startswith("PEJLING_LOG_SYSLOG: must be udp://host:port or tcp://host:port")
    get_settings.cache_clear()  # the process reads its settings once
    try:
        assert main(["migrate"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "The configuration is not valid" in err and "PEJLING_LOG_SYSLOG: must be" in err and "Traceback" not in err


def test_good_syslog_settings_name_their_target() -> None:
    assert str(syslog_target("udp://127.0.0.1:514")) == "udp://127.0.0.1:514"
    assert str(syslog_target(" tcp://logs.internal:6514 ")) == "tcp://logs.internal:6514"
    assert str(syslog_target("udp://[::1]:514")) == "udp://[::1]:514"
    assert Settings(log_syslog="").log_syslog == ""


def test_a_collector_that_does_not_answer_stops_nothing(
    database: Settings, logging_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = free_port()  # nothing listens there
    configure_logging(database.model_copy(update={"log_syslog": f"tcp://127.0.0.1:{closed}", "log_level": "INFO"}))
    for number in range(3):
        logging.getLogger("pejling.test").warning("line %d", number)
    stop_shipping()
    err = capsys.readouterr().err
    assert err.count(f"pejling: shipping logs to tcp://127.0.0.1:{closed} failed (ConnectionRefusedError)") == 1
    assert "line 2" in err  # stderr still has every line


def test_draining_sends_what_is_queued_and_shipping_goes_on(database: Settings, logging_restored: None) -> None:
    collector = Collector("udp")  # what a worker process's lifespan does at its end (it runs no exit handler)
    try:
        configure_logging(database.model_copy(update={"log_syslog": collector.url, "log_level": "INFO"}))
        for number in range(200):
            logging.getLogger("pejling.test").warning("line %d", number)
        assert drain_shipping()
        drained = [parsed(message)[2]["message"] for message in collector.messages()]
        logging.getLogger("pejling.test").warning("after")
        stop_shipping()
        after = [parsed(message)[2]["message"] for message in collector.messages()]
    finally:
        collector.close()
    assert drained == [f"line {number}" for number in range(200)]
    assert after[-1] == "after"


@pytest.mark.once
def test_pejling_serve_ships_its_lines_and_its_shutdown_security_events(database: Settings, tmp_path: Path) -> None:
    collector = Collector("udp")
    port = free_port()
    env = {
        **os.environ, "PEJLING_DATABASE_URL": database.resolved_database_url, "PEJLING_VAR_DIR": str(tmp_path),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(), "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "INFO", "PEJLING_LOG_SYSLOG": collector.url,
    }
    command = [str(Path(sys.executable).with_name("pejling")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    unknown_token = "pjl_" + secrets.token_urlsafe(32)
    try:
        wait_until_healthy(server, f"http://127.0.0.1:{port}")
        refused = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"},
                             headers={"Authorization": f"Bearer {unknown_token}"})
        assert refused.status_code == 401
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    try:
        messages = collector.messages()
    finally:
        collector.close()
    lines = [parsed(message) for message in messages]
    assert any(msgid == "pejling.access" and line["path"] == "/graphql" and line["status"] == 401
               for _, msgid, line in lines)
    assert lines[-1][2]["message"].startswith("Finished server process")  # uvicorn's last line, after the lifespan
    assert server.returncode == -signal.SIGTERM  # ended as SIGTERM ends a process (what a supervisor expects)
    events = [line for _, msgid, line in lines if msgid == "pejling.security"]
    assert [(line["kind"], line["count"]) for line in events] == [("invalid_token", 1)]  # written at shutdown
    assert unknown_token not in "".join(messages) and unknown_token not in output.decode()
