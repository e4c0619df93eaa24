"""Request smuggling (ASVS V4.2.1): requests whose end is ambiguous, sent on raw sockets straight to ``pejling serve``
(uvicorn with httptools, which ``serve_options`` names) and through the shipped nginx configuration.

Each request carries a second request, ``GET /smuggled-<case>``, where one reading of its length would find it. A
server is right when it refuses the request (400, and closes) or reads it as exactly one request: the client never
gets a second response, and the app never sees the smuggled path (which would be the desync: nginx reading one
request where uvicorn reads two, the second answered to the next client on that upstream connection).

uvicorn's other parser, h11, fails here (it reads Content-Length + Transfer-Encoding by the latter and keeps the
connection open, so the bytes after the last chunk are answered as a request): ``pejling serve`` never uses it, and
a test below says when that changes.
"""

from __future__ import annotations

import argparse
import importlib.util
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from pejling.core.cli import serve_options
from pejling.core.settings import Settings
from tests.edge.conftest import App, client_tls
from tests.support.certificates import ServerCertificate
from tests.support.nginx import Edge
from tests.support.raw_http import RawResponse, exchange, responses
from tests.support.server import free_port

pytestmark = pytest.mark.once  # the same processes on either database; the SQLite pass runs them


def smuggled(case: str, host: str) -> bytes:
    return f"GET /smuggled-{case} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def ambiguous_requests(host: str) -> dict[str, bytes]:
    """Each case: the bytes of one request that some reading would take for two."""
    start = f"POST /healthz HTTP/1.1\r\nHost: {host}\r\n".encode()
    cases: dict[str, bytes] = {}

    def add(case: str, headers: str, body: bytes) -> None:
        cases[case] = start + headers.format(length=len(body)).encode() + b"\r\n" + body

    def after_last_chunk(case: str) -> bytes:
        return b"0\r\n\r\n" + smuggled(case, host)

    # Content-Length covers the whole body; chunked ends early and leaves the smuggled request.
    add("cl-te", "Content-Length: {length}\r\nTransfer-Encoding: chunked\r\n", after_last_chunk("cl-te"))
    # The other way: chunked holds the smuggled request as data; a short Content-Length leaves it.
    add("te-cl", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
        _chunk(smuggled("te-cl", host)) + b"0\r\n\r\n")
    add("te-cl-case", "Content-Length: {length}\r\ntransfer-encoding: CHUNKED\r\n", after_last_chunk("te-cl-case"))
    # Two lengths: the first or the last one wins, depending on the reader.
    add("two-lengths", "Content-Length: 0\r\nContent-Length: {length}\r\n", smuggled("two-lengths", host))
    add("length-list", "Content-Length: 0, {length}\r\n", smuggled("length-list", host))
    add("length-plus", "Content-Length: +{length}\r\n", smuggled("length-plus", host))
    # A header not read as Content-Length / Transfer-Encoding by one side.
    add("space-before-colon", "Content-Length : {length}\r\n", smuggled("space-before-colon", host))
    add("te-space-before-colon", "Content-Length: {length}\r\nTransfer-Encoding : chunked\r\n",
        after_last_chunk("te-space-before-colon"))
    add("te-obs-fold", "Content-Length: {length}\r\nTransfer-Encoding: identity\r\n chunked\r\n",
        after_last_chunk("te-obs-fold"))
    add("te-folded-name", "Content-Length: {length}\r\nX-Note: a\r\n Transfer-Encoding: chunked\r\n",
        after_last_chunk("te-folded-name"))
    add("te-tab", "Content-Length: {length}\r\nTransfer-Encoding:\tchunked\r\n", after_last_chunk("te-tab"))
    add("te-not-last", "Transfer-Encoding: chunked, identity\r\n", after_last_chunk("te-not-last"))
    add("te-unknown", "Transfer-Encoding: xchunked\r\n", after_last_chunk("te-unknown"))
    add("te-twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", after_last_chunk("te-twice"))
    # Chunk sizes that some parser reads otherwise: signs, overflow, a prefix, bare line feeds.
    for case, size in (("chunk-negative", b"-1"), ("chunk-overflow", b"1" + b"0" * 16 + b"1"),
                       ("chunk-hex-prefix", b"0x5"), ("chunk-plus", b"+5")):
        add(case, "Transfer-Encoding: chunked\r\n", size + b"\r\nhello\r\n" + after_last_chunk(case))
    add("chunk-bare-lf", "Transfer-Encoding: chunked\r\n",
        b"5\nhello\n" + after_last_chunk("chunk-bare-lf"))
    add("chunk-extension-lf", "Transfer-Encoding: chunked\r\n",
        b"5;x\nhello\r\n" + after_last_chunk("chunk-extension-lf"))
    add("chunk-too-long", "Transfer-Encoding: chunked\r\n",
        b"2\r\nhello\r\n" + after_last_chunk("chunk-too-long"))
    # Transfer-Encoding in HTTP/1.0, which has none.
    cases["te-http-1.0"] = (f"POST /healthz HTTP/1.0\r\nHost: {host}\r\nContent-Length: 5\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n").encode() + after_last_chunk("te-http-1.0")
    # A request in a body that says its length plainly is body, not a request.
    add("request-in-body", "Content-Length: {length}\r\n", smuggled("request-in-body", host))
    return cases


def problems(answers: dict[str, bytes]) -> dict[str, str]:
    """What is wrong with each case's answer: more than one response, or an answer to a smuggled request."""
    found = {}
    for case, data in answers.items():
        try:
            parsed: list[RawResponse] = responses(data)
        except (ValueError, AssertionError) as error:
            found[case] = f"an answer that is not HTTP ({error}): {data[:200]!r}"
            continue
        if len(parsed) > 1:
            found[case] = f"{len(parsed)} responses: {[r.status for r in parsed]}"
        elif b"smuggled-" in data:
            found[case] = "the smuggled path reached an answer"
    return found


def send_all(cases: dict[str, bytes], port: int, *, tls: ssl.SSLContext | None = None,
             server_name: str | None = None) -> dict[str, bytes]:
    """Every case on its own connection, at once (most end with the server closing; the rest go quiet)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {case: pool.submit(exchange, port, request, tls=tls, server_name=server_name)
                   for case, request in cases.items()}
        return {case: future.result() for case, future in futures.items()}


def refused(answers: dict[str, bytes]) -> set[str]:
    """The cases answered 400, or 501 (nginx's word for a transfer coding it does not know), and nothing else: today
    every ambiguous one; a parser that starts to accept one must still pass :func:`problems`, and this line then
    names the case to look at."""
    return {case for case, data in answers.items()
            if data.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 501 ")) and len(responses(data)) == 1}


def smuggled_paths_seen(app: App) -> list[str]:
    return [path for path in app.access_paths() if "smuggled" in path]


def test_pejling_serve_parses_with_httptools(database: Settings) -> None:
    options = serve_options(database, argparse.Namespace(host=None, port=None))
    assert options["http"] == "httptools"  # not "auto", which would take h11 if httptools failed to import
    assert importlib.util.find_spec("httptools") is not None


async def _answer_by_path(scope: Scope, receive: Receive, send: Send) -> None:
    """404 for a smuggled path, 405 for anything else, once the body is read."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 404 if "smuggled" in scope["path"] else 405,
                "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


@contextmanager
def bare_uvicorn(parser: str) -> Iterator[int]:
    """uvicorn with ``parser`` and a tiny app, in a thread of this process; its port."""
    port = free_port()
    # The plain asyncio loop and no logging set-up: this process's event loop policy and loggers stay as they are.
    server = uvicorn.Server(uvicorn.Config(_answer_by_path, host="127.0.0.1", port=port, http=parser, loop="asyncio",
                                           lifespan="off", log_config=None, log_level=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def test_h11_would_answer_a_request_after_the_last_chunk_so_pejling_serve_does_not_use_it() -> None:
    with bare_uvicorn("httptools") as port:
        assert problems(send_all(ambiguous_requests(f"127.0.0.1:{port}"), port)) == {}
    with bare_uvicorn("h11") as port:
        found = problems(send_all(ambiguous_requests(f"127.0.0.1:{port}"), port))
    # When this fails because h11 closes such connections now, serve_options may go back to "auto".
    assert found.get("cl-te") == "2 responses: [405, 404]", found


def test_ambiguous_requests_straight_to_uvicorn_are_refused_or_read_as_one(app_server: App) -> None:
    answers = send_all(ambiguous_requests(f"127.0.0.1:{app_server.port}"), app_server.port)
    assert problems(answers) == {}
    assert smuggled_paths_seen(app_server) == []
    assert refused(answers) == set(answers) - {"request-in-body"}


def test_ambiguous_requests_through_nginx_are_refused_or_read_as_one(
        edge: Edge, app_server: App, certificate: ServerCertificate) -> None:
    answers = send_all(ambiguous_requests(edge.host), edge.https_port, tls=client_tls(certificate),
                       server_name=edge.host)
    assert problems(answers) == {}
    assert smuggled_paths_seen(app_server) == []
    assert refused(answers) == set(answers) - {"request-in-body"}
