"""GraphQL budgets per operation and per cost: aliases, fragments and batching cannot multiply them, the answer
is a 429 that runs nothing, and with Redis every process shares the counts."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from graphql import parse
from pejling.core.auth.models import PasswordResetToken
from pejling.core.settings import Settings
from pejling.core.surveys.rate_limit import Limit
from pejling.graphql import operation_limits
from pejling.graphql.operation_limits import FIELD_LIMITS, root_fields
from pejling.tenants.models import User
from tests.support.tenancy import make_tenant

RESET = "requestPasswordReset(email: $e) { ok }"


def address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture(scope="module")
async def limited(database: Settings) -> AsyncIterator[Any]:
    from pejling.core.app import create_app

    application = create_app(database.model_copy(update={"api_rate_limits": True}), manage_database=False)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        yield manager.app


def client(app: Any, at: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(at or address(), 40000)),
                             base_url="http://testserver")


def aliased(field: str, times: int) -> str:
    return "mutation($e: String!) { " + " ".join(f"a{i}: {field}" for i in range(times)) + " }"


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> httpx.Response:
    return await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})


def test_root_fields_count_aliases_and_fragments_once_each_spread() -> None:
    document = parse("mutation M { a: login(email: \"x\", password: \"y\") ...F ... on Mutation { logout { ok } } }"
                     " fragment F on Mutation { b: login(email: \"x\", password: \"z\") ...G ...G }"
                     " fragment G on Mutation { c: login(email: \"x\", password: \"w\") }"
                     " query Other { me { email } }")
    assert root_fields(document, "M") == {"login": 4, "logout": 1}
    assert root_fields(document, "Other") == {"me": 1}
    assert root_fields(document, None) == {}, "no operation runs without a name when there are two"
    fan = "query { ...F0 } " + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    assert root_fields(parse(fan + " fragment F40 on Query { me { email } }"), None) == {"me": 2 ** 40}


async def test_aliases_cannot_multiply_password_reset_mails(limited: Any) -> None:
    owner = (await make_tenant()).owner
    allowed = FIELD_LIMITS["requestPasswordReset"].limit.count
    async with client(limited) as http:
        over = await post(http, aliased(RESET, allowed + 1), {"e": owner.email})
        assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
        body = over.json()
        assert body["data"] is None
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
            ("RATE_LIMITED", "requestPasswordReset")]
        assert not await PasswordResetToken.filter(user_id=owner.id).exists(), "a refused operation runs nothing"
    async with client(limited) as http:  # another address has its own budget, spent over several requests
        first = await post(http, aliased(RESET, allowed - 1), {"e": owner.email})
        assert first.status_code == 200 and "errors" not in first.json()
        assert (await post(http, aliased(RESET, 1), {"e": owner.email})).status_code == 200
        last = await post(http, aliased(RESET, 1), {"e": owner.email})
        assert last.status_code == 429 and last.json()["errors"][0]["extensions"]["field"] == "requestPasswordReset"


async def test_logins_through_fragments_count_each_use(limited: Any) -> None:
    allowed = FIELD_LIMITS["login"].limit.count
    fragment = " ".join(f"l{i}: login(email: \"nobody@example.com\", password: \"wrong {i}\") {{ errors {{ code }} }}"
                        for i in range(10))
    query = f"mutation {{ ...Guesses }} fragment Guesses on Mutation {{ {fragment} }}"
    async with client(limited) as http:
        for _ in range(allowed // 10):
            assert (await post(http, query)).status_code == 200
        refused = await post(http, query)
        assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["field"] == "login"


async def test_a_member_budget_follows_the_member_not_the_address(limited: Any) -> None:
    one, other = await make_tenant(), await make_tenant()
    create = ("mutation($i: ApiTokenInput!) { createApiToken(input: $i) { token { id } errors { code } } }")
    variables = {"i": {"name": "ci", "scopes": ["READ"]}}
    allowed = FIELD_LIMITS["createApiToken"].limit.count
    for n in range(allowed):
        async with client(limited) as http:  # a new address each time changes nothing
            made = await post(http, create, variables, one.headers)
            assert made.status_code == 200 and made.json()["data"]["createApiToken"]["errors"] == [], n
    async with client(limited) as http:
        refused = await post(http, create, variables, one.headers)
        assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["field"] == "createApiToken"
        assert (await post(http, create, variables, other.headers)).status_code == 200


async def test_the_cost_budget_is_spent_by_what_queries_ask_for(limited: Any, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    shop = await make_tenant()
    monkeypatch.setattr(operation_limits, "COST_BUDGET", Limit(100, 60))
    small = "{ me { email } }"
    large = ("{ stores(first: 10) { edges { node { id name slug address timezone zones { id name kind } } } } "
             "me { email } }")
    async with client(limited) as http:
        first = await post(http, large, headers=shop.headers)
        spent = first.json()["extensions"]["cost"]["requested"]
        assert first.status_code == 200 and "errors" not in first.json() and 20 < spent < 100
        for _ in range(10):
            answer = await post(http, large, headers=shop.headers)
            if answer.status_code != 200:
                break
            spent += answer.json()["extensions"]["cost"]["requested"]
        assert answer.status_code == 429 and answer.json()["errors"][0]["extensions"]["field"] == "cost"
        assert spent <= 100
        assert (await post(http, small, headers=(await make_tenant()).headers)).status_code == 200


async def test_a_batch_of_operations_is_not_accepted(limited: Any) -> None:
    owner = (await make_tenant()).owner
    batch = [{"query": aliased(RESET, 1), "variables": {"e": owner.email}}] * 20
    async with client(limited) as http:
        answer = await http.post("/graphql", json=batch)
    assert answer.status_code == 400
    assert not await PasswordResetToken.filter(user_id=owner.id).exists()


async def test_with_redis_every_process_shares_the_counts(database: Settings) -> None:
    from pejling.core.app import create_app

    shared = database.model_copy(update={"api_rate_limits": True, "redis_url": "redis://127.0.0.1:6379/0"})
    owner = (await make_tenant()).owner
    allowed = FIELD_LIMITS["requestPasswordReset"].limit.count
    at = address()
    apps = [create_app(shared, manage_database=False), create_app(shared, manage_database=False)]
    async with LifespanManager(apps[0]) as first, LifespanManager(apps[1]) as second:
        async with client(first.app, at) as one, client(second.app, at) as two:
            assert (await post(one, aliased(RESET, allowed // 2), {"e": owner.email})).status_code == 200
            assert (await post(two, aliased(RESET, allowed - allowed // 2), {"e": owner.email})).status_code == 200
            assert (await post(one, aliased(RESET, 1), {"e": owner.email})).status_code == 429
            assert (await post(two, aliased(RESET, 1), {"e": owner.email})).status_code == 429
    assert await User.exists(id=owner.id)
