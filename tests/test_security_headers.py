"""Security headers on every response, and GraphiQL served by us under a strict Content-Security-Policy."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pejling.core.app import create_app
from pejling.core.followups import use_settings as use_followup_settings
from pejling.core.graphiql import DEFAULT_DIR, read_manifest
from pejling.core.security_headers import SecurityHeadersMiddleware
from pejling.core.settings import Settings
from tests.auth.auth_helpers import PASSWORD, make_owner
from tests.support.server import free_port, serving
from tests.survey_page.conftest import make_shop

PROXY = "10.9.0.5"


@pytest.fixture
def app_with(database: Settings) -> Iterator[Callable[..., Starlette]]:
    """An app on the run's database with some settings changed (no lifespan needed for these requests).

    create_app hands its settings to the follow-up jobs process-wide; the run's settings are put back afterwards.
    """
    yield lambda **changes: create_app(database.model_copy(update=changes), manage_database=False)
    use_followup_settings(database)


def _client(app: object, address: str = "127.0.0.1", base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url=base_url)


async def test_every_response_gets_the_basic_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    # JSON gets a policy that allows no content at all, and no framing.
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in response.headers  # plain http: HSTS would be ignored anyway
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["x-frame-options"] == "DENY"


async def test_graphql_answers_are_never_cached(client: httpx.AsyncClient) -> None:
    for answer in (await client.post("/graphql", json={"query": "{ __typename }"}),
                   await client.post("/graphql", json={"query": "{ nonsense }"})):
        assert answer.headers["cache-control"] == "no-store", answer.text


async def test_hsts_is_sent_when_the_browser_talks_https(app: object, app_with: Callable[..., Starlette]) -> None:
    async with _client(app, base_url="https://testserver") as https:
        hsts = (await https.get("/healthz")).headers["strict-transport-security"]
        assert hsts == "max-age=31536000; includeSubDomains"  # subdomains by default (ASVS V3.4.1, level 2)
    # X-Forwarded-Proto from a peer that is not a trusted proxy is not believed.
    async with _client(app, address="203.0.113.7") as anyone:
        spoofed = await anyone.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in spoofed.headers

    behind_proxy = app_with(trusted_proxies=["10.9.0.0/16"])
    async with _client(behind_proxy, address=PROXY) as proxy:
        forwarded = await proxy.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert forwarded.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        plain = await proxy.get("/healthz", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in plain.headers

    without_hsts = app_with(hsts_max_age_seconds=0)
    async with _client(without_hsts, base_url="https://testserver") as https:
        assert "strict-transport-security" not in (await https.get("/healthz")).headers


async def test_subdomains_leave_hsts_only_when_the_operator_says_so(
    monkeypatch: pytest.MonkeyPatch, app_with: Callable[..., Starlette]
) -> None:
    """The opt-out, for a host with a subdomain that must stay on plain http: from the environment as operators set
    it, and the default read the same way."""
    monkeypatch.delenv("PEJLING_HSTS_INCLUDE_SUBDOMAINS", raising=False)
    assert Settings().hsts_include_subdomains is True
    monkeypatch.setenv("PEJLING_HSTS_INCLUDE_SUBDOMAINS", "false")
    opted_out = Settings().hsts_include_subdomains
    assert opted_out is False
    async with _client(app_with(hsts_include_subdomains=opted_out), base_url="https://testserver") as https:
        assert (await https.get("/healthz")).headers["strict-transport-security"] == "max-age=31536000"


async def test_the_survey_page_keeps_its_own_nonce_policy(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    response = await client.get(shop.url)
    assert response.status_code == 200
    [policy] = response.headers.get_list("content-security-policy")  # theirs, not replaced nor doubled
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'nonce="{nonce.group(1)}"' in response.text
    assert "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"  # the page's own choice is kept
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_policy_without_frame_ancestors_gets_framing_forbidden_beside_it(database: Settings) -> None:
    async def image(request: object) -> PlainTextResponse:
        return PlainTextResponse("x", headers={"Content-Security-Policy": "default-src 'none'"})

    async def page(request: object) -> PlainTextResponse:
        return PlainTextResponse("<p>hi</p>", media_type="text/html")

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/image", image), Route("/page", page)]), database)
    async with _client(app) as http:
        # Both policies are enforced by browsers: the handler's stays exactly as it was.
        assert (await http.get("/image")).headers.get_list("content-security-policy") == [
            "default-src 'none'", "frame-ancestors 'none'",
        ]
        # An HTML page without a policy of its own is not broken by default-src: no framing, plug-ins or <base>.
        assert (await http.get("/page")).headers.get_list("content-security-policy") == [
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ]


async def test_an_html_policy_without_object_src_or_base_uri_gets_them_beside_it(database: Settings) -> None:
    async def loose(request: object) -> PlainTextResponse:
        return PlainTextResponse("<p>hi</p>", media_type="text/html",
                                 headers={"Content-Security-Policy": "script-src 'self'; frame-ancestors 'self'"})

    async def half(request: object) -> PlainTextResponse:
        return PlainTextResponse("<p>hi</p>", media_type="text/html",
                                 headers={"Content-Security-Policy": "object-src 'self'; frame-ancestors 'none'"})

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/loose", loose), Route("/half", half)]), database)
    async with _client(app) as http:
        assert (await http.get("/loose")).headers.get_list("content-security-policy") == [
            "script-src 'self'; frame-ancestors 'self'", "object-src 'none'; base-uri 'none'",
        ]
        # The page's own object-src choice stands; only base-uri is added.
        assert (await http.get("/half")).headers.get_list("content-security-policy") == [
            "object-src 'self'; frame-ancestors 'none'", "base-uri 'none'",
        ]


def _route_paths(routes: list[object], prefix: str = "") -> Iterator[str]:
    """Every path of the app's routes, mounts walked, path parameters filled with a plain value."""
    for route in routes:
        path = prefix + re.sub(r"\{[^}]+\}", "x", getattr(route, "path", ""))
        children = getattr(route, "routes", None)
        if children:
            yield from _route_paths(list(children), path)
        else:
            yield path or "/"


def _directives(policies: list[str]) -> set[str]:
    return {part.strip() for policy in policies for part in policy.split(";")}


async def test_every_html_route_forbids_plugins_and_base_urls(
    client: httpx.AsyncClient, app_with: Callable[..., Starlette],
) -> None:
    paths = set(_route_paths(list(app_with().routes)))  # the same routes as the app behind ``client``
    # Pages reached only through a flow: the SSO answer pages and the Vipps Login pages answer their errors as HTML.
    paths |= {"/sso/no-such-tenant/start", "/sso/no-such-tenant/callback?state=x&code=y",
              "/vipps/login?response=x&receipt=y", "/vipps/login/callback?state=x&code=y", "/login", "/portal/security"}
    html_paths = []
    for path in sorted(paths):
        response = await client.get(path, headers={"Accept": "text/html"})
        if response.headers.get("content-type", "").startswith("text/html"):
            html_paths.append(path)
            directives = _directives(response.headers.get_list("content-security-policy"))
            assert "object-src 'none'" in directives and "base-uri 'none'" in directives, (path, directives)
    # The walk really reached the kinds of HTML pages there are (a walk that found none would prove nothing).
    # The portal, GraphiQL and a kiosk page:
    assert "/" in html_paths and "/graphql" in html_paths and "/k/x" in html_paths, html_paths
    assert any(path.startswith("/sso/") for path in html_paths), html_paths
    assert any(path.startswith("/vipps/") for path in html_paths), html_paths


def _fake_bundle(directory: Path) -> None:
    (directory / "graphiql-ABC.js").write_text("window.loaded = true;")
    (directory / "graphiql-ABC.css").write_text("body { margin: 0 }")
    (directory / "editor.worker-DEF.js").write_text("")
    (directory / "manifest.json").write_text(json.dumps(
        {"script": "graphiql-ABC.js", "style": "graphiql-ABC.css", "workers": {"editor": "editor.worker-DEF.js"}}
    ))


async def test_graphiql_page_loads_only_our_own_assets_under_a_strict_policy(
    app_with: Callable[..., Starlette], tmp_path: Path
) -> None:
    _fake_bundle(tmp_path)
    app = app_with(graphiql_dir=tmp_path)
    async with _client(app) as browser:
        page = await browser.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
        assert directives["script-src"] == ["'self'"]  # no inline script, no CDN, no eval
        assert directives["default-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
        assert directives["connect-src"] == ["'self'"] and directives["worker-src"] == ["'self'"]
        assert not re.search(r"https?:|\*", policy)
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"

        html = page.text
        assert "unpkg" not in html and "cdn" not in html.lower()
        scripts = re.findall(r"<script([^>]*)>", html)
        assert scripts == [' src="/graphiql-assets/graphiql-ABC.js" defer']  # one script, from us, none inline
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["/graphiql-assets/graphiql-ABC.css"]
        assert not re.search(r"(src|href)=\"(https?:)?//", html)

        asset = await browser.get("/graphiql-assets/graphiql-ABC.js")
        assert asset.status_code == 200 and asset.text == "window.loaded = true;"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "javascript" in asset.headers["content-type"]
        assert (await browser.get("/graphiql-assets/nothing-here.js")).status_code == 404


async def test_graphiql_without_its_bundle_says_how_to_build_it(
    app_with: Callable[..., Starlette], tmp_path: Path
) -> None:
    app = app_with(graphiql_dir=tmp_path / "not-built")
    async with _client(app) as browser:
        page = await browser.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert "GraphiQL is not built" in page.text and "make run" in page.text
        assert "<script" not in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert (await browser.get("/graphiql-assets/graphiql-ABC.js")).status_code == 404
        # The API itself keeps working.
        answer = await browser.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json()["data"] == {"__typename": "Query"}


# --- GraphiQL in a real browser ------------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { me { email } errors { code } }
}"""


@pytest.fixture(scope="module")
def live_server(database: Settings) -> Iterator[str]:
    """``pejling serve`` on the run's database, with the GraphiQL bundle ``make test`` built."""
    assert read_manifest(DEFAULT_DIR) is not None, (
        f"no GraphiQL bundle in {DEFAULT_DIR}: run `make test` (or `npm run --prefix frontend build:graphiql`)"
    )
    port = free_port()
    env = {
        **os.environ, "PEJLING_DATABASE_URL": database.resolved_database_url, "PEJLING_VAR_DIR": str(database.var_dir),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(), "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "WARNING",
    }
    env.pop("PEJLING_GRAPHIQL_DIR", None)
    command = [str(Path(sys.executable).with_name("pejling")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, port=port, env=env, cwd=str(database.var_dir)) as (base, _):
        yield base


@pytest.mark.once
async def test_graphiql_runs_a_mutation_with_csrf_and_never_leaves_this_server(live_server: str) -> None:
    from playwright.async_api import Route as BrowserRoute
    from playwright.async_api import async_playwright, expect

    _, owner = await make_owner()
    new_password = "a brand new passphrase 2026"
    elsewhere: list[str] = []
    local: list[str] = []
    refused: list[str] = []

    async def only_this_server(route: BrowserRoute) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            local.append(url)
            await route.continue_()
        else:
            elsewhere.append(url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()
            await context.route("**/*", only_this_server)
            context.on("request", lambda request: None if urlsplit(request.url).hostname == "127.0.0.1"
                       or request.url.startswith(("data:", "blob:")) else elsewhere.append(request.url))
            page = await context.new_page()
            page.on("console", lambda message: refused.append(message.text)
                    if "Content Security Policy" in message.text or "Refused to" in message.text else None)

            # Log in through the API: the browser context shares its cookie jar with page requests.
            login = await context.request.post(
                f"{live_server}/graphql", headers={"Content-Type": "application/json", "Origin": live_server},
                data=json.dumps({"query": LOGIN, "variables": {"email": owner.email, "password": PASSWORD}}),
            )
            assert (await login.json())["data"]["login"]["me"]["email"] == owner.email
            assert {c["name"] for c in await context.cookies()} >= {"pejling_session", "csrf_token"}

            response = await page.goto(f"{live_server}/graphql")
            assert response is not None and response.status == 200
            policy = (await response.all_headers())["content-security-policy"]
            assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy

            editor = page.locator(".graphiql-query-editor .monaco-editor").first
            await editor.wait_for(state="visible", timeout=30_000)
            await editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.press("Delete")
            await page.keyboard.insert_text(
                f'mutation Change {{ changePassword(currentPassword: "{PASSWORD}", newPassword: "{new_password}")'
                " { ok errors { code message } } }"
            )
            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".result-window")
            await expect(result).to_contain_text('"ok": true', timeout=30_000)
            assert "csrf_failed" not in await result.inner_text()
            await context.close()
        finally:
            await browser.close()

    # The mutation really ran: the new password logs in, the old one no longer does.
    for password, works in ((new_password, True), (PASSWORD, False)):
        async with httpx.AsyncClient(base_url=live_server) as api:
            answer = await api.post("/graphql", json={"query": LOGIN, "variables": {
                "email": owner.email, "password": password}})
        assert (answer.json()["data"]["login"]["me"] is not None) is works, answer.text
    assert elsewhere == []
    assert any("/graphiql-assets/graphiql-" in url for url in local)
    assert any(".worker-" in url for url in local)  # Monaco's workers came from us too
    assert refused == []  # nothing on the page was blocked by its own policy
