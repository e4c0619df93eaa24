"""An owner uses the privacy page, in Debian Chromium against the real app served by uvicorn.

Retention set to 12 months then anonymise, still there after a reload → a shopper's response arrives → the export
of everything runs (by a job worker) with a progress bar to a download link, and the file is a ZIP with its
manifest → the response is looked up by its receipt code and erased → the business is deleted by typing its slug,
and the owner lands on the login page, told so. On each new page axe-core finds no serious or critical violation,
the page's Content-Security-Policy refuses nothing, and a screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import anyio
import httpx
import pytest
from playwright.async_api import Browser, expect

from pejling.core import followups
from pejling.core.followups.tenant_export import TENANT_EXPORT_JOB
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.core.surveys.models import Response
from pejling.core.surveys.survey import active_survey, statements_of
from pejling.tenants.models import Tenant
from pejling.tenants.scope import tenant_scope
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, make_tenant
from tests.survey_page.phone import serve_app
from tests.surveys.conftest import Shop

pytestmark = pytest.mark.once


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def _submitted_response(server: str, shop: Shop) -> str:
    """A shopper's response posted as the survey page does; its receipt code."""
    async with httpx.AsyncClient(base_url=server) as client:
        reply = await client.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses",
                                  json=shop.payload(comment="The queue was long today."))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["receipt_code"])


async def test_retention_a_shoppers_request_the_export_and_deleting_the_business(
    server: str, browser: Browser, database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned = await make_tenant(stores=1)
    with tenant_scope(owned.tenant.id):
        current = await active_survey()
        assert current is not None
        await statements_of(current.version)
    shop = Shop(owned.tenant, owned.stores[0], owned.zones[0], owned.stores[0], str(current.version.id),
                list(current.version.statement_ids), list(current.version.warmup_ids))
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. The owner logs in and opens Privacy from the navigation.
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(owned.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Privacy").click()
    await expect(page.get_by_role("heading", level=1, name="Privacy")).to_be_visible()
    await expect(page.get_by_text("Responses are kept until a shopper asks for their erasure.")).to_be_visible()
    await check_page(page, "privacy", refused)

    # 2. Keep responses 12 months, then anonymise: saved, and still so after a reload.
    await page.get_by_label("For a number of months").check()
    await page.get_by_label("Months", exact=True).fill("12")
    await page.get_by_label("Anonymise").check()
    await page.get_by_role("button", name="Save retention").click()
    await expect(page.get_by_text("Retention saved. It takes effect at the next hourly purge.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Months", exact=True)).to_have_value("12")
    await expect(page.get_by_label("For a number of months")).to_be_checked()
    await expect(page.get_by_label("Anonymise")).to_be_checked()
    await expect(page.get_by_test_id("retention-now")).to_contain_text("Responses submitted before")
    await check_page(page, "privacy-retention-saved", refused)

    # 3. A shopper answers; then the export of everything runs to a download link, and the file is a ZIP.
    code = await _submitted_response(server, shop)
    await page.get_by_role("button", name="Start the export").click()
    bar = page.get_by_role("progressbar", name="Export progress")
    await expect(bar).to_be_visible()
    monkeypatch.setattr(followups, "_settings", database)  # the job writes where the served app reads: var_dir
    worker = Worker(database, kinds=[TENANT_EXPORT_JOB])
    while await worker.run_once():
        pass
    link = page.get_by_role("link", name="Download the ZIP file")
    await expect(link).to_be_visible(timeout=10_000)
    await expect(bar).to_have_attribute("aria-valuenow", "100")
    await check_page(page, "privacy-export-ready", refused)
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    path = await download.path()
    assert path is not None
    archive = zipfile.ZipFile(io.BytesIO(await anyio.Path(path).read_bytes()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["tenant"]["slug"] == owned.tenant.slug
    assert manifest["tables"]["survey_response"] == 1

    # 4. The shopper asks: look up their receipt code, see what is stored, and erase it after confirming.
    await page.get_by_label("Receipt code", exact=True).fill(code)
    await page.get_by_role("button", name="Look up").click()
    stored = page.get_by_test_id("shopper-data")
    await expect(stored).to_contain_text(f"Stored for the receipt code {code}")
    await expect(stored).to_contain_text("The queue was long today.")
    await expect(stored).to_contain_text(shop.store.name)
    await check_page(page, "privacy-shopper-data", refused)
    await page.get_by_role("button", name="Erase this response").click()
    await check_page(page, "privacy-erase-confirm", refused)
    await page.get_by_role("button", name="Yes, erase").click()
    await expect(page.get_by_text(f"The response {code} was erased.")).to_be_visible()
    with tenant_scope(owned.tenant.id):
        assert await Response.filter(receipt_code=code).count() == 0
    await page.get_by_label("Receipt code", exact=True).fill(code)
    await page.get_by_role("button", name="Look up").click()
    await expect(page.get_by_test_id("unknown-code")).to_contain_text("No response of yours has the receipt code")

    # 5. Delete the business: only the exact slug enables the button; then the login page says it is gone.
    delete = page.get_by_role("button", name="Delete the business for good")
    confirm = page.get_by_label(f"Type {owned.tenant.slug} to confirm")
    await confirm.fill(owned.tenant.slug.upper())
    await expect(delete).to_be_disabled()
    await confirm.fill(owned.tenant.slug)
    await expect(delete).to_be_enabled()
    await check_page(page, "privacy-delete-typed", refused)
    await delete.click()
    await page.wait_for_url("**/login?deleted=1")
    await expect(page.get_by_role("status")).to_have_text("Your business and everything stored for it was deleted.")
    await check_page(page, "login-after-deletion", refused)
    assert await Tenant.filter(id=owned.tenant.id).count() == 0
    await context.close()
