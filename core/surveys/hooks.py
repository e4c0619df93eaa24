"""Calling the plugin hooks of the survey: ``response_received`` and ``reward_for_response``.

Plugins see a :class:`pejling.core.contracts.ShopperResponse`, never the ORM rows. A failing plugin never
loses a stored response: its error is logged and the shopper still gets the thank-you. The reward is asked for on the
request (the shopper sees it); ``response_received`` is told after the answer, by :class:`ResponseEvents`.
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

from pejling.core.contracts import Answer as ContractAnswer
from pejling.core.contracts import ShopperResponse
from pejling.core.goals import OUTCOME_STATEMENT_IDS as GOAL_OUTCOME_STATEMENT_IDS
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
    """Tell every plugin enabled for the tenant that a response was stored (``response_received``).

    Each plugin is called on its own, inside the tenant scope, so that one failing plugin does not keep the
    others from hearing about the response.
    """
    if plugins is None:
        return
    view = shopper_response(response, taps)
    try:
        enabled = await plugins.plugins_for_tenant(tenant_id)
    except Exception:  # noqa: BLE001 - a failing plugin lookup must not fail a stored response
        log.exception("response_received: plugins of the tenant unavailable", extra={"response_id": str(response.id)})
        return
    for name in enabled.names:
        try:
            with tenant_scope(tenant_id):
                await plugins.call_hook("response_received", only=[name], tenant_id=tenant_id, response=view)
        except Exception:  # noqa: BLE001 - a failing plugin must not fail a stored response
            log.exception("response_received failed in plugin %s", name, extra={"response_id": str(response.id)})


@dataclass
class _Told:
    plugins: Any
    tenant_id: UUID
    response: Any
    taps: Sequence[_TapLike]


#: The name of the task that tells the plugins (for debugging, and so that a statement counter can leave its
#: statements out of the request's).
DELIVERY_TASK = "pejling.response_events"


@dataclass
class ResponseEvents:
    """``response_received`` off the request path: the stored responses of this event loop, told batch by batch.

    The ingest hands each committed response to :meth:`tell` and answers the shopper at once; one task per event loop
    tells the plugins about everything handed to it so far (the follow-up rules, say), then about what came in
    meanwhile, until nothing is left. Nothing is dropped while the process lives: the task holds every response handed
    to it, and the app's shutdown waits for :meth:`delivered`. The task runs outside the shopper's request (never in a
    transaction: a caller inside one tells the plugins itself), each response inside its tenant's scope as before.
    """

    told: int = 0
    """How many responses the plugins were told about (for tests and metrics)."""
    _queue: list[_Told] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def tell(self, plugins: Any | None, tenant_id: UUID, response: Any, taps: Sequence[_TapLike]) -> None:
        """Queue a committed response for ``response_received`` (returns at once)."""
        if plugins is None:
            return
        self._queue.append(_Told(plugins, tenant_id, response, list(taps)))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._deliver(), name=DELIVERY_TASK)

    async def _deliver(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                for item in batch:
                    with tenant_scope(item.tenant_id):
                        await response_received(item.plugins, item.tenant_id, item.response, item.taps)
                    self.told += 1
        finally:
            self._task = None

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
