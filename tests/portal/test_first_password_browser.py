"""An owner whose password ``pejling create-tenant`` generated logs in for the first time, in Debian Chromium against
the real app served by uvicorn.

The operator runs the real command (no ``--password``) and hands the printed password over → the owner opens a
portal page, is asked to log in, logs in with it → the portal sends them to "Choose your own password" (no
navigation, only that, logging out and the language) → they choose one with the keyboard alone → the portal opens
the page they were going to, and the given password no longer logs in. axe-core finds no serious or critical
violation on the page (in English and Danish), the page's Content-Security-Policy refuses nothing, and screenshots
are kept under build/artifacts/portal/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from pejling.core.settings import Settings
from tests.conftest import unique
from tests.portal.conftest import built_portal, check_page
from tests.support.cli import pejling
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

OWN_PASSWORD = "quiet lantern orchard 7 tides"
LOGIN = ("mutation($email: String!, $password: String!) { "
         "login(email: $email, password: $password) { errors { code } } }")


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def test_a_generated_password_is_changed_at_the_first_login(
    server: str, browser: Browser, database: Settings, tmp_path: Path
) -> None:
    slug = unique("first")
    email = f"owner-{slug}@example.com"
    code, out, err = await pejling(database, tmp_path, "create-tenant", "--name", "Fjordlys", "--slug", slug,
                                   "--owner-email", email)
    assert code == 0, err
    printed = re.search(r"^Owner password: (\S+)$", out, re.MULTILINE)
    assert printed, out
    given = printed.group(1)

    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. A portal page asks for a login first, then the portal makes the owner choose their own password.
    await page.goto(f"{server}/portal/team")
    await page.wait_for_url("**/login?next=*")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(given)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal/choose-password?next=*")
    await expect(page.get_by_role("heading", level=1, name="Choose your own password")).to_be_visible()
    await expect(page.get_by_role("navigation")).to_have_count(0)
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    await check_page(page, "choose-password", refused)

    # 2. In Danish too (the language picker is the one control besides logging out).
    await page.get_by_label("Language").select_option("da")
    await expect(page.get_by_role("heading", level=1, name="Vælg din egen adgangskode")).to_be_visible()
    await check_page(page, "choose-password-da", refused)
    await page.get_by_label("Sprog").select_option("en")

    # 3. The keyboard alone: on arrival the given password's field has the focus, Tab goes on, Enter saves.
    await page.reload()
    await expect(page.get_by_label("The password you were given")).to_be_focused()
    await page.keyboard.type(given)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("New password")).to_be_focused()
    await page.keyboard.type(OWN_PASSWORD)
    await page.keyboard.press("Enter")

    # 4. The page the owner was going to opens, in full.
    await page.wait_for_url("**/portal/team")
    await expect(page.get_by_role("heading", level=1, name="Team")).to_be_visible()
    await expect(page.get_by_role("navigation")).to_be_visible()
    await check_page(page, "after-choose-password", refused)
    await context.close()

    async with httpx.AsyncClient(base_url=server) as api:
        old = (await api.post("/graphql", json={"query": LOGIN, "variables": {"email": email, "password": given}}))
        assert old.json()["data"]["login"]["errors"] == [{"code": "invalid_credentials"}]
        own = await api.post("/graphql", json={"query": LOGIN, "variables": {"email": email, "password": OWN_PASSWORD}})
        assert own.json()["data"]["login"]["errors"] == []
