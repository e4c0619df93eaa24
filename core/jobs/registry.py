"""The job kinds: which handler runs a job of a given kind.

Core modules and plugins register their kinds at import time::

    @register_job("mail.send")
    async def send_mail(payload: dict) -> None:
        ...

A handler that calls plugin hooks says so with ``needs_plugins=True`` and is called as ``handler(payload, plugins)``
with the loaded plugins of the worker that runs it (the app's own when the worker runs in the app).

The worker imports :data:`JOB_MODULES` (and whatever the process has imported already) before it
starts, so a module that defines job kinds run by ``pejling worker`` belongs in that list.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

JobHandler = Callable[..., Awaitable[None]]
"""``async def handler(payload: dict) -> None``, or ``handler(payload, plugins)`` when registered ``needs_plugins``."""

#: Modules whose import registers job kinds; the worker imports them before taking jobs.
JOB_MODULES: list[str] = [
    "pejling.core.jobs.housekeeping",
    "pejling.core.auth.housekeeping",
    "pejling.core.followups.jobs",
    "pejling.core.insights.scores",
    "pejling.core.insights.weekly_mail",
    "pejling.core.surveys.invitation_mail",
    "pejling.core.surveys.retention",
    "pejling.core.followups.tenant_export",
]

#: Job kinds every worker with ``housekeeping`` queues once an hour (kind → payload), deduplicated per hour.
HOURLY_JOBS: dict[str, dict[str, Any]] = {}


def run_hourly(kind: str, payload: dict[str, Any] | None = None) -> None:
    """Have housekeeping workers queue ``kind`` once an hour across all workers."""
    HOURLY_JOBS[kind] = payload or {}


_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)*$")


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (bad payload, deleted target): the job goes dead at once."""


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job: its name, its handler and how long one attempt may take."""

    name: str
    handler: JobHandler
    timeout_seconds: float
    needs_plugins: bool = False


#: Every registered job kind by name. Read it freely; add to it only through :func:`register_job`.
job_kinds: dict[str, JobKind] = {}


def register_job(
    kind: str, *, timeout_seconds: float = 900.0, needs_plugins: bool = False
) -> Callable[[JobHandler], JobHandler]:
    """Register ``async def handler(payload: dict) -> None`` as the handler of jobs of ``kind``.

    Kind names are dotted lower-case words (``mail.send``, ``webhooks.deliver``); prefix a plugin's
    kinds with the plugin name. Registering a second, different handler for a kind is an error.
    An attempt running longer than ``timeout_seconds`` is cancelled and counts as a failure.
    ``needs_plugins``: the handler is called as ``handler(payload, plugins)`` with the worker's loaded plugins.
    """
    if len(kind) > 100 or not _KIND_NAME.match(kind):
        raise ValueError(f"job kind {kind!r} must be dotted lower-case words of at most 100 characters")
    if timeout_seconds <= 0:
        raise ValueError("timeout_seconds must be positive")

    def decorate(handler: JobHandler) -> JobHandler:
        existing = job_kinds.get(kind)
        if existing is not None and _qualified(existing.handler) != _qualified(handler):
            raise ValueError(f"job kind {kind!r} is already handled by {_qualified(existing.handler)}")
        job_kinds[kind] = JobKind(
            name=kind, handler=handler, timeout_seconds=timeout_seconds, needs_plugins=needs_plugins
        )
        return handler

    return decorate


def _qualified(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"


def get_job_kind(kind: str) -> JobKind:
    """The registered kind called ``kind``; ``ValueError`` when nothing handles it."""
    try:
        return job_kinds[kind]
    except KeyError:
        raise ValueError(f"unknown job kind {kind!r}: no handler is registered for it") from None


def load_job_kinds(modules: Iterable[str] = ()) -> list[str]:
    """Import :data:`JOB_MODULES` and ``modules`` so their kinds are registered; returns the known kind names."""
    for name in [*JOB_MODULES, *modules]:
        importlib.import_module(name)
    return sorted(job_kinds)
