"""The portal's preview across origins, in Debian Chromium against the real app (uvicorn) with
``PEJLING_SHOPPER_BASE_URL`` set: the portal on ``http://127.0.0.1:<port>``, the shoppers' pages on
``http://localhost:<port>`` (two origins of one server, no name resolution needed).

An owner logs in on the portal's origin and creates a store in the onboarding; its phone frame loads
``/s/…?preview=1``, which the portal's host answers with 308 to the shopper origin, and the frame shows the real
preview there (the portal's ``frame-src`` and the preview's ``frame-ancestors`` allow it; the browser refuses
nothing). Opened on its own, the shopper origin shows the survey but not the portal (404)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, expect

from pejling.core.settings import Settings
from tests.portal.conftest import built_portal
from tests.support.server import free_port, serving
from tests.support.tenancy import PASSWORD, make_tenant
from tests.survey_page.phone import ROOT

pytestmark = pytest.mark.once

FRAME = 'iframe[title="Survey preview on a phone"]'


@pytest.fixture(scope="module")
def origins(database: Settings) -> Iterator[tuple[str, str]]:
    """The app in a uvicorn subprocess; yields (the portal's origin, the shopper origin)."""
    built_portal()
    port = free_port()
    portal, shopper = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    env = {
        **os.environ,
        "PEJLING_DATABASE_URL": database.resolved_database_url, "PEJLING_VAR_DIR": str(database.var_dir),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(), "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "WARNING",
        "PEJLING_BASE_URL": portal, "PEJLING_SHOPPER_BASE_URL": shopper,
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "pejling.core.app:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", "warning"]
    with serving(command, port=port, env=env, cwd=str(ROOT)):
        yield portal, shopper


async def test_the_portal_frames_the_preview_on_the_shopper_origin(
    origins: tuple[str, str], browser: Browser
) -> None:
    portal, shopper = origins
    owned = await make_tenant(stores=0)
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1180, "height": 820})
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    await page.goto(f"{portal}/login")
    await page.get_by_label("Email").fill(owned.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")
    await page.get_by_role("link", name="Get started in four steps").click()
    await page.get_by_label("Store name").fill("Nordlys Aarhus")
    await page.get_by_label("Zones").fill("Entrance, Checkout")
    await page.get_by_role("button", name="Create store").click()

    preview = page.frame_locator(FRAME)
    await expect(preview.locator("#preview-banner")).to_have_text("Preview: answers are not saved")
    [frame] = [f for f in page.frames if f != page.main_frame]
    assert frame.url == f"{shopper}/s/{owned.tenant.slug}/nordlys-aarhus?preview=1&lang=en"
    assert not refused, refused

    alone = await context.new_page()
    shown = await alone.goto(f"{shopper}/s/{owned.tenant.slug}/nordlys-aarhus")
    assert shown is not None and shown.status == 200
    not_there = await alone.goto(f"{shopper}/portal")
    assert not_there is not None and not_there.status == 404
    await context.close()
