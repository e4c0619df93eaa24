"""A person sees their logged-in browsers and ends any of them; nobody else's, and not through an API token."""

from __future__ import annotations

from typing import Any

from auth_helpers import browser, gql, graphql_login, make_owner

from pejling.core.auth.api_tokens import create_api_token
from pejling.core.auth.models import Session
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

SESSIONS = "{ me { sessions { id current userAgent createdAt lastSeenAt expiresAt } } }"
END = "mutation($id: ID!) { endSession(id: $id) { ended errors { code field } } }"


async def test_a_person_lists_their_browsers_and_ends_one_or_their_own(app: Any) -> None:
    tenant, owner = await make_owner()
    _, stranger = await make_owner()
    async with browser(app) as laptop, browser(app) as phone, browser(app) as other:
        laptop_csrf = await graphql_login(laptop, owner.email)
        await graphql_login(phone, owner.email)
        other_csrf = await graphql_login(other, stranger.email)

        listed = (await gql(laptop, SESSIONS)).json()["data"]["me"]["sessions"]
        assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
        phone_id = next(s["id"] for s in listed if not s["current"])
        laptop_id = next(s["id"] for s in listed if s["current"])

        refused = (await gql(other, END, {"id": phone_id}, csrf=other_csrf)).json()["data"]["endSession"]
        assert refused == {"ended": False, "errors": [{"code": "not_found", "field": "id"}]}
        assert (await gql(phone, "{ me { email } }")).json()["data"]["me"] == {"email": owner.email}

        ended = (await gql(laptop, END, {"id": phone_id}, csrf=laptop_csrf)).json()["data"]["endSession"]
        assert ended == {"ended": True, "errors": []}
        assert (await gql(phone, "{ me { email } }")).json()["data"]["me"] is None, "that browser is logged out"
        assert await Session.filter(user_id=owner.id).count() == 1

        own = await gql(laptop, END, {"id": laptop_id}, csrf=laptop_csrf)
        assert own.json()["data"]["endSession"]["ended"] is True
        assert any("pejling_session=" in c and "max-age=0" in c.lower() for c in own.headers.get_list("set-cookie"))
        assert not await Session.filter(user_id=owner.id).exists()
        assert (await gql(other, "{ me { email } }")).json()["data"]["me"] == {"email": stranger.email}


async def test_an_api_token_neither_lists_nor_ends_browsers(app: Any) -> None:
    tenant, owner = await make_owner()
    with tenant_scope(tenant.id):
        _, token = await create_api_token(name="ci", scopes=["read", "write"], created_by=owner.id)
    headers = {"Authorization": f"Bearer {token}"}
    async with browser(app) as laptop, browser(app) as script:
        await graphql_login(laptop, owner.email)
        [session] = await Session.filter(user_id=owner.id)
        assert (await gql(script, SESSIONS, headers=headers)).json()["data"]["me"]["sessions"] == []
        refused = (await gql(script, END, {"id": encode_id("LoginSession", session.id)}, headers=headers)).json()
        assert refused["data"]["endSession"]["errors"] == [{"code": "forbidden", "field": None}]
        assert await Session.exists(id=session.id)
