"""A mutation run from GraphiQL succeeds, in Debian Chromium against the real app (uvicorn).

GraphiQL is our own bundle (no CDN) and its fetcher sends the session cookie and the CSRF token from the cookie in
``X-CSRF-Token``: a logged-in owner opens ``/graphql``, runs ``createStore`` from the editor, sees the new store in
the answer, and the API has it. Without the header the same mutation would be refused (``csrf_failed``). The page's
Content-Security-Policy refuses nothing, and a screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from pejling.core.settings import Settings
from tests.portal.conftest import SHOTS, built_portal
from tests.support.tenancy import PASSWORD, make_tenant
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

#: GraphiQL keeps its editor's text in localStorage under this key; set before the page loads, it is the query shown.
QUERY_KEY = "graphiql:query"


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def test_a_mutation_from_graphiql_succeeds(server: str, browser: Browser) -> None:
    shop = await make_tenant(stores=0)
    slug = f"graphiql-{secrets.token_hex(3)}"
    mutation = (f'mutation FromGraphiQL {{ createStore(input: {{name: "Made in GraphiQL", slug: "{slug}"}}) '
                "{ store { name slug } errors { code message } } }")
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(shop.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")

    await page.add_init_script(f"localStorage.setItem({json.dumps(QUERY_KEY)}, {json.dumps(mutation)})")
    await page.goto(f"{server}/graphql", wait_until="networkidle")
    await page.get_by_role("button", name=re.compile("Execute query")).click()
    answer = page.locator(".graphiql-response")
    await expect(answer).to_contain_text("Made in GraphiQL", timeout=20_000)
    await expect(answer).not_to_contain_text("csrf_failed")
    assert not refused, f"the Content-Security-Policy refused {refused}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "graphiql-mutation.png"), full_page=True)
    await context.close()

    async with httpx.AsyncClient(base_url=server, headers=shop.headers) as api:
        stores = (await api.post("/graphql", json={"query": "{ stores { edges { node { slug name } } } }"})).json()
    assert {"slug": slug, "name": "Made in GraphiQL"} in [e["node"] for e in stores["data"]["stores"]["edges"]]
