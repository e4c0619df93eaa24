"""A retailer who is an owner or admin of several businesses chooses, in the browser, which one a shop is installed
into: the choice page, the signed install continued with ``pejling_tenant``, the state and the callback in the
chosen business — against the test Shopify with real signatures; forgeries and other people's businesses refused."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx

from pejling.core.auth.passwords import hash_password
from pejling.core.auth.sessions import SESSION_COOKIE, start_session
from pejling.core.settings import Settings
from pejling.plugins.shopify.install import make_state, read_state
from pejling.plugins.shopify.models import ShopifyShop
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import all_tenants, tenant_scope
from pejling.tenants.signup import create_tenant_with_owner
from tests.conftest import unique
from tests.shopify.conftest import CLIENT_ID, install_query
from tests.shopify.shopify_server import FakeShopify
from tests.support.tenancy import PASSWORD

URL = "/integrations/shopify/install"
BROWSER = "text/html,application/xhtml+xml"


async def _business(name: str) -> Tenant:
    tenant, _ = await create_tenant_with_owner(tenant_name=name, tenant_slug=unique("biz"),
                                               email=f"{unique('o')}@example.com", password=PASSWORD)
    return tenant


async def _person(*memberships: tuple[Tenant, Role]) -> User:
    user = await User.create(email=f"{unique('person')}@example.com", password_hash=hash_password(PASSWORD))
    for tenant, role in memberships:
        with tenant_scope(tenant.id):
            await Membership.create(user=user, role=role)
    return user


async def _browser(settings: Settings, user: User, language: str = "en") -> dict[str, str]:
    """The headers of this person's logged-in browser (a real session cookie, no tenant header)."""
    _, secret = await start_session(settings, user.id)
    return {"Cookie": f"{SESSION_COOKIE}={secret}", "Accept": BROWSER, "Accept-Language": language}


def _choices(page: httpx.Response) -> dict[str, str]:
    """The choice page's links: tenant slug → href."""
    return {slug: html.unescape(href) for href, slug in
            re.findall(r'<a class="btn" href="([^"]+)" data-tenant="([^"]+)">', page.text)}


async def _shops(domain: str) -> list[ShopifyShop]:
    with all_tenants():
        return await ShopifyShop.filter(shop=domain)


async def test_a_person_of_several_businesses_chooses_one_and_the_shop_is_installed_there(
    client: httpx.AsyncClient, shopify: FakeShopify, database: Settings,
) -> None:
    first, second, third = (await _business(f"Bageriet {unique()}"), await _business(f"Nordlys {unique()}"),
                            await _business(f"Analyse {unique()}"))
    person = await _person((first, Role.OWNER), (second, Role.ADMIN), (third, Role.ANALYST))
    domain = f"{unique('choice')}.myshopify.com"
    query = install_query(shopify, domain)
    headers = await _browser(database, person, "da-DK,da;q=0.9,en;q=0.5")

    page = await client.get(URL, params=query, headers=headers)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "da" and page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce and f'nonce="{nonce[1]}"' in page.text
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"  # the signed query is not passed on
    assert "Vælg virksomhed" in page.text and domain in page.text
    # The businesses where the person is an owner or admin, by name; not the one where they are an analyst.
    links = _choices(page)
    assert set(links) == {first.slug, second.slug}
    assert first.name in page.text and second.name in page.text and third.name not in page.text
    assert third.slug not in page.text
    assert page.text.index(first.name) < page.text.index(second.name)
    # Each link is the same request as Shopify signed it, with the business added.
    chosen = urlsplit(links[second.slug])
    assert chosen.path == URL
    assert dict(parse_qsl(chosen.query)) == {**query, "pejling_tenant": second.slug}
    assert await _shops(domain) == []  # showing the page changed nothing

    start = await client.get(links[second.slug], headers=headers)
    assert start.status_code == 302, start.text
    authorize = urlsplit(start.headers["location"])
    assert authorize.path == f"/shops/{domain}/admin/oauth/authorize"
    state = read_state(database, parse_qs(authorize.query)["state"][0], now=time.time())
    assert state is not None
    assert state["t"] == second.id.hex and state["u"] == person.id.hex and state["s"] == domain

    # Shopify approves and sends the browser back: the callback (no header, several memberships) installs the shop
    # into the business of the state.
    async with httpx.AsyncClient(timeout=10) as outside:
        approved = await outside.get(start.headers["location"])
    back = urlsplit(approved.headers["location"])
    done = await client.get(f"{back.path}?{back.query}", headers=headers)
    assert done.status_code == 302, done.text
    assert done.headers["location"] == f"{shopify.base}/shops/{domain}/admin/apps/{CLIENT_ID}"
    (row,) = await _shops(domain)
    assert row.tenant_id == second.id and row.sealed_token


async def test_the_choice_page_speaks_the_browsers_language(
    client: httpx.AsyncClient, shopify: FakeShopify, database: Settings,
) -> None:
    first, second = await _business(f"A {unique()}"), await _business(f"B {unique()}")
    person = await _person((first, Role.ADMIN), (second, Role.OWNER))
    titles = {"da": "Vælg virksomhed", "nb": "Velg virksomhet", "sv": "Välj företag", "en": "Choose a business"}
    for accept, language in (("da", "da"), ("nb-NO", "nb"), ("no", "nb"), ("sv-SE,sv;q=0.8", "sv"), ("en-GB", "en"),
                             ("fr-FR", "en")):
        page = await client.get(URL, params=install_query(shopify, f"{unique('lang')}.myshopify.com"),
                                headers=await _browser(database, person, accept))
        assert page.status_code == 200
        assert page.headers["content-language"] == language, accept
        assert f'<html lang="{language}"' in page.text and titles[language] in page.text, accept
        assert set(_choices(page)) == {first.slug, second.slug}


async def test_the_added_business_does_not_let_a_forged_request_through(
    client: httpx.AsyncClient, shopify: FakeShopify, database: Settings,
) -> None:
    first, second = await _business(f"A {unique()}"), await _business(f"B {unique()}")
    person = await _person((first, Role.OWNER), (second, Role.OWNER))
    headers = await _browser(database, person)
    domain = f"{unique('forged')}.myshopify.com"
    query = {**install_query(shopify, domain), "pejling_tenant": first.slug}
    for tampered in ({**query, "shop": f"{unique('other')}.myshopify.com"},
                     {**query, "timestamp": str(int(query["timestamp"]) - 1)},
                     {**query, "hmac": "0" * 64},
                     {**query, "locale": "da"}):  # a parameter Shopify did not sign
        answer = await client.get(URL, params=tampered, headers=headers)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_signature", tampered
    # Our parameter is not something Shopify could have signed for us: a query signed with it is not accepted
    # as a signature over the rest.
    signed_with_it = shopify.sign_query({"shop": domain, "timestamp": str(int(time.time())),
                                         "pejling_tenant": first.slug})
    answer = await client.get(URL, params=signed_with_it, headers=headers)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_signature"
    # A stale request stays stale whatever is added.
    stale = {**shopify.sign_query({"shop": domain, "timestamp": str(int(time.time()) - 7200)}),
             "pejling_tenant": first.slug}
    assert (await client.get(URL, params=stale, headers=headers)).json()["error"] == "stale_request"
    # Named twice, or differently by the header: refused.
    twice = urlencode([*install_query(shopify, domain).items(), ("pejling_tenant", first.slug),
                       ("pejling_tenant", second.slug)])
    answer = await client.get(f"{URL}?{twice}", headers=headers)
    assert answer.status_code == 400 and answer.json()["error"] == "tenant_conflict"
    answer = await client.get(URL, params={**install_query(shopify, domain), "pejling_tenant": first.slug},
                              headers={**headers, "X-Pejling-Tenant": second.slug})
    assert answer.status_code == 400 and answer.json()["error"] == "tenant_conflict"
    assert await _shops(domain) == []


async def test_a_business_where_the_person_is_not_an_owner_or_admin_cannot_be_chosen(
    client: httpx.AsyncClient, shopify: FakeShopify, database: Settings,
) -> None:
    first, second, analysed, stranger = (await _business(f"A {unique()}"), await _business(f"B {unique()}"),
                                         await _business(f"C {unique()}"), await _business(f"D {unique()}"))
    person = await _person((first, Role.OWNER), (second, Role.ADMIN), (analysed, Role.ANALYST))
    headers = await _browser(database, person)
    domain = f"{unique('deny')}.myshopify.com"

    answer = await client.get(URL, params={**install_query(shopify, domain), "pejling_tenant": analysed.slug},
                              headers=headers)
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
    # A business they do not belong to is not found (the same answer as one that does not exist).
    for slug in (stranger.slug, unique("nobody"), "Not A Slug"):
        answer = await client.get(URL, params={**install_query(shopify, domain), "pejling_tenant": slug},
                                  headers=headers)
        assert answer.status_code == 404 and answer.json()["error"] == "tenant_not_found", slug

    # A callback whose state (ours, correctly signed) names the business where they are only an analyst is refused,
    # and so is one naming a business they do not belong to.
    for tenant in (analysed, stranger):
        state = make_state(database, tenant_id=tenant.id, user_id=person.id, shop=domain, now=time.time())
        shopify.codes["c" * 32] = domain
        back = shopify.sign_query({"code": "c" * 32, "shop": domain, "state": state,
                                   "timestamp": str(int(time.time()))})
        answer = await client.get("/integrations/shopify/callback", params=back, headers=headers)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_state", tenant.slug
    assert await _shops(domain) == []


async def test_one_business_to_administer_goes_straight_to_shopify(
    client: httpx.AsyncClient, shopify: FakeShopify, database: Settings,
) -> None:
    only, analysed = await _business(f"A {unique()}"), await _business(f"B {unique()}")
    for person, expected in ((await _person((only, Role.OWNER)), only),
                             (await _person((analysed, Role.ANALYST), (only, Role.ADMIN)), only)):
        headers = await _browser(database, person)
        domain = f"{unique('single')}.myshopify.com"
        start = await client.get(URL, params=install_query(shopify, domain), headers=headers)
        assert start.status_code == 302, start.text
        state = read_state(database, parse_qs(urlsplit(start.headers["location"]).query)["state"][0],
                           now=time.time())
        assert state is not None and state["t"] == expected.id.hex and state["u"] == person.id.hex
        async with httpx.AsyncClient(timeout=10) as outside:
            approved = await outside.get(start.headers["location"])
        back = urlsplit(approved.headers["location"])
        assert (await client.get(f"{back.path}?{back.query}", headers=headers)).status_code == 302
        (row,) = await _shops(domain)
        assert row.tenant_id == expected.id

    # Several memberships, none as owner or admin: refused, no page.
    person = await _person((analysed, Role.ANALYST), (await _business(f"C {unique()}"), Role.STORE_MANAGER))
    answer = await client.get(URL, params=install_query(shopify, f"{unique('none')}.myshopify.com"),
                              headers=await _browser(database, person))
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"
