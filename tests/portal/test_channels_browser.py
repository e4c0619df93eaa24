"""An owner sets up a store's channels on the Channels page, in Debian Chromium against the real app (uvicorn).

The owner belongs to two businesses (owner of one, analyst in another), so a clicked download link only works when
it names its tenant (``?tenant=<slug>``): the A4 poster downloads as a PDF from the Channels page and from the Store
page. The owner makes a QR code for a zone, registers an NFC tag (the NDEF message shown carries the tag's link),
registers a kiosk tablet (its token shown once) and revokes it through the confirmation dialog, by keyboard:
Escape closes it without revoking, Enter on "Yes, revoke" revokes. The API agrees at each step. On each state
axe-core finds no serious or critical violation, the page's Content-Security-Policy refuses nothing, and a
screenshot is kept under build/artifacts/portal/.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import anyio
import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from pejling.core.settings import Settings
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Membership, Role
from pejling.tenants.scope import tenant_scope
from tests.portal.conftest import built_portal, check_page
from tests.support.tenancy import PASSWORD, TenantFixture, make_tenant
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

CHANNELS_QUERY = """query($store: ID!) {
  surveyCodes(storeId: $store, includeRetired: false) { code zoneId campaign }
  nfcTags(storeId: $store) { label url ndefRecord }
  kiosks(storeId: $store, retired: true) { label retired }
}"""


@pytest.fixture(scope="module")
def server(database: Settings) -> Iterator[str]:
    built_portal()
    yield from serve_app(database)


async def _channels(server: str, shop: TenantFixture) -> dict[str, list[dict[str, object]]]:
    async with httpx.AsyncClient(base_url=server, headers=shop.headers) as api:
        answer = await api.post("/graphql", json={
            "query": CHANNELS_QUERY, "variables": {"store": encode_id("Store", shop.stores[0].id)}})
    body = answer.json()
    assert "errors" not in body, body
    return dict(body["data"])


async def _download_pdf(page: Page, link_name: str) -> str:
    """Click the link and check a PDF arrives; its suggested file name."""
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=link_name).click()
    download = await download_info.value
    path = await download.path()
    assert path is not None and (await anyio.Path(path).read_bytes()).startswith(b"%PDF")
    return download.suggested_filename


async def test_set_up_a_stores_channels(server: str, browser: Browser) -> None:
    shop = await make_tenant(stores=1)
    elsewhere = await make_tenant(stores=0)
    with tenant_scope(elsewhere.tenant.id):  # the owner is an analyst in a second business too
        await Membership.create(user=shop.owner, role=Role.ANALYST, store_ids=[])
    store, zone = shop.stores[0], shop.zones[0]
    refused: list[str] = []
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. Log in; the portal works in the business the owner owns; Channels comes right after Stores.
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(shop.owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/portal")
    await expect(page.get_by_label("Business")).to_have_value(shop.tenant.slug)
    navigation = page.get_by_role("navigation", name="Main").get_by_role("link")
    await expect(navigation.nth(1)).to_have_text("Channels")
    await navigation.nth(1).click()
    await page.wait_for_url("**/portal/channels")
    await expect(page.get_by_role("heading", level=1, name="Channels")).to_be_visible()
    await expect(page.get_by_label("Store", exact=True)).to_have_value(encode_id("Store", store.id))
    await expect(page.get_by_text("This store has no QR code yet. Make one below.")).to_be_visible()
    await expect(page.get_by_text("This store has no NFC tags yet.")).to_be_visible()
    await check_page(page, "channels", refused)

    # 2. A QR code for the zone, with a campaign; its A4 poster downloads (the link names the tenant).
    await page.get_by_label("Zone for new codes, tags, tablets and invitations").select_option(label=zone.name)
    await page.get_by_label("Campaign label (optional)").fill("Autumn")
    await page.get_by_role("button", name="Make a QR code").click()
    qr = page.get_by_role("region", name="QR posters")
    await expect(qr.get_by_role("status")).to_have_text(
        re.compile(r"^QR code [A-Z0-9]{8} is ready to print\.$"))
    (made,) = (await _channels(server, shop))["surveyCodes"]
    assert made["campaign"] == "Autumn" and made["zoneId"] == encode_id("Zone", zone.id)
    row = qr.get_by_role("row").filter(has_text=str(made["code"]))
    await expect(row).to_contain_text(zone.name)
    a4 = row.get_by_role("link", name=f"A4 poster (PDF) {made['code']}")
    href = await a4.get_attribute("href") or ""
    assert href.endswith(f"/poster-a4.pdf?tenant={shop.tenant.slug}")
    # Without the parameter this person's session names no tenant: the same file is not found (the old bug).
    assert (await page.request.get(server + href.split("?", 1)[0])).status == 404
    assert (await _download_pdf(page, f"A4 poster (PDF) {made['code']}")).endswith("-poster-a4.pdf")

    # 3. An NFC tag: the link and the NDEF message to write on it (a URI record carrying that link).
    nfc = page.get_by_role("region", name="NFC tags")
    await nfc.get_by_label("Label").fill("Till 1")
    await nfc.get_by_role("button", name="Register an NFC tag").click()
    tag_made = page.get_by_role("region", name="Tag “Till 1” is registered")
    link = await tag_made.get_by_label("Link").input_value()
    ndef = base64.b64decode(await tag_made.get_by_label("NDEF message (base64)").input_value())
    assert link.startswith("http") and link.split("://", 1)[1].encode() in ndef
    await expect(nfc.get_by_role("row").filter(has_text="Till 1")).to_contain_text("static tag")
    (tag,) = (await _channels(server, shop))["nfcTags"]
    assert tag["label"] == "Till 1" and tag["url"] == link

    # 4. A kiosk tablet: its page and token are shown once.
    kiosks = page.get_by_role("region", name="Kiosk tablets")
    await kiosks.get_by_label("Tablet name").fill("Door tablet")
    await kiosks.get_by_role("button", name="Register a tablet").click()
    kiosk_made = page.get_by_role("region", name="Tablet “Door tablet” is registered")
    await expect(kiosk_made.get_by_label("Device token")).not_to_have_value("")
    await expect(kiosk_made).to_contain_text("it will not be shown again")
    await check_page(page, "channels-created", refused)

    # 5. Revoking by keyboard: the dialog takes focus; Escape closes it and nothing is revoked.
    revoke = kiosks.get_by_role("button", name="Revoke Door tablet")
    await revoke.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Revoke the tablet Door tablet?")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await check_page(page, "channels-confirm-revoke", refused)
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(revoke).to_be_focused()
    assert (await _channels(server, shop))["kiosks"] == [{"label": "Door tablet", "retired": False}]
    await page.keyboard.press("Enter")
    await page.keyboard.press("Shift+Tab")  # from Cancel back to the confirming button
    await expect(dialog.get_by_role("button", name="Yes, revoke")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_text("This store has no kiosk tablets.")).to_be_visible()
    assert (await _channels(server, shop))["kiosks"] == [{"label": "Door tablet", "retired": True}]

    # 6. The Store page's poster link names the tenant too (it did not: a person in two businesses got a 404).
    await page.goto(f"{server}/portal/stores/{encode_id('Store', store.id)}")
    await expect(page.get_by_role("heading", level=1, name=store.name)).to_be_visible()
    assert (await _download_pdf(page, "Download the A4 poster (PDF)")).endswith("-poster-a4.pdf")
    await context.close()
