from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from auth_helpers import ME, browser, gql, graphql_login, make_owner, set_cookies
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pejling.core.auth.api_tokens import create_api_token
from pejling.core.auth.middleware import ActorMiddleware
from pejling.core.auth.models import ApiToken, Session
from pejling.core.settings import Settings
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
