"""Calling the plugin hooks of the survey: ``response_received`` (or its batch form ``responses_received``) and
``reward_for_response``.

Plugins see a :class:`pejling.core.contracts.ShopperResponse`, never the ORM rows. A failing plugin never
loses a stored response: its error is logged and the shopper still gets the thank-you. The reward is asked for on the
request (the shopper sees it); the stored responses are told after the answer, a tenant's batch at once, by
:class:`ResponseEvents`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID
from weakref import WeakKeyDictionary

from prometheus_client import Counter, Gauge

from pejling.core.contracts import Answer as ContractAnswer
from pejling.core.contracts import ShopperResponse
from pejling.core.goals import OUTCOME_STATEMENT_IDS as GOAL_OUTCOME_STATEMENT_IDS
from pejling.core.plugin_calls import hook_caller, resolve_all
from pejling.core.surveys.model_items import MODEL_GOAL
from pejling.tenants.scope import tenant_scope

log = logging.getLogger(__name__)


class _TapLike(Protocol):
    statement_id: str
    value: int | None
    reaction_ms: int | None


OUTCOME_STATEMENT_IDS = GOAL_OUTCOME_STATEMENT_IDS
"""The statement id under which scoring models see the survey's outcome question, by outcome kind (defined in
:data:`pejling.core.goals.OUTCOME_STATEMENT_IDS`, with the outcome question of the statement bank)."""


def shopper_response(response: Any, taps: Iterable[_TapLike], outcome_kind: str = "nps") -> ShopperResponse:
    """The plugin view of a stored response, with the outcome answer under :data:`OUTCOME_STATEMENT_IDS`."""
    answers = [
        # A scoring model's own question is not a goal statement: no polarity, as for an outcome question.
        # A "doesn't apply" answer has no value (value None, not_applicable True).
        ContractAnswer(t.statement_id, None if t.value is None else int(t.value), t.reaction_ms,
                       None if getattr(t, "goal", None) == MODEL_GOAL else getattr(t, "polarity", None),
                       bool(getattr(t, "not_applicable", False)))
        for t in taps
    ]
    if response.outcome is not None and outcome_kind in OUTCOME_STATEMENT_IDS:
        answers.append(ContractAnswer(OUTCOME_STATEMENT_IDS[outcome_kind], int(response.outcome), None))
    return ShopperResponse(
        id=response.id,
        tenant_id=response.tenant_id,
        submitted_at=response.submitted_at,
        answers=tuple(answers),
        language=response.language,
        store_id=response.store_id,
        zone_id=response.zone_id,
        channel=response.channel,
        comment=response.comment or None,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def reward_for(
    plugins: Any | None, tenant_id: UUID, response: Any, taps: Sequence[_TapLike]
) -> dict[str, Any] | None:
    """The first reward a plugin enabled for the tenant offers for this response, as JSON (``None``: no reward).

    ``plugins`` is the process :class:`pejling.core.plugin_manager.Plugins` (``app.state.plugins``), or ``None``
    when plugins are not loaded (then no reward is offered).
    """
    if plugins is None:
        return None
    try:
        enabled = await plugins.plugins_for_tenant(tenant_id)
        if _implementers(plugins, "reward_for_response").isdisjoint(enabled.names):
            return None  # no enabled plugin offers rewards: no view to build, no hook to call
        reward = await enabled.first_result(
            "reward_for_response", tenant_id=tenant_id, response=shopper_response(response, taps)
        )
    except Exception:  # noqa: BLE001 - a failing plugin must not fail a stored response
        log.exception("reward_for_response failed", extra={"response_id": str(response.id)})
        return None
    if reward is None:
        return None
    if is_dataclass(reward) and not isinstance(reward, type):
        return dict(_jsonable(asdict(reward)))
    return dict(_jsonable(dict(reward)))


async def response_received(plugins: Any | None, tenant_id: UUID, response: Any, taps: Sequence[_TapLike]) -> None:
    """Tell every plugin enabled for the tenant that a response was stored (:func:`responses_received` of one)."""
    await responses_received(plugins, tenant_id, [(response, taps)])


def _implementers(plugins: Any, hook_name: str) -> set[str]:
    """The names of the loaded plugins that implement ``hook_name``."""
    hook = getattr(plugins.pm.hook, hook_name, None)
    return {plugins.pm.get_name(impl.plugin) for impl in hook.get_hookimpls()} if hook is not None else set()


async def responses_received(
    plugins: Any | None, tenant_id: UUID, stored: Sequence[tuple[Any, Sequence[_TapLike]]]
) -> None:
    """Tell every plugin enabled for the tenant that these responses (with their taps) were stored.

    A plugin that implements ``responses_received`` is told all of them in one call; any other is told each with
    ``response_received``. Each plugin is called on its own, inside the tenant scope, so that one failing plugin does
    not keep the others (or, for ``response_received``, the other responses) from being told.
    """
    if plugins is None or not stored:
        return
    views = tuple(shopper_response(response, taps) for response, taps in stored)
    ids = [str(view.id) for view in views]
    try:
        enabled = await plugins.plugins_for_tenant(tenant_id)
    except Exception:  # noqa: BLE001 - a failing plugin lookup must not fail a stored response
        log.exception("response_received: plugins of the tenant unavailable", extra={"response_ids": ids})
        return
    batch_listeners = _implementers(plugins, "responses_received")
    listeners = batch_listeners | _implementers(plugins, "response_received")
    for name in enabled.names:
        if name not in listeners:  # nothing to tell this plugin (no subset of the hook to build for it)
            continue
        with tenant_scope(tenant_id):
            if name in batch_listeners:
                try:
                    await plugins.call_hook("responses_received", only=[name], tenant_id=tenant_id, responses=views)
                except Exception:  # noqa: BLE001 - a failing plugin must not fail a stored response
                    log.exception("responses_received failed in plugin %s", name, extra={"response_ids": ids})
                continue
            caller = hook_caller(plugins.pm, "response_received", only=[name])
            for view in views:
                try:
                    await resolve_all(caller(tenant_id=tenant_id, response=view))
                except Exception:  # noqa: BLE001 - a failing plugin must not fail a stored response
                    log.exception("response_received failed in plugin %s", name,
                                  extra={"response_id": str(view.id)})


@dataclass
class _Told:
    plugins: Any
    tenant_id: UUID
    response: Any
    taps: Sequence[_TapLike]


#: The name of the task that tells the plugins (for debugging, and so that a statement counter can leave its
#: statements out of the request's).
DELIVERY_TASK = "pejling.response_events"
MAX_WAITING = 4096
"""The most responses waiting to be told before :meth:`ResponseEvents.tell` holds its caller (the shopper's answer)
until the plugins caught up: under a load the plugins cannot follow, the ingest slows down to their pace instead of
piling up events in memory."""

WAITING = Gauge("pejling_response_events_waiting", "Stored responses waiting to be told to the plugins")
HELD = Counter("pejling_response_events_held_total",
               "Answers held until the plugins caught up (the events waiting reached their bound)")


@dataclass
class ResponseEvents:
    """``response_received`` off the request path: the stored responses of this event loop, told batch by batch.

    The ingest hands each committed response to :meth:`tell` and answers the shopper at once; one task per event loop
    tells the plugins about everything handed to it so far, grouped per tenant (:func:`responses_received`: one call
    of a batch listener such as the follow-up rules for the whole group), then about what came in meanwhile, until
    nothing is left. Nothing is dropped while the process lives: the task holds every response handed to it, and the
    app's shutdown waits for :meth:`delivered`. The responses waiting are bounded: beyond :attr:`max_waiting` a
    :meth:`tell` waits (its response already queued) until the plugins caught up. The task runs outside the shopper's
    request (never in a transaction: a caller inside one tells the plugins itself), each group inside its tenant's
    scope.
    """

    max_waiting: int = MAX_WAITING
    told: int = 0
    """How many responses the plugins were told about (for tests and metrics)."""
    batches: list[int] = field(default_factory=list)
    """The size of every group told at once (the last 1 000), for tests and metrics."""
    most_waiting: int = 0
    """The most responses that were waiting at once."""
    held: int = 0
    """How many :meth:`tell` calls waited for the plugins to catch up."""
    _queue: list[_Told] = field(default_factory=list)
    _in_hand: int = 0
    _room: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """The responses handed over and not yet told (queued or being told)."""
        return len(self._queue) + self._in_hand

    async def tell(self, plugins: Any | None, tenant_id: UUID, response: Any, taps: Sequence[_TapLike]) -> None:
        """Queue a committed response for the plugins; returns at once unless :attr:`max_waiting` are waiting, then
        when the plugins caught up (the response is queued either way, even if the caller is cancelled)."""
        if plugins is None:
            return
        self._queue.append(_Told(plugins, tenant_id, response, list(taps)))
        self._changed()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._deliver(), name=DELIVERY_TASK)
        if self.waiting > self.max_waiting:
            self.held += 1
            HELD.inc()
            while self.waiting > self.max_waiting and self._task is not None:
                self._room.clear()
                await self._room.wait()

    def _changed(self) -> None:
        waiting = self.waiting
        self.most_waiting = max(self.most_waiting, waiting)
        WAITING.set(waiting)
        if waiting <= self.max_waiting:
            self._room.set()

    async def _deliver(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self._in_hand = len(batch)
                groups: dict[tuple[UUID, int], list[_Told]] = {}
                for item in batch:
                    groups.setdefault((item.tenant_id, id(item.plugins)), []).append(item)
                for (tenant_id, _), group in groups.items():
                    try:
                        with tenant_scope(tenant_id):
                            await responses_received(group[0].plugins, tenant_id,
                                                     [(i.response, i.taps) for i in group])
                    except Exception:  # noqa: BLE001 - the next groups are still told
                        log.exception("response_received: a batch of %d could not be told", len(group))
                    self.told += len(group)
                    self.batches.append(len(group))
                    del self.batches[:-1000]
                    self._in_hand -= len(group)
                    self._changed()
        finally:
            self._task = None
            self._in_hand = 0
            self._changed()
            self._room.set()

    async def delivered(self) -> None:
        """Wait until the plugins were told about every response handed over so far."""
        while self._task is not None:
            await asyncio.shield(self._task)


_events: WeakKeyDictionary[asyncio.AbstractEventLoop, ResponseEvents] = WeakKeyDictionary()


def response_events() -> ResponseEvents:
    """The :class:`ResponseEvents` of the running event loop (made at its first use)."""
    loop = asyncio.get_running_loop()
    found = _events.get(loop)
    if found is None:
        found = _events[loop] = ResponseEvents()
    return found


async def response_events_delivered() -> None:
    """Wait until every stored response of this event loop was told to the plugins (the app's shutdown, tests)."""
    found = _events.get(asyncio.get_running_loop())
    if found is not None:
        await found.delivered()
