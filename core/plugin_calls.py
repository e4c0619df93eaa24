"""Calling hooks, async-aware: every result resolved (called, awaited), then all of them or the first non-``None``.

pluggy is not async-aware: an ``async def`` implementation returns a coroutine, which pluggy would count as a
result, so no hook uses pluggy's ``firstresult``. :func:`call_hook` and :func:`first_result` resolve every result
with :func:`await_me_maybe` and pick the first non-``None`` value themselves (datasette's ``await_me_maybe``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import pluggy


async def await_me_maybe(value: Any) -> Any:
    """Resolve a hook result: call it if it is a zero-argument function, await it if it is awaitable.

    Classes are returned as they are (``register_plugin_settings`` returns one), never instantiated.
    """
    if inspect.isfunction(value) or inspect.ismethod(value) or isinstance(value, partial):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _discard(results: Sequence[Any]) -> None:
    """Close coroutines that will not be awaited (no "never awaited" warning, no half-run side effects)."""
    for value in results:
        if inspect.iscoroutine(value):
            value.close()


async def resolve_all(results: Sequence[Any]) -> list[Any]:
    """Every hook result resolved, in call order, without the ``None`` ones.

    When one implementation raises, the awaitables of the later ones are closed and the error propagates.
    """
    resolved = []
    for index, result in enumerate(results):
        try:
            value = await await_me_maybe(result)
        except BaseException:
            _discard(results[index + 1 :])
            raise
        if value is not None:
            resolved.append(value)
    return resolved


async def resolve_first(results: Sequence[Any]) -> Any:
    """The first hook result that is not ``None`` once resolved; later awaitables are closed without running."""
    for index, result in enumerate(results):
        try:
            found = await await_me_maybe(result)
        except BaseException:
            _discard(results[index + 1 :])
            raise
        if found is not None:
            _discard(results[index + 1 :])
            return found
    return None


def hook_caller(pm: pluggy.PluginManager, hook: str, only: Iterable[str] | None = None) -> Callable[..., list[Any]]:
    """pluggy's caller of ``hook``, limited to the plugins named in ``only`` when given."""
    if getattr(pm.hook, hook, None) is None:
        raise AttributeError(f"no hook named {hook!r} (see pejling.core.hookspecs)")
    if only is None:
        caller: Callable[..., list[Any]] = getattr(pm.hook, hook)
        return caller
    keep = {pm.get_plugin(name) for name in only}
    return pm.subset_hook_caller(hook, remove_plugins=[p for p in pm.get_plugins() if p not in keep])


async def call_hook(
    pm: pluggy.PluginManager, hook: str, *, only: Iterable[str] | None = None, **kwargs: Any
) -> list[Any]:
    """Call ``hook`` (on the plugins in ``only``, else all); the non-``None`` results, awaited, in call order."""
    return await resolve_all(hook_caller(pm, hook, only)(**kwargs))


async def first_result(
    pm: pluggy.PluginManager, hook: str, *, only: Iterable[str] | None = None, **kwargs: Any
) -> Any:
    """Call ``hook`` and return the first result that is not ``None`` once awaited (or ``None``)."""
    return await resolve_first(hook_caller(pm, hook, only)(**kwargs))
