"""Fixtures of the survey page tests: a fresh tenant with a store and a zone, and the statement bank texts."""

from __future__ import annotations

import asyncio
import inspect
import secrets
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import pytest

from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@dataclass
class Shop:
    tenant: Tenant
    store: Store
    zone: Zone

    @property
    def url(self) -> str:
        return f"/s/{self.tenant.slug}/{self.store.slug}"


async def make_shop(store_language: str = "da") -> Shop:
    tenant, _ = await create_tenant_with_owner(
        tenant_name="Nordlys Interiør", tenant_slug=unique("page"), email=f"{unique('o')}@example.com",
        password="correct horse battery staple 42",
    )
    with tenant_scope(tenant.id):
        store = await Store.create(name="Nordlys Aarhus", slug="aarhus", default_language=store_language)
        zone = await Zone.create(store=store, name="Checkout", kind="checkout")
    return Shop(tenant, store, zone)


@pytest.fixture
async def shop(database: Any) -> Shop:
    return await make_shop()


def bank() -> dict[str, Any]:
    """The statement bank as shipped in the package."""
    with (files("pejling.core.goals") / "statements.toml").open("rb") as file:
        return tomllib.load(file)


def statement_texts(language: str) -> dict[str, str]:
    return {s["id"]: s[language] for s in bank()["statement"]}


@pytest.fixture
async def not_listening(app: Any) -> AsyncIterator[None]:
    """The process's change-notice listener stopped for the test (on SQLite it never runs), started again after it:
    every store page request reads its tenant's stamp (core/surveys/page_cache.py)."""
    from pejling.core.change_notices import change_notices

    was = change_notices.listening
    await change_notices.stop()
    yield
    if was:
        change_notices.start()
        await wait_until(lambda: change_notices.listening)


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], bound_seconds: float = 20.0) -> None:
    """Poll ``condition`` (a function, or a coroutine function) until it holds; fail after ``bound_seconds`` (a
    generous bound for something that comes in milliseconds, not a timing: nothing is asserted of how long it took)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + bound_seconds
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        assert loop.time() < give_up, "the condition did not come true"
        await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def server(database: Any) -> Iterator[str]:
    """The real application in a uvicorn subprocess on the migrated test database (browser tests)."""
    from tests.survey_page.phone import serve_app

    yield from serve_app(database)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium, headless (browser tests)."""
    from tests.survey_page.phone import headless_chromium

    async for chromium in headless_chromium():
        yield chromium
