"""Logs never keep a client's address or the values of a query string: Pejling's own access log replaces uvicorn's."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pejling.core.cli import serve_options
from pejling.core.logs import ScrubUvicornAddresses, UtcFormatter
from pejling.core.settings import Settings
from tests.support.server import wait_until_healthy

SECRET = "s3cret-query-value-4711"
INVITATION = "inv1tation-token-0815"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.once
def test_pejling_serve_logs_requests_without_address_or_query_values(database: Settings, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ, "PEJLING_DATABASE_URL": database.resolved_database_url, "PEJLING_VAR_DIR": str(tmp_path),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(), "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "INFO",
    }
    # Bound as "localhost", so uvicorn's start-up line names no address; the client connects from 127.0.0.1.
    command = [str(Path(sys.executable).with_name("pejling")), "serve", "--host", "localhost", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(server, base)
        transport = httpx.HTTPTransport(local_address="127.0.0.1")
        with httpx.Client(transport=transport, base_url=base) as client:
            assert client.get("/healthz", params={"token": SECRET}).status_code == 200
            assert client.get(f"/i/{INVITATION}", params={"reset": SECRET}).status_code in {404, 410}
            client.post("/graphql", params={"token": SECRET}, json={"query": "{ __typename }"})
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    text = output.decode()

    assert "127.0.0.1" not in text
    assert SECRET not in text and INVITATION not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("name") == "pejling.access"]
    by_path = {line["path"]: line for line in access}
    health = by_path["/healthz?[redacted]"]
    assert health["message"].startswith("GET /healthz?[redacted] 200 ")
    assert (health["method"], health["status"]) == ("GET", 200)
    assert isinstance(health["duration_ms"], float) and health["duration_ms"] >= 0
    assert len(health["client"]) == 16  # a keyed hash of the address, never the address
    assert by_path["/i/[redacted]?[redacted]"]["method"] == "GET"
    assert by_path["/graphql?[redacted]"]["status"] == 200
    assert not any(line.get("name") == "uvicorn.access" for line in lines)
    assert any("Uvicorn running on http://localhost" in line.get("message", "") for line in lines)
    for line in lines:  # every time in UTC with its offset, to the millisecond
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["asctime"]), line


def test_dev_log_lines_carry_utc_time_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        record = logging.LogRecord("pejling.test", logging.INFO, __file__, 1, "hello", None, None)
        record.created = datetime(2026, 12, 2, 15, 20, 58, 526000, tzinfo=UTC).timestamp()
        assert UtcFormatter("%(asctime)s %(message)s").format(record) == "2026-12-02T15:20:58.526+00:00 hello"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_the_access_log_hides_secrets_in_paths_and_queries(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pejling.access"):
        await client.get(f"/i/{INVITATION}?token={SECRET}")
        await client.get("/healthz")
    records = [r for r in caplog.records if r.name == "pejling.access"]
    assert [r.getMessage().rsplit(" ", 2)[0] for r in records] == [
        "GET /i/[redacted]?[redacted] 404", "GET /healthz 200",
    ]
    assert SECRET not in caplog.text and INVITATION not in caplog.text and "127.0.0.1" not in caplog.text
    hashes = {getattr(r, "client") for r in records}
    assert len(hashes) == 1 and len(hashes.pop()) == 16  # the same client, recognisable within the day


def test_uvicorn_lines_that_start_with_the_client_address_are_scrubbed() -> None:
    # The shape of uvicorn's WebSocket handshake lines and of its access log (logger "uvicorn.error"/"access").
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" %d',
        ("203.0.113.7:50123", f"/graphql?token={SECRET}", 403), None,
    )
    assert ScrubUvicornAddresses().filter(record)
    assert record.getMessage() == '- - "WebSocket /graphql?[redacted]" 403'
    configured = logging.getLogger("uvicorn.error")
    assert any(isinstance(f, ScrubUvicornAddresses) for f in configured.filters)
    assert logging.getLogger("uvicorn.access").disabled


def test_serve_believes_forwarded_headers_only_from_trusted_proxies(database: Settings) -> None:
    args = argparse.Namespace(host=None, port=None)
    alone = serve_options(database, args)
    assert alone["proxy_headers"] is False and alone["forwarded_allow_ips"] == []
    assert alone["access_log"] is False and alone["server_header"] is False
    behind = serve_options(database.model_copy(update={"trusted_proxies": ["10.0.0.0/8", " 192.0.2.1 "]}), args)
    assert behind["proxy_headers"] is True and behind["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.1"]
