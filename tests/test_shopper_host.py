"""The shoppers' pages on a host name of their own (``PEJLING_SHOPPER_BASE_URL``, core/shopper_host.py; ASVS 3.5.4).

The real application with the setting, called through httpx with the ``Host`` header of each host: links for
shoppers carry the shopper origin, the portal and the API are 404 there, old links on the main host answer 308,
the portal's preview may frame the shopper page; the setting is checked like an origin. With the setting empty,
the whole suite runs on one origin as before (and one test here says so)."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import ValidationError
from support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name

from pejling.core.followups import use_settings as use_followup_settings
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings, shopper_base_url
from pejling.core.shopper_host import host_of, is_shopper_path
from pejling.core.surveys.invitation_mail import INVITATION_MAIL_JOB, unsubscribe_url
from pejling.core.surveys.models import Response
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.vipps.channel import VippsReceipt
from pejling.tenants.models import Role
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import member, token_for
from tests.survey_page.conftest import Shop, make_shop
from tests.surveys.conftest import make_shop as make_mailing_shop

PORTAL = "http://portal.example"
SHOPPER = "http://svar.example"
ROOT = Path(__file__).resolve().parents[1]
INVITE = """mutation($store: ID!, $to: [String!]!) {
  inviteShoppers(storeId: $store, recipients: $to, channel: "email") { sent errors { code message } }
}"""
CREATE_CODE = """mutation($store: ID!) {
  createSurveyCode(storeId: $store) { surveyCode { code url svgUrl } errors { code message } }
}"""


@pytest.fixture(scope="module")
async def split_app(database: Settings) -> AsyncIterator[Any]:
    from pejling.core.app import create_app

    application = create_app(database.model_copy(update={"base_url": PORTAL, "shopper_base_url": SHOPPER}),
                             manage_database=False)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        yield manager.app
    use_followup_settings(database)


def on(app: Any, origin: str) -> httpx.AsyncClient:
    """A client of ``app`` whose requests carry ``origin``'s host in ``Host``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=origin)


@pytest.fixture
async def shop(database: Settings) -> Shop:
    return await make_shop()


# --- the setting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["svar.example", "ftp://svar.example", "https://svar.example/s", "https://",
                                   "https://svar.example?x=1", "https://user@svar.example", "https://*.example",
                                   "https://svar.example:99999"])
def test_a_shopper_base_url_that_is_no_origin_is_refused_with_a_clear_error(value: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin such as https://svar.example.com"):
        Settings(shopper_base_url=value)


def test_the_shopper_base_url_is_kept_as_its_origin() -> None:
    assert Settings(shopper_base_url=" HTTPS://Svar.Example:443/ ").shopper_base_url == "https://svar.example"
    assert Settings(shopper_base_url="http://svar.example:8080").shopper_base_url == "http://svar.example:8080"
    assert Settings(shopper_base_url="").shopper_base_url == ""


def test_in_production_the_shopper_host_must_differ_from_the_portals() -> None:
    common: dict[str, Any] = {"environment": "production", "base_url": "https://pejling.example"}
    with pytest.raises(ValidationError, match="must name another host than base_url"):
        Settings(**common, shopper_base_url="https://pejling.example:8443")
    assert Settings(**common, shopper_base_url="https://svar.example").shopper_base_url == "https://svar.example"
    assert Settings(environment="test", base_url=PORTAL, shopper_base_url=PORTAL).shopper_base_url == PORTAL


def test_shopper_links_fall_back_to_base_url_when_the_setting_is_empty() -> None:
    assert shopper_base_url(Settings(base_url="https://pejling.example/")) == "https://pejling.example"
    assert shopper_base_url(Settings(base_url=PORTAL, shopper_base_url=SHOPPER)) == SHOPPER


def test_shopper_paths_and_hosts() -> None:
    for path in ("/s/a/b", "/q/ABCD2345", "/i/x", "/r", "/r/ABC", "/k/x", "/u/x", "/s/a/b/responses"):
        assert is_shopper_path(path), path
    for path in ("/signup", "/sso/a/callback", "/reset-password", "/graphql", "/portal", "/", "/rx", "/queue"):
        assert not is_shopper_path(path), path
    assert host_of("https://Svar.Example:443") == host_of("svar.example:443") == host_of("svar.example") == \
        "svar.example"
    assert host_of("http://svar.example:8080") == host_of("svar.example:8080") == "svar.example:8080"


# --- links -----------------------------------------------------------------------------------------------------


async def test_a_qr_code_links_to_the_shopper_origin_and_its_downloads_stay_on_the_portal(
    split_app: Any, shop: Shop
) -> None:
    token = await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))
    async with on(split_app, PORTAL) as portal:
        reply = await portal.post("/graphql", json={"query": CREATE_CODE,
                                                    "variables": {"store": encode_id("Store", shop.store.id)}},
                                  headers={"Authorization": f"Bearer {token}"})
    made = reply.json()["data"]["createSurveyCode"]["surveyCode"]
    assert made["url"] == f"{SHOPPER}/q/{made['code']}"
    assert made["svgUrl"].startswith(f"{PORTAL}/api/survey-codes/")
    async with on(split_app, PORTAL) as portal:
        svg = await portal.get(made["svgUrl"], headers={"Authorization": f"Bearer {token}"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg")
    async with on(split_app, SHOPPER) as shopper:
        scanned = await shopper.get(f"/q/{made['code']}")
    assert scanned.status_code == 303 and scanned.headers["location"].startswith(shop.url)


async def test_an_invitation_mail_links_its_survey_unsubscribe_and_logo_to_the_shopper_origin(
    split_app: Any, database: Settings, smtp_server: SmtpSink,  # noqa: F811
) -> None:
    shop = await make_mailing_shop()
    shop.tenant.logo, shop.tenant.logo_type, shop.tenant.logo_version = b"\x89PNG", "image/png", 3
    await shop.tenant.save()
    token = await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))
    address = f"shopper-{uuid4().hex[:8]}@example.com"
    async with on(split_app, PORTAL) as portal:
        reply = await portal.post("/graphql", json={"query": INVITE, "variables": {
            "store": encode_id("Store", shop.store.id), "to": [address]}}, headers={"Authorization": f"Bearer {token}"})
    assert reply.json()["data"]["inviteShoppers"] == {"sent": 1, "errors": []}
    mailing = database.model_copy(update={"smtp_url": smtp_server.url, "base_url": PORTAL,
                                          "shopper_base_url": SHOPPER})
    use_followup_settings(mailing)
    try:
        worker = Worker(mailing, kinds=[INVITATION_MAIL_JOB], concurrency=1)
        while await worker.run_once():
            pass
    finally:
        use_followup_settings(database)
    [message] = await smtp_server.wait_for(address)
    assert str(message["List-Unsubscribe"]).startswith(f"<{SHOPPER}/u/")
    text = "".join(str(part.get_content()) for part in message.walk() if part.get_content_type() == "text/plain")
    html = "".join(str(part.get_content()) for part in message.walk() if part.get_content_type() == "text/html")
    assert f"{SHOPPER}/i/" in text and PORTAL not in text
    assert f'src="{SHOPPER}/s/{shop.tenant.slug}/logo?v=3"' in html and PORTAL not in html


def test_mail_and_vipps_links_carry_the_shopper_origin() -> None:
    settings = Settings(base_url=PORTAL, shopper_base_url=SHOPPER, secret_key="k" * 40)
    assert unsubscribe_url(settings, uuid4(), "ann@example.com").startswith(f"{SHOPPER}/u/")
    url = VippsReceipt().purchase_url(shopper_base_url(settings), "tenant", "store", "t" * 22)
    assert url.startswith(f"{SHOPPER}/s/tenant/store?")


#: The modules that build links for shoppers: none of them reads ``settings.base_url`` (they go through
#: :func:`pejling.core.settings.shopper_base_url`), except graphql/surveys/codes.py for its portal downloads.
SHOPPER_LINK_MODULES = ("core/surveys/code_routes.py", "core/surveys/invitation_mail.py", "core/cli.py",
                        "plugins/shopify/orders.py", "plugins/vipps/receipt_links.py", "graphql/surveys/devices.py",
                        "graphql/surveys/mutations.py")


@pytest.mark.parametrize("module", SHOPPER_LINK_MODULES)
def test_shopper_link_modules_never_read_base_url(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    read = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "base_url"]
    assert read == [], f"{module} reads base_url on line(s) {read}: shopper links use shopper_base_url(settings)"


# --- host separation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/graphql"), ("POST", "/graphql"), ("GET", "/"), ("GET", "/login"), ("GET", "/portal/surveys"),
    ("GET", "/portal-assets/index.html"), ("GET", "/api/audit-log.csv"), ("POST", "/webhooks/stripe"),
    ("GET", "/plugins/vipps/payments/abc"), ("GET", "/sso/x/callback"), ("GET", "/metrics"), ("GET", "/graphiql"),
])
async def test_the_portal_and_the_api_are_not_found_on_the_shopper_host(split_app: Any, method: str,
                                                                        path: str) -> None:
    async with on(split_app, SHOPPER) as shopper:
        reply = await shopper.request(method, path)
    assert reply.status_code == 404, (method, path, reply.status_code)
    assert "x-frame-options" in reply.headers  # the security headers are still added


async def test_the_shopper_pages_answer_on_the_shopper_host(split_app: Any, shop: Shop) -> None:
    async with on(split_app, SHOPPER) as shopper:
        page = await shopper.get(shop.url)
        posted = await shopper.post(f"{shop.url}/responses", content=b"{", headers={"Content-Type": "application/json"})
        health = await shopper.get("/healthz")
    assert page.status_code == 200 and "<form" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert posted.status_code == 400  # the endpoint's own refusal, not the host's 404
    assert health.status_code == 200


async def test_old_links_on_the_main_host_are_redirected_to_the_shopper_origin(split_app: Any, shop: Shop) -> None:
    async with on(split_app, PORTAL) as portal:
        moved = await portal.get(f"{shop.url}?zone=abc&lang=da")
        head = await portal.head("/q/ABCD2345")
        receipt = await portal.get("/r")
        posted = await portal.post(f"{shop.url}/responses", content=b"{", headers={"Content-Type": "application/json"})
        api = await portal.post("/graphql", json={"query": "{ __typename }"})
        health = await portal.get("/readyz")
    assert moved.status_code == 308
    assert moved.headers["location"] == f"{SHOPPER}{shop.url}?zone=abc&lang=da"
    assert head.status_code == 308 and head.headers["location"] == f"{SHOPPER}/q/ABCD2345"
    assert receipt.status_code == 308 and receipt.headers["location"] == f"{SHOPPER}/r"
    assert posted.status_code == 400  # served, not refused by the host: the endpoint's own answer to a broken body
    assert api.status_code == 200 and api.json()["data"] == {"__typename": "Query"}
    assert health.status_code in {200, 503}


async def test_an_answer_posted_to_the_old_host_is_stored_not_lost(split_app: Any) -> None:
    """A survey page opened before the switch, or a phone's outbox, still posts to the main host: it is stored."""
    shop = await make_mailing_shop()
    payload = shop.payload()
    async with on(split_app, PORTAL) as portal:
        stored = await portal.post(f"/s/{shop.tenant.slug}/{shop.store.slug}/responses", json=payload)
    assert stored.status_code in {200, 201, 202}, stored.text
    with tenant_scope(shop.tenant.id):
        assert await Response.exists(id=payload["id"])


async def test_the_tenant_logo_answers_on_both_hosts(split_app: Any, shop: Shop) -> None:
    """The portal shows the logo beside its own pages (img-src 'self'), so it is not moved."""
    for origin in (PORTAL, SHOPPER):
        async with on(split_app, origin) as client:
            logo = await client.get(f"/s/{shop.tenant.slug}/logo")
        assert logo.status_code == 404  # this tenant has no logo: the route's own answer, not a redirect


async def test_the_portal_may_frame_the_preview_on_the_shopper_origin(split_app: Any, shop: Shop) -> None:
    async with on(split_app, PORTAL) as portal:
        moved = await portal.get(f"{shop.url}?preview=1&lang=en")
        page = await portal.get("/portal")
    assert moved.status_code == 308
    assert f"frame-src 'self' {SHOPPER};" in page.headers["content-security-policy"]
    async with on(split_app, SHOPPER) as shopper:
        preview = await shopper.get(moved.headers["location"])
    assert preview.status_code == 200
    assert f"frame-ancestors 'self' {PORTAL}" in preview.headers["content-security-policy"]


async def test_with_the_setting_empty_every_host_gets_every_page(client: httpx.AsyncClient, shop: Shop) -> None:
    page = await client.get(shop.url, headers={"Host": "svar.example"})
    api = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Host": "svar.example"})
    portal = await client.get("/portal")
    assert page.status_code == 200 and api.status_code == 200
    assert "frame-src 'self';" in portal.headers["content-security-policy"]
