"""Log shipping (ASVS V16.4.3): every log line also goes to a log collector over syslog, beside stderr.

``PEJLING_LOG_SYSLOG=udp://collector:514`` (or ``tcp://…``) adds a handler to the root logger that sends each record
as a syslog message in the RFC 5424 layout, ``<PRI>1 TIMESTAMP HOSTNAME pejling PROCID MSGID - {json}``: the message
is the JSON line that stderr gets outside dev (the same formatter and the same records, so the same redactions: those
of :mod:`pejling.core.logs` happen before any handler sees a record), MSGID the logger's name (at most 32
characters). Over TCP each message is framed by its length (octet counting, RFC 6587), which rsyslog, syslog-ng,
Vector and promtail read; over UDP each is one datagram.

Records are formatted where they are logged and handed to a thread through a bounded queue (:data:`QUEUE_SIZE`; the
standard library's ``QueueHandler`` and ``QueueListener``), which sends them with the standard library's
``SysLogHandler``: a slow or absent collector never stalls the event loop. When the queue is full a record is not
shipped (stderr still has it). A collector that does not answer is tried again after :data:`RETRY_SECONDS`; each
outage is told on stderr once. The app's lifespan waits for the queue at the end of its shutdown
(:func:`drain_shipping`), after the last security events are written: uvicorn ends a process stopped by a signal by
raising that signal again once the lifespan is over, which runs no exit handler, and its worker processes run none
either. At a normal exit the queue is drained too (:func:`stop_shipping`).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import socket
import sys
import time
from dataclasses import dataclass
from logging.handlers import QueueHandler, QueueListener, SysLogHandler
from typing import Literal
from urllib.parse import urlsplit

from pejling.core.logs import UtcJsonFormatter, utc_time

APP_NAME = "pejling"
#: Records waiting for the collector; more are not shipped.
QUEUE_SIZE = 10_000
#: How long connecting or sending to the collector may take.
TIMEOUT_SECONDS = 2.0
#: After a failure, records are not shipped for this long before the collector is tried again.
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class SyslogTarget:
    """Where the logs are shipped: ``udp://host:port`` or ``tcp://host:port``."""

    transport: Literal["udp", "tcp"]
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}"


def syslog_target(value: str) -> SyslogTarget:
    """The target named by ``PEJLING_LOG_SYSLOG``; ValueError saying what is wrong."""
    usage = "must be udp://host:port or tcp://host:port (a log collector's syslog input, such as udp://127.0.0.1:514)"
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{usage}; the port is not a number from 0 to 65535") from None
    if parts.scheme not in ("udp", "tcp"):
        raise ValueError(f"{usage}; the scheme is neither udp nor tcp")
    if not parts.hostname or port is None or port == 0:
        raise ValueError(f"{usage}; the host or the port is missing")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username is not None:
        raise ValueError(f"{usage}; nothing more (no path, query or user)")
    return SyslogTarget("udp" if parts.scheme == "udp" else "tcp", parts.hostname, port)


def _header_field(value: str, length: int) -> str:
    """A field of the RFC 5424 header: printable ASCII without spaces, at most ``length`` characters, else ``-``."""
    cleaned = "".join(character for character in value if "!" <= character <= "~")[:length]
    return cleaned or "-"


class Rfc5424Formatter(UtcJsonFormatter):
    """The RFC 5424 header (without ``<PRI>``, which :class:`SyslogShipper` adds) before the JSON line."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt, rename_fields={"levelname": "level"})
        self.hostname = _header_field(socket.gethostname(), 255)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        msgid = _header_field(record.name, 32)
        return f"1 {utc_time(record)} {self.hostname} {APP_NAME} {os.getpid()} {msgid} - {line}"


Socket = socket.socket


class SyslogShipper(SysLogHandler):
    """Sends records already formatted by :class:`Rfc5424Formatter` (their message) to the target.

    Connects at the first record, not at start-up (a collector still starting is no reason to stop Pejling), with
    :data:`TIMEOUT_SECONDS`; after a failure it drops records for :data:`RETRY_SECONDS`, then tries again.
    """

    socket: Socket | None

    def __init__(self, target: SyslogTarget) -> None:
        self.target = target
        self._address: tuple[str, int] | None = None
        self._down_since: float | None = None
        socktype = socket.SOCK_STREAM if target.transport == "tcp" else socket.SOCK_DGRAM
        super().__init__((target.host, target.port), facility=SysLogHandler.LOG_USER, socktype=socktype)

    def createSocket(self) -> None:  # noqa: N802 - the standard library's name
        self.unixsocket = False
        self.socket = None  # connected by the first record

    def _connect(self) -> Socket:
        if self.target.transport == "tcp":
            return socket.create_connection((self.target.host, self.target.port), timeout=TIMEOUT_SECONDS)
        family, kind, proto, _, address = socket.getaddrinfo(self.target.host, self.target.port, 0,
                                                             socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.settimeout(TIMEOUT_SECONDS)
        self._address = (str(address[0]), int(address[1]))
        return sock

    def _close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def _send(self, payload: bytes) -> None:
        if self.socket is None:
            self.socket = self._connect()
        if self.target.transport == "tcp":
            self.socket.sendall(payload)
        else:
            self.socket.sendto(payload, self._address or (self.target.host, self.target.port))

    def emit(self, record: logging.LogRecord) -> None:
        now = time.monotonic()
        if self._down_since is not None and now - self._down_since < RETRY_SECONDS:
            return
        priority = self.encodePriority(self.facility, self.mapPriority(record.levelname))
        payload = f"<{priority}>{record.getMessage()}".encode()
        if self.target.transport == "tcp":
            payload = f"{len(payload)} ".encode() + payload
        try:
            try:
                self._send(payload)
            except OSError:
                if self.socket is None:
                    raise
                self._close()  # a connection the collector dropped (it restarted, say): once more on a new one
                self._send(payload)
        except OSError as error:
            self._close()
            if self._down_since is None:
                sys.stderr.write(f"pejling: shipping logs to {self.target} failed ({type(error).__name__}); lines are "
                                 f"not shipped until it answers (tried every {RETRY_SECONDS:g} s)\n")
            self._down_since = now
            return
        if self._down_since is not None:
            self._down_since = None
            sys.stderr.write(f"pejling: shipping logs to {self.target} works again\n")


class _BoundedQueueHandler(QueueHandler):
    """Puts records on the bounded queue; a full queue drops the record for the collector."""

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            pass


class _DrainingListener(QueueListener):
    """Stops once everything queued before :meth:`stop` is sent (waiting for room for its sentinel on a full
    queue, where the standard library's would raise)."""

    def __init__(self, records: queue.Queue[logging.LogRecord | None], handler: logging.Handler) -> None:
        super().__init__(records, handler)
        self.records = records

    def enqueue_sentinel(self) -> None:
        self.records.put(getattr(self, "_sentinel", None))


class _Shipping:
    records: queue.Queue[logging.LogRecord | None] | None = None
    listener: QueueListener | None = None
    shipper: SyslogShipper | None = None
    at_exit = False


def start_shipping(target: SyslogTarget, fmt: str) -> logging.Handler:
    """Start the thread that ships to ``target`` (stopping any earlier one); returns the handler to add to the root
    logger."""
    stop_shipping()
    records: queue.Queue[logging.LogRecord | None] = queue.Queue(QUEUE_SIZE)
    handler = _BoundedQueueHandler(records)
    handler.setFormatter(Rfc5424Formatter(fmt))
    _Shipping.records = records
    _Shipping.shipper = SyslogShipper(target)
    _Shipping.listener = _DrainingListener(records, _Shipping.shipper)
    _Shipping.listener.start()
    if not _Shipping.at_exit:
        atexit.register(stop_shipping)
        _Shipping.at_exit = True
    return handler


def stop_shipping() -> None:
    """Send what is queued, then stop the shipping thread (at exit, and before logging is configured again)."""
    listener, shipper = _Shipping.listener, _Shipping.shipper
    _Shipping.listener = _Shipping.shipper = _Shipping.records = None
    if listener is not None:
        listener.stop()
    if shipper is not None:
        shipper.close()


def drain_shipping(timeout_seconds: float = 2 * TIMEOUT_SECONDS) -> bool:
    """Wait until every record queued so far is sent (or given up on), at most ``timeout_seconds``; the thread
    goes on shipping. True when the queue was drained (or nothing is shipped)."""
    records = _Shipping.records
    if records is None:
        return True
    deadline = time.monotonic() + timeout_seconds
    with records.all_tasks_done:  # the listener marks each record done once its handler has it
        while records.unfinished_tasks:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            records.all_tasks_done.wait(remaining)
    return True
