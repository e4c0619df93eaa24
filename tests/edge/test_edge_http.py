"""What the shipped nginx configuration does with requests (ASVS V4.1.2, V12.2.1, V4.1.3 behind a proxy), in front of
a real ``pejling serve``: plain http redirects a browser's page load and refuses everything else, a client cannot
forge its address or scheme through the proxy, HSTS is the app's, bodies are limited as the app limits them, and
the live feed streams through."""

from __future__ import annotations

import secrets
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pejling.core.logs import client_hash
from pejling.core.security_headers import hsts_value
from pejling.core.settings import Settings
from pejling.core.surveys import import_routes
from tests.auth.auth_helpers import make_owner
from tests.edge.conftest import App, client_tls
from tests.support.certificates import ServerCertificate
from tests.support.nginx import Edge
from tests.support.raw_http import connect, exchange, read_until_quiet, responses
from tests.support.tenancy import token_for

pytestmark = pytest.mark.once  # the same processes on either database; the SQLite pass runs them


def plain(edge: Edge, method: str, path: str, host: str | None = None, **options: object) -> httpx.Response:
    return httpx.request(method, f"http://127.0.0.1:{edge.http_port}{path}", headers={"Host": host or edge.host},
                         follow_redirects=False, timeout=10, **options)  # type: ignore[arg-type]


def tls_request(edge: Edge, certificate: ServerCertificate, request: bytes, *, source: str | None = None,
                quiet: float = 1.0) -> bytes:
    return exchange(edge.https_port, request, tls=client_tls(certificate), server_name=edge.host, source=source,
                    quiet=quiet)


def test_plain_http_redirects_a_page_load_to_the_same_path_on_https(edge: Edge, app_server: App) -> None:
    path = f"/s/some-shop/main-street?lang=da&probe={secrets.token_hex(4)}"
    for method in ("GET", "HEAD"):
        response = plain(edge, method, path)
        assert response.status_code == 301, (method, response.status_code)
        assert response.headers["location"] == f"https://{edge.host}{path}"
    assert plain(edge, "GET", "/").headers["location"] == f"https://{edge.host}/"
    assert not any("some-shop" in seen for seen in app_server.access_paths())  # answered by nginx alone


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/graphql"), ("POST", "/graphql"), ("GET", "/api/live/responses"), ("POST", "/api/imports/responses"),
    ("POST", "/webhooks/stripe"), ("POST", "/webhooks/shopify"), ("GET", "/healthz"), ("GET", "/metrics"),
    ("POST", "/s/some-shop/main-street/responses"), ("POST", "/login"), ("PUT", "/"), ("DELETE", "/portal/"),
])
def test_plain_http_is_refused_for_the_api_webhooks_probes_and_every_method_but_get(
        edge: Edge, method: str, path: str) -> None:
    response = plain(edge, method, path, content=b"{}" if method in {"POST", "PUT"} else None)
    assert response.status_code == 403
    assert "location" not in response.headers
    assert response.text == "Pejling answers this only over https.\n"


def test_a_name_that_is_not_pejlings_gets_no_answer_on_plain_http(edge: Edge) -> None:
    with pytest.raises(httpx.RemoteProtocolError):  # nginx's 444: the connection is closed without a response
        plain(edge, "GET", "/", host="other.example")


def test_a_client_cannot_forge_its_address_or_scheme_through_the_proxy(
        edge: Edge, app_server: App, certificate: ServerCertificate, database: Settings) -> None:
    probe = f"/no-such-page-{secrets.token_hex(6)}"
    request = (f"GET {probe} HTTP/1.1\r\nHost: {edge.host}\r\nX-Forwarded-For: 203.0.113.7\r\n"
               "X-Forwarded-Proto: http\r\nForwarded: for=203.0.113.8;proto=http\r\nX-Real-IP: 203.0.113.9\r\n"
               "Connection: close\r\n\r\n").encode()
    # From another loopback address than nginx's own, so the proxy's value (the client's real address) differs from
    # the app's peer (nginx) and from everything the client wrote.
    [answer] = responses(tls_request(edge, certificate, request, source="127.0.0.2"))
    assert answer.status == 404
    assert answer.all("strict-transport-security") == [hsts_value(database)]  # https believed, from nginx
    [line] = wait_for_access_line(app_server, probe)
    day = datetime.now(UTC).date().isoformat()
    key = database.secret_bytes()
    assert line["client"] == client_hash(key, day, "127.0.0.2")
    assert line["client"] not in {client_hash(key, day, forged)
                                  for forged in ("203.0.113.7", "203.0.113.8", "203.0.113.9", "127.0.0.1")}


def wait_for_access_line(app: App, path: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [line for line in app.log_lines() if line.get("path") == path]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"the app logged no request for {path}")


def test_bodies_are_limited_as_the_app_limits_them_and_must_say_their_length(
        edge: Edge, certificate: ServerCertificate) -> None:
    largest = import_routes.MAX_BODY_BYTES
    head = f"POST {import_routes.PATH} HTTP/1.1\r\nHost: {edge.host}\r\nContent-Type: application/json\r\n"
    [too_large] = responses(tls_request(edge, certificate, f"{head}Content-Length: {largest + 1}\r\n\r\n".encode()))
    assert too_large.status == 413
    [passed] = responses(tls_request(edge, certificate, (f"{head}Content-Length: {largest}\r\nConnection: close"
                                                         "\r\n\r\n").encode() + b" " * largest, quiet=5))
    assert passed.status == 401  # the app's answer (no token): nginx let the largest body the app takes through
    chunked = tls_request(edge, certificate, f"{head}Transfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n".encode())
    [refused] = responses(chunked)
    assert refused.status == 400 and refused.header("connection") == "close"


async def test_the_live_feed_streams_through_the_proxy(edge: Edge, certificate: ServerCertificate) -> None:
    tenant, owner = await make_owner()
    token = await token_for(tenant, owner, ("read",))
    request = (f"GET /api/live/responses HTTP/1.1\r\nHost: {edge.host}\r\nAuthorization: Bearer {token}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    with connect(edge.https_port, tls=client_tls(certificate), server_name=edge.host) as connection:
        connection.sendall(request)
        received = b""
        deadline = time.monotonic() + 20
        # The stream lasts PEJLING_LIVE_STREAM_SECONDS (300): events that arrive now were not held back to its end.
        while received.count(b"event: heartbeat") < 2 and time.monotonic() < deadline:
            received += read_until_quiet(connection, quiet=0.5, limit=1) or b""
        still_open = _still_open(connection)
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 200") and "content-type: text/event-stream" in head
    assert b"event: today" in received and received.count(b"event: heartbeat") >= 2
    assert still_open


def _still_open(connection: ssl.SSLSocket | object) -> bool:
    assert isinstance(connection, ssl.SSLSocket)
    connection.settimeout(0.2)
    try:
        return connection.recv(65536) != b""
    except (TimeoutError, ssl.SSLWantReadError):
        return True


def _connections_to(port: int) -> set[int]:
    """The local ports of established TCP connections to 127.0.0.1:``port`` on this machine (``/proc/net/tcp``)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if state == "01" and remote == f"0100007F:{port:04X}":
            found.add(int(local.split(":")[1], 16))
    return found


def test_nginx_keeps_its_http_1_1_connection_to_the_app_open_between_requests(
        edge: Edge, app_server: App, certificate: ServerCertificate) -> None:
    seen = []
    for number in range(3):
        request = f"GET /healthz HTTP/1.1\r\nHost: {edge.host}\r\nConnection: close\r\n\r\n".encode()
        [answer] = responses(tls_request(edge, certificate, request, quiet=2))
        assert answer.status == 200, number
        seen.append(_connections_to(app_server.port))
    # Each client closed its own connection; nginx's one to the app stayed and was used again.
    assert seen[0] and seen[0] & seen[1] & seen[2]
