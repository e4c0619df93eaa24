from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from auth_helpers import browser, gql, graphql_login, make_owner
from tortoise import connections

from pejling.core.auth.api_tokens import ApiTokenRefused, create_api_token, normalise_scopes
from pejling.core.auth.models import ApiToken, secret_digest
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Membership, Role, Store, User
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import member

CREATE = """mutation($input: ApiTokenInput!) {
  createApiToken(input: $input) {
    secret token { id name prefix scopes expiresAt active } errors { code field message }
  }
}"""
LIST = "{ apiTokens { edges { node { id name prefix scopes lastUsedAt revokedAt active createdBy } } } }"
CREATE_STORE = 'mutation { createStore(input: {name: "Via API", slug: "via-api"}) { store { name } errors { code } } }'


async def test_token_is_shown_once_and_stored_hashed(app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        result = await gql(client, CREATE, {"input": {"name": "Shopify sync", "scopes": ["WRITE"]}}, csrf=csrf)
        payload = result.json()["data"]["createApiToken"]
        secret = payload["secret"]
        assert payload["errors"] == [] and secret.startswith("pjl_") and len(secret) == 47
        assert payload["token"]["scopes"] == ["READ", "WRITE"] and payload["token"]["prefix"] == secret[:12]
        listed = (await gql(client, LIST)).json()["data"]["apiTokens"]["edges"]
        assert [edge["node"]["name"] for edge in listed] == ["Shopify sync"]
        assert secret not in str(listed) and listed[0]["node"]["createdBy"] == owner.email
    with tenant_scope(tenant.id):
        row = await ApiToken.get(secret_hash=secret_digest(secret))
    assert row.tenant_id == tenant.id and row.created_by_id == owner.id
    # No column of the table holds the secret, nor its part after the display prefix.
    rows = await connections.get("default").execute_query_dict("SELECT * FROM auth_api_token")
    dump = repr(rows)
    assert secret not in dump and secret[12:] not in dump


async def test_read_scope_cannot_mutate_and_write_scope_can(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        _, reader = await create_api_token(name="reader", scopes=["read"], created_by=owner.id)
        _, writer = await create_api_token(name="writer", scopes=["write"], created_by=owner.id)
    async with browser(app) as client:
        read = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {reader}"})
        assert read.json()["data"]["tenant"]["slug"] == tenant.slug
        refused = await gql(client, CREATE_STORE, headers={"Authorization": f"Bearer {reader}"})
        assert refused.json()["data"]["createStore"] == {"store": None, "errors": [{"code": "forbidden"}]}
        with tenant_scope(tenant.id):
            assert not await Store.exists(slug="via-api")
        written = await gql(client, CREATE_STORE, headers={"Authorization": f"Bearer {writer}"})
        assert written.json()["data"]["createStore"] == {"store": {"name": "Via API"}, "errors": []}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pjl_" + "A" * 43,  # well-formed, unknown
        "Bearer pjl_short",
        "Bearer",
        "Bearer ",
        "Token pjl_" + "A" * 43,
        "Basic dXNlcjpwYXNz",
        "bearer pjl_" + "A" * 42 + "!",
    ],
)
async def test_wrong_or_malformed_tokens_get_401(client: Any, header: str) -> None:
    response = await client.post("/graphql", json={"query": "{ me { email } }"}, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token"}
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_expired_and_revoked_tokens_get_401(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        expiring, soon = await create_api_token(
            name="soon", scopes=["read"], created_by=owner.id, expires_at=datetime.now(UTC) + timedelta(hours=1)
        )
        revoked, later = await create_api_token(name="later", scopes=["read"], created_by=owner.id)
    async with browser(app) as client:
        for secret in (soon, later):
            ok = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
            assert ok.status_code == 200
        with tenant_scope(tenant.id):
            await ApiToken.filter(id=expiring.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        expired = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {soon}"})
        assert expired.status_code == 401 and expired.json() == {"error": "invalid_token"}

        csrf = await graphql_login(client, owner.email)
        revoke = "mutation($id: ID!) { revokeApiToken(id: $id) { token { active revokedAt } errors { code } } }"
        token_id = encode_id("ApiToken", revoked.id)
        payload = (await gql(client, revoke, {"id": token_id}, csrf=csrf)).json()["data"]["revokeApiToken"]
        assert payload["errors"] == [] and payload["token"]["active"] is False and payload["token"]["revokedAt"]
        client.cookies.clear()
        gone = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {later}"})
        assert gone.status_code == 401


async def test_token_of_a_deactivated_member_stops_working(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        _, secret = await create_api_token(name="x", scopes=["read"], created_by=owner.id)
    await User.filter(id=owner.id).update(is_active=False)
    async with browser(app) as client:
        response = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 401


async def test_token_of_a_member_who_left_stops_working(app: Any) -> None:
    tenant, _ = await make_owner()
    admin = await member(tenant, Role.ADMIN)
    with tenant_scope(tenant.id):
        _, secret = await create_api_token(name="x", scopes=["read"], created_by=admin.id)
    async with browser(app) as client:
        ok = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200
        with tenant_scope(tenant.id):
            await Membership.filter(user_id=admin.id).delete()
        gone = await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
        assert gone.status_code == 401


async def test_last_used_is_recorded(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        token, secret = await create_api_token(name="x", scopes=["read"], created_by=owner.id)
    assert token.last_used_at is None
    async with browser(app) as client:
        await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
        with tenant_scope(tenant.id):
            first = (await ApiToken.get(id=token.id)).last_used_at
        assert first is not None
        await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
        with tenant_scope(tenant.id):
            assert (await ApiToken.get(id=token.id)).last_used_at == first  # at most once a minute
            await ApiToken.filter(id=token.id).update(last_used_at=first - timedelta(minutes=2))
        await gql(client, "{ tenant { slug } }", headers={"Authorization": f"Bearer {secret}"})
        with tenant_scope(tenant.id):
            assert (await ApiToken.get(id=token.id)).last_used_at > first - timedelta(minutes=2)
        listed = await gql(client, LIST, headers={"Authorization": f"Bearer {secret}"})
        assert listed.json()["data"]["apiTokens"]["edges"][0]["node"]["lastUsedAt"] is not None


async def test_token_input_is_validated_and_nothing_is_created(app: Any) -> None:
    tenant, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        for data, field in (
            ({"name": " ", "scopes": ["READ"]}, "name"),
            ({"name": "ci\u0000bot", "scopes": ["READ"]}, "name"),  # PostgreSQL text cannot hold a NUL
            ({"name": "x", "scopes": []}, "scopes"),
            ({"name": "x", "scopes": ["READ"], "expiresAt": past}, "expiresAt"),
        ):
            payload = (await gql(client, CREATE, {"input": data}, csrf=csrf)).json()["data"]["createApiToken"]
            assert payload["secret"] is None and payload["errors"][0]["field"] == field, payload
    with tenant_scope(tenant.id):
        assert await ApiToken.all().count() == 0
    with pytest.raises(ApiTokenRefused):
        normalise_scopes(["admin"])
    assert normalise_scopes(["WRITE"]) == ["read", "write"]


async def test_only_admins_manage_tokens(app: Any) -> None:
    tenant, _ = await make_owner()
    analyst = await member(tenant, Role.ANALYST)
    async with browser(app) as client:
        csrf = await graphql_login(client, analyst.email)
        payload = (await gql(client, CREATE, {"input": {"name": "x", "scopes": ["READ"]}}, csrf=csrf)).json()
        assert payload["data"]["createApiToken"]["errors"][0]["code"] == "forbidden"
        listed = (await gql(client, LIST)).json()
        assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
