"""HTTP/1.1 on a raw socket, for requests no client library would send (request smuggling, forged headers): send
bytes as they are, read what comes back until the server closes or goes quiet, and split it into responses."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field


@dataclass
class RawResponse:
    """One response read off the wire: status, headers (lower-case names, in order) and body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]


def connect(port: int, *, tls: ssl.SSLContext | None = None, server_name: str | None = None,
            source: str | None = None, timeout: float = 10) -> socket.socket:
    """A connection to 127.0.0.1:``port`` (from ``source``, another loopback address, when given), wrapped in TLS
    with ``tls`` for ``server_name`` (SNI and the certificate check)."""
    plain = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                     source_address=(source, 0) if source else None)
    if tls is None:
        return plain
    try:
        return tls.wrap_socket(plain, server_hostname=server_name)
    except BaseException:
        plain.close()
        raise


def read_until_quiet(connection: socket.socket, quiet: float = 1.5, limit: float = 15) -> bytes:
    """Everything the server sends until it closes the connection, or sends nothing for ``quiet`` seconds (a kept-
    alive connection after its last response), or ``limit`` seconds have passed."""
    received = bytearray()
    deadline = time.monotonic() + limit
    connection.settimeout(quiet)
    while time.monotonic() < deadline:
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            break
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        received += chunk
    return bytes(received)


def exchange(port: int, request: bytes, *, tls: ssl.SSLContext | None = None, server_name: str | None = None,
             source: str | None = None, quiet: float = 1.5) -> bytes:
    """Send ``request`` on a new connection and return all that came back (:func:`read_until_quiet`)."""
    with connect(port, tls=tls, server_name=server_name, source=source) as connection:
        connection.sendall(request)
        return read_until_quiet(connection, quiet=quiet)


def _chunked(data: bytes, at: int) -> tuple[bytes, int]:
    body = bytearray()
    while True:
        end = data.index(b"\r\n", at)
        size = int(data[at:end].split(b";")[0], 16)
        at = end + 2
        if size == 0:
            return bytes(body), data.index(b"\r\n\r\n", at - 2) + 4
        body += data[at:at + size]
        at += size + 2


def responses(data: bytes) -> list[RawResponse]:
    """The responses in ``data``, in order (a body without a length runs to the end); a part that is not a whole
    response is an error, so garbage or a half answer is not taken for none."""
    found = []
    at = 0
    while at < len(data):
        head_end = data.index(b"\r\n\r\n", at)
        status_line, *lines = data[at:head_end].decode("latin-1").split("\r\n")
        version, status, *_ = status_line.split(" ")
        assert version.startswith("HTTP/1."), f"not a response: {status_line!r}"
        response = RawResponse(int(status), [(name.strip().lower(), value.strip()) for name, _, value in
                                             (line.partition(":") for line in lines)])
        at = head_end + 4
        length = response.header("content-length")
        if response.header("transfer-encoding") == "chunked":
            response.body, at = _chunked(data, at)
        elif length is not None:
            response.body, at = data[at:at + int(length)], at + int(length)
        elif response.status in (204, 304) or 100 <= response.status < 200:
            pass
        else:
            response.body, at = data[at:], len(data)
        found.append(response)
    return found
