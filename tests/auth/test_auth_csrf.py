from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from auth_helpers import ME, browser, gql, graphql_login, make_owner, set_cookies
from PIL import Image
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.auth.api_tokens import create_api_token
from pejling.core.auth.middleware import ActorMiddleware, _may_change_data
from pejling.core.auth.models import ApiToken, Session
from pejling.core.settings import Settings
from pejling.graphql.limits import MAX_BODY_BYTES, MAX_TOKENS
from pejling.tenants.branding import MAX_LOGO_BYTES
from pejling.tenants.middleware import TenantMiddleware
from pejling.tenants.scope import tenant_scope

CREATE_TOKEN = """mutation { createApiToken(input: {name: "ci", scopes: [READ]}) { secret errors { code } } }"""


async def token_count(tenant_id: Any) -> int:
    with tenant_scope(tenant_id):
        return await ApiToken.all().count()


async def test_cookie_mutation_without_the_header_is_refused_and_changes_nothing(app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        refused = await gql(client, CREATE_TOKEN)
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        wrong = await gql(client, CREATE_TOKEN, csrf="0" * 64)
        assert wrong.status_code == 403
        assert await token_count(tenant.id) == 0
        accepted = await gql(client, CREATE_TOKEN, csrf=csrf)
        assert accepted.status_code == 200 and accepted.json()["data"]["createApiToken"]["errors"] == []
        assert await token_count(tenant.id) == 1


async def test_logout_without_the_header_is_refused(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        refused = await gql(client, "mutation { logout { ok } }")
        assert refused.status_code == 403
        assert await Session.filter(user_id=owner.id).count() == 1
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == owner.email


async def test_queries_need_no_header_so_graphiql_can_read(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == owner.email
        # A document holding a query and a mutation: only the chosen operation counts.
        both = "query Who { me { email } } mutation Bye { logout { ok } }"
        response = await client.post("/graphql", json={"query": both, "operationName": "Who"})
        assert response.status_code == 200 and response.json()["data"]["me"]["email"] == owner.email
        response = await client.post("/graphql", json={"query": both, "operationName": "Bye"})
        assert response.status_code == 403
        # A batch hiding a mutation, an unnamed mix, and a non-JSON body are refused too.
        batch = [{"query": ME}, {"query": "mutation { logout { ok } }"}]
        assert (await client.post("/graphql", json=batch)).status_code == 403
        assert (await client.post("/graphql", json={"query": both})).status_code == 403
        plain = await client.post("/graphql", content=b'{"query": "mutation { logout { ok } }"}',
                                  headers={"Content-Type": "text/plain"})
        assert plain.status_code == 403
        assert await Session.filter(user_id=owner.id).count() == 1


async def test_cross_site_origin_is_refused_even_with_the_header(app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
            refused = await gql(client, CREATE_TOKEN, csrf=csrf, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"] == "cross_site_request", headers
            query = await gql(client, ME, headers=headers)
            assert query.status_code == 403
        assert await token_count(tenant.id) == 0
        same = await gql(client, CREATE_TOKEN, csrf=csrf, headers={"Origin": "http://testserver"})
        assert same.json()["data"]["createApiToken"]["errors"] == []


async def test_bearer_requests_need_no_csrf_and_ignore_the_cookie(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        _, secret = await create_api_token(name="ci", scopes=["write"], created_by=owner.id)
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        response = await gql(client, CREATE_TOKEN, headers={"Authorization": f"Bearer {secret}",
                                                             "Origin": "https://integrator.example"})
        assert response.status_code == 200 and response.json()["data"]["createApiToken"]["errors"] == []
        me = (await gql(client, ME, headers={"Authorization": f"Bearer {secret}"})).json()["data"]["me"]
        assert me["viaApiToken"] is True and me["csrfToken"] is None
        # A bad token never falls back to the valid session cookie.
        bad = await gql(client, ME, headers={"Authorization": "Bearer pjl_" + "A" * 43})
        assert bad.status_code == 401
    assert await token_count(tenant.id) == 2


async def test_missing_csrf_cookie_is_set_again(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        client.cookies.delete("csrf_token")
        response = await gql(client, ME)
        assert "csrf_token" in set_cookies(response)
        assert client.cookies["csrf_token"] == csrf
        again = await gql(client, ME)
        assert "set-cookie" not in again.headers


@pytest.fixture(scope="module")
async def api_app(database: Settings) -> AsyncIterator[Any]:
    """A bare app with a POST route under /api/, behind the real actor and tenant middleware."""
    calls: list[str] = []

    async def echo(request: Request) -> JSONResponse:
        calls.append(request.method)
        actor = request.state.actor
        return JSONResponse({"user": str(actor.user_id), "token": str(actor.token_id), "calls": len(calls)})

    application = Starlette(
        routes=[
            Route("/api/echo", echo, methods=["GET", "POST", "DELETE"]),
            Route("/plugins/example/echo", echo, methods=["POST"]),
            Route("/s/form", echo, methods=["POST"]),
        ],
        middleware=[Middleware(ActorMiddleware), Middleware(TenantMiddleware)],
    )
    application.state.settings = database
    application.state.calls = calls
    yield application


async def test_unsafe_api_requests_with_the_cookie_need_the_header(app: Any, api_app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as login_client:
        csrf = await graphql_login(login_client, owner.email)
        cookie = login_client.cookies["pejling_session"]
    calls: list[str] = api_app.state.calls
    async with browser(api_app) as client:
        client.cookies.set("pejling_session", cookie)
        before = len(calls)
        assert (await client.post("/api/echo")).status_code == 403
        assert (await client.delete("/api/echo")).status_code == 403
        assert (await client.post("/plugins/example/echo")).status_code == 403
        assert len(calls) == before  # the handler never ran
        assert (await client.get("/api/echo")).json()["user"] == str(owner.id)
        ok = await client.post("/api/echo", headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200 and ok.json()["user"] == str(owner.id)
        # Elsewhere (a server-rendered form) a same-origin POST passes, a cross-site one does not.
        assert (await client.post("/s/form", headers={"Origin": "http://testserver"})).status_code == 200
        assert (await client.post("/s/form", headers={"Origin": "https://evil.example"})).status_code == 403
    with tenant_scope(tenant.id):
        _, secret = await create_api_token(name="ci", scopes=["read"], created_by=owner.id)
    async with browser(api_app) as integrator:
        response = await integrator.post("/api/echo", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200 and response.json()["token"] != "None"
        basic = await integrator.post("/api/echo", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert basic.status_code == 401 and basic.json() == {"error": "invalid_token"}


# --- Issue 8, hole 2: the CSRF check must not be a way to make the server parse megabytes. ---------------


def padded(query: str, size: int) -> bytes:
    """A JSON GraphQL request of about ``size`` bytes (the padding is an unused variable)."""
    body = json.dumps({"query": query, "variables": {"padding": ""}})
    return body.replace('"padding": ""', '"padding": "' + "x" * max(0, size - len(body)) + '"').encode()


async def post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post("/graphql", content=body, headers={"Content-Type": "application/json", **(headers or {})})


async def test_graphql_bodies_over_the_cap_are_413_for_everyone_and_nothing_runs(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        _, secret = await create_api_token(name="ci", scopes=["write"], created_by=owner.id)
    big = padded(CREATE_TOKEN, MAX_BODY_BYTES + 1)
    async with browser(app) as anonymous:
        refused = await post(anonymous, big)
        assert refused.status_code == 413 and refused.json()["error"] == "request_too_large"
        assert (await post(anonymous, big, {"Authorization": f"Bearer {secret}"})).status_code == 413
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        assert (await post(client, big)).status_code == 413  # not even inspected: no 403, no parse
        assert (await post(client, big, {"X-CSRF-Token": csrf})).status_code == 413
        assert await token_count(tenant.id) == 1  # only the one made above
        # The largest legitimate request, a 24 KB logo as a data: URL, fits well under the cap: a real PNG (the
        # upload is decoded and encoded afresh), of noise so that it does not compress, just under the limit.
        buffer = io.BytesIO()
        Image.frombytes("RGB", (89, 89), random.Random(1).randbytes(89 * 89 * 3)).save(buffer, "PNG")
        png = buffer.getvalue()
        assert MAX_LOGO_BYTES - 1024 < len(png) <= MAX_LOGO_BYTES
        logo = {"query": "mutation($d: String) { setTenantLogo(dataUrl: $d) { errors { code } } }",
                "variables": {"d": "data:image/png;base64," + base64.b64encode(png).decode()}}
        body = json.dumps(logo).encode()
        assert len(body) < MAX_BODY_BYTES
        done = await post(client, body, {"X-CSRF-Token": csrf})
        assert done.status_code == 200 and done.json()["data"]["setTenantLogo"]["errors"] == []


async def test_the_body_cap_stops_reading_at_the_cap(database: Settings) -> None:
    """The middleware reads at most the cap (plus one chunk) of an endless body, and nothing when the length says."""
    ran: list[str] = []

    async def downstream(scope: Any, receive: Any, send: Any) -> None:
        ran.append(scope["path"])

    chunk = b"x" * 4096
    received = 0

    async def endless() -> dict[str, Any]:
        nonlocal received
        received += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    answers: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        answers.append(message)

    middleware = ActorMiddleware(downstream, settings=database)
    for declared in ([], [(b"content-length", str(10 * 1024 * 1024).encode())]):
        received = 0
        answers.clear()
        scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": declared, "query_string": b"",
                 "scheme": "http", "server": ("testserver", 80), "client": ("10.0.0.1", 1), "state": {}}
        await middleware(scope, endless, send)
        assert answers[0]["status"] == 413
        assert received <= (MAX_BODY_BYTES + len(chunk) if not declared else 0), received
    assert ran == []


def test_the_csrf_check_parses_no_more_than_the_schema_would() -> None:
    """A document over the token limit cannot run, so it changes nothing; the check stops at the limit too."""
    long_query = "query { " + "__typename " * (MAX_TOKENS + 10) + "} mutation { logout { ok } }"
    body = json.dumps({"query": long_query}).encode()
    assert len(body) < MAX_BODY_BYTES
    assert _may_change_data(body, "application/json") is False
    short = json.dumps({"query": "query { __typename } mutation { logout { ok } }"}).encode()
    assert _may_change_data(short, "application/json") is True
    assert _may_change_data(b"[" * 3000 + b"]" * 3000, "application/json") is True  # unreadable: needs the token
    assert _may_change_data(json.dumps([{"query": "{ __typename }"}]).encode(), "application/json") is True


async def test_a_document_over_the_token_limit_is_refused_by_the_parser_and_changes_nothing(app: Any) -> None:
    _, owner = await make_owner()
    long_mutation = "mutation { logout { ok } } query { " + "__typename " * (MAX_TOKENS + 10) + "}"
    async with browser(app) as client:
        await graphql_login(client, owner.email)
        response = await client.post("/graphql", json={"query": long_mutation})
        assert response.status_code == 200
        assert f"more than {MAX_TOKENS} tokens" in response.json()["errors"][0]["message"]
        assert await Session.filter(user_id=owner.id).count() == 1  # logout never ran


async def test_deeply_nested_json_is_a_clean_400(app: Any) -> None:
    _, owner = await make_owner()
    nested = b"[" * 3000 + b"]" * 3000
    in_variables = b'{"query": "{ __typename }", "variables": {"v": ' + nested + b"}}"
    assert len(in_variables) < 16 * 1024
    async with browser(app) as anonymous:
        for body in (nested, in_variables, b"5", b'"query"', b"null"):
            response = await post(anonymous, body)
            assert response.status_code == 400, (body[:20], response.text)
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        refused = await post(client, in_variables)
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"  # unreadable: needs a token
        assert (await post(client, in_variables, {"X-CSRF-Token": csrf})).status_code == 400
        assert (await post(client, nested, {"X-CSRF-Token": csrf})).status_code == 400
