"""A shopper's phone for the browser tests: the real app in a uvicorn subprocess, Debian Chromium, phone-sized
contexts, and what the tests read back (the stored responses, the page's outbox)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from pejling.core.settings import Settings
from pejling.core.surveys.models import Response
from pejling.tenants.scope import tenant_scope
from tests.support.server import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
}


def serve_app(database: Settings, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The real application in a uvicorn subprocess on the migrated test database; yields its base URL.

    ``extra_env`` adds or overrides environment variables of the app (e.g. ``PEJLING_SMTP_URL``).
    """
    port = free_port()
    env = {
        **os.environ,
        "PEJLING_DATABASE_URL": database.resolved_database_url,
        "PEJLING_VAR_DIR": str(database.var_dir),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(),
        "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false",
        "PEJLING_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "pejling.core.app:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", "warning"]
    with serving(command, port=port, env=env, cwd=str(ROOT)) as (base, _):
        yield base


async def headless_chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def phone(browser: Browser, language: str, **options: Any) -> BrowserContext:
    """A phone-sized touch context in ``language``."""
    return await browser.new_context(locale=language, **{**PHONE, **options})


async def stored_responses(shop: Any) -> list[Any]:
    """The shop's stored responses with their answers."""
    with tenant_scope(shop.tenant.id):
        return await Response.filter(store_id=shop.store.id).prefetch_related("answers")


async def outbox(page: Page) -> dict[str, Any]:
    """The page's outbox: responses kept on the phone until the server has decided."""
    return dict(await page.evaluate("() => JSON.parse(localStorage.getItem('pejling.outbox') || '{}')"))


async def answer_outcome_and_comment(page: Page) -> None:
    outcome = page.locator("#outcome")
    await outcome.locator("legend").wait_for(state="visible")
    await outcome.locator("input[value='8']").tap()
    await page.locator("#comment").wait_for(state="visible")
    await page.locator("#comment").fill("The fitting rooms were lovely")
