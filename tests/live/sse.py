"""A server-sent-events client that drives the ASGI app in process: it reads the stream as it is written and can
hang up like a browser (``http.disconnect``), which httpx's in-process transport cannot (it buffers whole bodies)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Event:
    name: str
    data: dict[str, Any]
    id: str | None = None


@dataclass
class SseClient:
    """``async with SseClient(app, "/api/live/responses?store=…", headers) as feed: await feed.next()``."""

    app: Any
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    ended: bool = False
    _incoming: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _body: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    _buffer: str = ""
    _task: asyncio.Task[None] | None = None
    _started: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> SseClient:
        parts = urlsplit(self.url)
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": parts.path, "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(), "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **self.headers}.items()],
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        }
        await self._incoming.put({"type": "http.request", "body": b"", "more_body": False})
        self._task = asyncio.create_task(self._run(scope))
        await asyncio.wait_for(self._started.wait(), 10)
        return self

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self._incoming.get, self._send)
        finally:
            self.ended = True
            self._started.set()
            await self._body.put(None)

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            self._started.set()
        elif message["type"] == "http.response.body":
            await self._body.put(message.get("body", b""))
            if not message.get("more_body", False):
                await self._body.put(None)

    async def body(self) -> bytes:
        """The whole body of a response that ends by itself (an error answer)."""
        chunks = []
        while (chunk := await asyncio.wait_for(self._body.get(), 10)) is not None:
            chunks.append(chunk)
        return b"".join(chunks)

    async def next(self, seconds: float = 10) -> Event | None:
        """The next event (``retry:`` lines and comments skipped); None when the stream ended."""
        while "\n\n" not in self._buffer:
            chunk = await asyncio.wait_for(self._body.get(), seconds)
            if chunk is None:
                return None
            self._buffer += chunk.decode()
        block, self._buffer = self._buffer.split("\n\n", 1)
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" not in fields:
            return await self.next(seconds)
        return Event(fields["event"], json.loads(fields.get("data", "{}")), fields.get("id"))

    async def next_named(self, name: str, seconds: float = 10) -> Event:
        """The next event called ``name``, skipping others (heartbeats)."""
        while True:
            event = await self.next(seconds)
            assert event is not None, f"the stream ended before a {name!r} event"
            if event.name == name:
                return event

    async def disconnect(self) -> None:
        """Hang up like a browser; returns once the app finished the request."""
        await self._incoming.put({"type": "http.disconnect"})
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None and not self._task.done():
            await self.disconnect()
