"""Async-aware hook calls: results are awaited before "first result" is applied."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from pejling.core.contracts import Reward
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import await_me_maybe, load_plugins
from pejling.core.settings import Settings


def reward(code: str) -> Reward:
    return Reward(code, {"en": f"Code {code}"})


class Record:
    def __init__(self) -> None:
        self.calls: list[str] = []


async def load(*plugins: tuple[str, object]):
    settings = Settings(environment="test")
    return await load_plugins(settings, builtin_plugins=(), entry_points=False, extra_plugins=plugins)


async def test_await_me_maybe_resolves_values_awaitables_and_functions_but_not_classes() -> None:
    async def later() -> int:
        return 2

    assert await await_me_maybe(1) == 1
    assert await await_me_maybe(later()) == 2
    assert await await_me_maybe(later) == 2
    assert await await_me_maybe(lambda: 3) == 3
    assert await await_me_maybe(Reward) is Reward


async def test_a_coroutine_returning_none_does_not_count_as_the_first_result() -> None:
    record = Record()

    class SyncReward:  # registered first: called last (pluggy calls the latest registration first)
        @hookimpl
        def reward_for_response(self):
            record.calls.append("sync")
            return reward("SYNC")

    class AsyncReward:
        @hookimpl
        async def reward_for_response(self):
            record.calls.append("async-reward")
            await asyncio.sleep(0)
            return reward("ASYNC")

    class AsyncNone:  # registered last: called first
        @hookimpl
        async def reward_for_response(self):
            record.calls.append("async-none")
            await asyncio.sleep(0)
            return None

    plugins = await load(("sync", SyncReward()), ("async-reward", AsyncReward()), ("async-none", AsyncNone()))
    # Plain pluggy would call this a result: the coroutine object of AsyncNone is not None.
    raw = plugins.pm.hook.reward_for_response(tenant_id=None, response=None)
    assert raw and asyncio.iscoroutine(raw[0])
    for coroutine in raw:
        if asyncio.iscoroutine(coroutine):
            coroutine.close()
    record.calls.clear()

    first = await plugins.first_result("reward_for_response", tenant_id=None, response=None)
    assert first == reward("ASYNC")
    # The sync body ran while pluggy collected the results; the coroutines ran when awaited, in call order.
    assert record.calls == ["sync", "async-none", "async-reward"]

    every = await plugins.call_hook("reward_for_response", tenant_id=None, response=None)
    assert every == [reward("ASYNC"), reward("SYNC")]  # awaited, None dropped, call order kept


async def test_later_coroutines_are_closed_not_left_unawaited() -> None:
    ran: list[str] = []

    class Late:
        @hookimpl
        async def reward_for_response(self):
            ran.append("late")
            return reward("LATE")

    class Early:
        @hookimpl
        async def reward_for_response(self):
            return reward("EARLY")

    plugins = await load(("late", Late()), ("early", Early()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine ... was never awaited" would fail here
        assert await plugins.first_result("reward_for_response", tenant_id=None, response=None) == reward("EARLY")
        gc.collect()
    assert ran == []


async def test_first_result_is_none_when_every_plugin_declines() -> None:
    class Declines:
        @hookimpl
        async def reward_for_response(self):
            return None

    plugins = await load(("declines", Declines()))
    assert await plugins.first_result("reward_for_response", tenant_id=None, response=None) is None
    assert await plugins.call_hook("reward_for_response", tenant_id=None, response=None) == []


async def test_a_failing_implementation_propagates_and_later_coroutines_are_closed() -> None:
    ran: list[str] = []

    class Later:
        @hookimpl
        async def response_received(self):
            ran.append("later")

    class Failing:
        @hookimpl
        async def response_received(self):
            raise LookupError("plugin bug")

    plugins = await load(("later", Later()), ("failing", Failing()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(LookupError, match="plugin bug"):
            await plugins.call_hook("response_received", tenant_id=None, response=None)
        gc.collect()
    assert ran == []
