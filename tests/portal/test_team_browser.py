"""An owner builds a team and connects an integration, in Debian Chromium against the real app served by uvicorn.

The owner invites a store manager for one of two stores → the invitation mail arrives at a real SMTP server
(aiosmtpd) → the invitee opens its link, chooses a password and lands in the portal seeing only that store (and
not the owners' pages) → the spent link then says so → the owner creates an API token, copies the secret shown
once and it works as a Bearer token against /graphql until it is revoked. On each new page axe-core finds no
serious or critical violation, the page's Content-Security-Policy refuses nothing, and a screenshot is kept under
build/artifacts/portal/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from pejling.core.settings import Settings
from pejling.tenants.models import Role
from tests.portal.conftest import built_portal, check_page, token_watch
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name
from tests.support.tenancy import PASSWORD as OWNER_PASSWORD
from tests.support.tenancy import make_tenant, member
from tests.survey_page.phone import serve_app

pytestmark = pytest.mark.once

INVITEE_PASSWORD = "quiet lantern orchard 7 tides"
STORES_QUERY = "{ stores(first: 10) { edges { node { name } } } }"
MEMBERS_QUERY = "{ members(first: 100) { edges { node { email role stores { name } } } } }"


@pytest.fixture(scope="module")
def server(database: Settings, smtp_server: SmtpSink) -> Iterator[str]:  # noqa: F811 - the fixture
    built_portal()
    yield from serve_app(database, {"PEJLING_SMTP_URL": smtp_server.url})


async def _context(browser: Browser, refused: list[str], **options: object) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, **options)
    page = await context.new_page()
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page


async def _invitation_link(smtp: SmtpSink, address: str) -> str:
    """The path and fragment of the link in the invitation mail to ``address``."""
    (message,) = await smtp.wait_for(address)
    assert message["Subject"].startswith("Join Shop ")
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://\S+/accept-invitation#token=[\w\-%.~]+", body.get_content())
    assert found, body.get_content()
    link = urlsplit(found.group(0))
    assert link.query == ""  # the token is in the fragment: the browser never sends it (ASVS V14.2.1)
    return f"{link.path}#{link.fragment}"


async def _stores_with(server: str, secret: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server) as api:
        return await api.post("/graphql", json={"query": STORES_QUERY}, headers={"Authorization": f"Bearer {secret}"})


async def test_invite_a_store_manager_and_connect_an_integration(
    server: str, browser: Browser, smtp_server: SmtpSink  # noqa: F811 - the fixture
) -> None:
    shop = await make_tenant(stores=2)
    kept, other = (store.name for store in shop.stores)
    refused: list[str] = []
    owner_context, owner = await _context(browser, refused, permissions=["clipboard-read", "clipboard-write"])

    # 1. The owner logs in; the navigation offers the team and the API tokens.
    await owner.goto(f"{server}/login")
    await owner.get_by_label("Email").fill(shop.owner.email)
    await owner.get_by_label("Password").fill(OWNER_PASSWORD)
    await owner.get_by_role("button", name="Log in").click()
    await owner.wait_for_url("**/portal")
    await expect(owner.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(
        ["Stores", "Channels", "Responses", "Follow-ups", "Survey", "Integrations", "Team", "API tokens", "Privacy",
         "Billing", "Security"])
    await owner.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    members = owner.get_by_role("region", name="Members").get_by_role("row")
    await expect(members.nth(1)).to_contain_text(shop.owner.email)
    await expect(members.nth(1)).to_contain_text("Owner")
    await expect(owner.get_by_text("No invitations are waiting for an answer.")).to_be_visible()
    await check_page(owner, "team", refused)

    # 2. Invite a store manager for one store; the invitation is listed as pending.
    address = f"manager-{secrets.token_hex(4)}@example.com"
    await owner.get_by_label("Email").fill(address)
    await owner.get_by_label("Role").select_option(label="Store manager")
    await owner.get_by_role("group", name="Stores they manage").get_by_label(kept).check()
    await check_page(owner, "team-invite-store-manager", refused)
    await owner.get_by_role("button", name="Send invitation").click()
    await expect(owner.get_by_role("status")).to_have_text(f"Invitation sent to {address}.")
    pending = owner.get_by_role("region", name="Pending invitations").get_by_role("row").nth(1)
    await expect(pending).to_contain_text(address)
    await expect(pending).to_contain_text(f"Store manager{kept}")
    await expect(pending).to_contain_text("Waiting for an answer")
    await check_page(owner, "team-invited", refused)

    # 3. The mail's link: the invitee chooses a name and password and lands among their stores: only the one.
    link = await _invitation_link(smtp_server, address)
    invitee_context, invitee = await _context(browser, refused)
    await invitee.goto(server + link)
    await expect(invitee.get_by_role("heading", level=1, name="Join your team on Pejling")).to_be_visible()
    await invitee.get_by_label("Your name").fill("Sofie Manager")
    await invitee.get_by_label("New password").fill(INVITEE_PASSWORD)
    await check_page(invitee, "accept-invitation", refused)
    await invitee.get_by_role("button", name="Join").click()
    await invitee.wait_for_url("**/portal")
    await expect(invitee.locator(".store-list h2")).to_have_text([kept])
    await expect(invitee.get_by_text(other)).to_have_count(0)
    navigation = invitee.get_by_role("navigation", name="Main")
    await expect(navigation.get_by_role("link")).to_have_text(["Stores", "Responses", "Follow-ups", "Security"])
    await invitee.goto(f"{server}/portal/team")
    await expect(invitee.get_by_test_id("admin-only")).to_have_text(re.compile("^Only owners and admins"))
    await check_page(invitee, "team-not-an-admin", refused)
    await invitee_context.close()

    # 4. The link is spent: opened again, it says so clearly.
    again_context, again = await _context(browser, refused)
    await again.goto(server + link)
    await again.get_by_label("New password").fill(INVITEE_PASSWORD)
    await again.get_by_role("button", name="Join").click()
    spent = re.compile("^This invitation is invalid, has already been used")
    await expect(again.get_by_role("alert")).to_have_text(spent)
    await check_page(again, "accept-invitation-spent", refused)
    await again_context.close()

    # The owner's team now lists the store manager with the one store, and no pending invitation.
    await owner.reload()
    manager = owner.get_by_role("region", name="Members").get_by_role("row").filter(has_text=address)
    await expect(manager.get_by_role("cell")).to_have_text(
        ["Sofie Manager", address, "Store manager", kept, re.compile("^Change role")])
    await expect(owner.get_by_text("No invitations are waiting for an answer.")).to_be_visible()

    # 5. An API token: the secret is shown once with a warning; the copy button puts it on the clipboard.
    await owner.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    await expect(owner.get_by_role("heading", level=1, name="API tokens")).to_be_visible()
    await check_page(owner, "api-tokens", refused)
    await owner.get_by_label("Name").fill("Till system")
    await owner.get_by_role("button", name="Create token").click()
    shown = owner.get_by_label("Token", exact=True)
    await expect(shown).to_have_value(re.compile(r"^pjl_"))
    secret = await shown.input_value()
    await expect(owner.get_by_text("it will not be shown again")).to_be_visible()
    await owner.get_by_role("button", name="Copy").click()
    await expect(owner.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert await owner.evaluate("() => navigator.clipboard.readText()") == secret
    row = owner.get_by_role("region", name="Tokens").get_by_role("row").filter(has_text="Till system")
    await expect(row).to_contain_text("Read")
    await expect(row).to_contain_text("Never")
    await expect(row).to_contain_text("Active")
    await check_page(owner, "api-token-created", refused)

    # The secret works as a Bearer token: the integration reads the tenant's stores.
    answer = await _stores_with(server, secret)
    assert answer.status_code == 200, answer.text
    assert sorted(e["node"]["name"] for e in answer.json()["data"]["stores"]["edges"]) == sorted([kept, other])

    # 6. Revoked (after confirming), the token stops working at once; the list says so.
    await owner.get_by_role("button", name="Revoke Till system").click()
    await owner.get_by_role("button", name="Yes, revoke").click()
    await expect(row).to_contain_text("Revoked")
    refused_answer = await _stores_with(server, secret)
    assert refused_answer.status_code == 401
    await owner_context.close()


async def _members(server: str, headers: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """The tenant's members as the API lists them: email → (role, store names)."""
    async with httpx.AsyncClient(base_url=server, headers=headers) as api:
        answer = await api.post("/graphql", json={"query": MEMBERS_QUERY})
    assert answer.status_code == 200, answer.text
    return {e["node"]["email"]: (e["node"]["role"], [s["name"] for s in e["node"]["stores"]])
            for e in answer.json()["data"]["members"]["edges"]}


async def test_an_owner_makes_an_analyst_store_manager_then_removes_them(server: str, browser: Browser) -> None:
    shop = await make_tenant(stores=2)
    kept, other = (store.name for store in shop.stores)
    analyst = await member(shop.tenant, Role.ANALYST)
    refused: list[str] = []
    context, owner = await _context(browser, refused)
    await owner.goto(f"{server}/login")
    await owner.get_by_label("Email").fill(shop.owner.email)
    await owner.get_by_label("Password").fill(OWNER_PASSWORD)
    await owner.get_by_role("button", name="Log in").click()
    await owner.wait_for_url("**/portal")
    await owner.goto(f"{server}/portal/team")
    members = owner.get_by_role("region", name="Members")
    row = members.get_by_role("row").filter(has_text=analyst.email)
    await expect(row.get_by_role("cell").nth(2)).to_have_text("Analyst")
    # The only owner can be neither demoted nor removed; the page says why.
    mine = members.get_by_role("row").filter(has_text=shop.owner.email)
    await expect(mine.get_by_role("button", name=re.compile("^Remove"))).to_be_disabled()
    await expect(mine).to_contain_text("The only owner")

    # 1. Change role, by keyboard: the editor opens under the row; store manager of one of the two stores.
    change = row.get_by_role("button", name=f"Change role of {analyst.email}")
    await change.focus()
    await owner.keyboard.press("Enter")
    editor = owner.get_by_role("form", name=f"Change the role of {analyst.email}")
    await editor.get_by_label("New role").select_option(label="Store manager")
    await editor.get_by_role("group", name="Stores they manage").get_by_label(kept).check()
    await check_page(owner, "team-change-role", refused)
    await editor.get_by_role("button", name="Save").click()
    await expect(owner.get_by_role("status")).to_have_text(f"The role of {analyst.email} is now Store manager.")
    await expect(row.get_by_role("cell").nth(2)).to_have_text("Store manager")
    await expect(row.get_by_role("cell").nth(3)).to_have_text(kept)
    await expect(change).to_be_focused()
    await check_page(owner, "team-role-changed", refused)
    assert (await _members(server, shop.headers))[analyst.email] == ("STORE_MANAGER", [kept])
    assert other not in (await _members(server, shop.headers))[analyst.email][1]

    # 2. Remove: nothing happens until the dialog is confirmed.
    await row.get_by_role("button", name=f"Remove {analyst.email}").click()
    dialog = owner.get_by_role("dialog", name=f"Remove {analyst.email} from the team?")
    await expect(dialog).to_be_visible()
    await check_page(owner, "team-remove-dialog", refused)
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    assert analyst.email in await _members(server, shop.headers)
    await row.get_by_role("button", name=f"Remove {analyst.email}").click()
    await dialog.get_by_role("button", name="Yes, remove").click()
    await expect(owner.get_by_role("status")).to_have_text(f"{analyst.email} was removed from the team.")
    await expect(row).to_have_count(0)
    await expect(owner.get_by_role("heading", name="Members")).to_be_focused()
    await check_page(owner, "team-member-removed", refused)
    assert sorted(await _members(server, shop.headers)) == [shop.owner.email]
    await context.close()


async def test_someone_with_an_account_logs_in_from_the_invitation_and_accepts(
    server: str, browser: Browser, smtp_server: SmtpSink  # noqa: F811 - the fixture
) -> None:
    inviting = await make_tenant(stores=1)
    elsewhere = await make_tenant(stores=0)  # the invitee already owns another business on Pejling
    async with httpx.AsyncClient(base_url=server, headers=inviting.headers) as api:
        invited = await api.post("/graphql", json={
            "query": "mutation($email: String!) { inviteMember(email: $email, role: ANALYST) { errors { code } } }",
            "variables": {"email": elsewhere.owner.email},
        })
    assert invited.json()["data"]["inviteMember"]["errors"] == [], invited.text
    link = await _invitation_link(smtp_server, elsewhere.owner.email)
    refused: list[str] = []
    context, page = await _context(browser, refused)

    # The link asks an address with an account to log in first, and logging in comes back to it; on the way the token
    # reaches the server only in the GraphQL body, never in a path, a query or a header (Referer).
    sent = token_watch(page, link.split("#token=", 1)[1])
    await page.goto(server + link)
    await page.get_by_role("link", name="Log in first").click()
    await page.get_by_label("Email").fill(elsewhere.owner.email)
    await page.get_by_label("Password").fill(OWNER_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{server}/accept-invitation")  # the token read, and taken out of the address bar
    await expect(page.get_by_text(f"You are logged in as {elsewhere.owner.email}.")).to_be_visible()
    await expect(page.get_by_label("New password")).to_have_count(0)
    await check_page(page, "accept-invitation-logged-in", refused)

    # One button joins; the portal then works in the business joined, where an analyst reads every store.
    await page.get_by_role("button", name="Accept the invitation").click()
    await page.wait_for_url("**/portal")
    assert set(sent) == {"in the body"}, sent
    # In two businesses now: the header offers both, the one joined chosen.
    await expect(page.get_by_label("Business")).to_have_value(inviting.tenant.slug)
    await expect(page.locator(".store-list h2")).to_have_text([inviting.stores[0].name])
    await expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(
        ["Stores", "Responses", "Follow-ups", "Security"])
    await context.close()
