"""The schema walked as every kind of caller: nobody but A's members reads A's data, nobody else changes it.

Every root field and every node type gets a request generated from the schema (``caller_walk.py``), sent as:
anonymous, anonymous naming A in ``X-Pejling-Tenant``, another tenant's session and token (with and without
A's header), A's read-only token and A's store manager. A's owner runs the same walk first and must read
every marker: the walk reaches the data it guards, so an empty answer cannot pass for a safe one.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pejling.graphql.schema import build_schema
from tests.graphql.caller_walk import (
    PUBLIC,
    WRITES_BY_DESIGN,
    Caller,
    Request,
    Seeded,
    fingerprint,
    fresh_client,
    node_requests,
    root_requests,
    seed_tenant_a,
    session_caller,
)
from tests.support.tenancy import PASSWORD, make_tenant

REFUSAL_CODES = {"UNAUTHENTICATED", "unauthenticated", "FORBIDDEN", "forbidden", "not_found", "TENANT_REQUIRED",
                 "tenant_required"}


@pytest.fixture(scope="module")
def schema() -> Any:
    return build_schema()._schema


@pytest.fixture
async def seeded() -> Seeded:
    return await seed_tenant_a()


def _leaks(text: str, markers: set[str]) -> set[str]:
    return {m for m in markers if m in text}


def _refused(body: dict[str, Any], request: Request) -> bool:
    """The field answered nothing of A's: an auth error, an error payload, or nothing at all."""
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    if codes & REFUSAL_CODES:
        return True
    value = (body.get("data") or {}).get(request.field)
    if value is None or value == []:
        return True
    if isinstance(value, dict) and value.get("errors"):
        return bool({e.get("code") for e in value["errors"]} & REFUSAL_CODES)
    return isinstance(value, dict) and value.get("edges") == []


async def test_the_owner_reads_every_marker(app: Any, schema: Any, seeded: Seeded) -> None:
    """The positive control: the generated queries reach all of A's guarded data."""
    async with fresh_client(app) as client:
        owner = Caller("owner", client, seeded.a.headers)
        seen = ""
        for request in [*root_requests(schema, seeded), *node_requests(schema, seeded)]:
            if request.operation == "query":
                response = await owner.send(request)
                assert response.status_code == 200, (request.field, response.text)
                seen += response.text
    assert _leaks(seen, seeded.markers) == seeded.markers


async def test_anonymous_callers_get_nothing_and_the_tenant_header_changes_nothing(
    app: Any, schema: Any, seeded: Seeded
) -> None:
    async with fresh_client(app) as bare, fresh_client(app) as naming:
        anonymous = Caller("anonymous", bare, {})
        with_header = Caller("anonymous naming A", naming, {"X-Pejling-Tenant": seeded.a.tenant.slug})
        for request in [*root_requests(schema, seeded), *node_requests(schema, seeded)]:
            before = await fingerprint(seeded.a.tenant.id)
            plain = await anonymous.send(request)
            named = await with_header.send(request)
            for caller, response in ((anonymous, plain), (with_header, named)):
                assert response.status_code < 500, (caller.name, request.field, response.text)
                assert not _leaks(response.text, seeded.markers), (caller.name, request.field, response.text)
                if request.field not in PUBLIC:
                    assert _refused(response.json(), request), (caller.name, request.field, response.text)
            if request.field not in PUBLIC:
                assert (named.status_code, named.json()) == (plain.status_code, plain.json()), request.field
            if request.field not in WRITES_BY_DESIGN:
                assert await fingerprint(seeded.a.tenant.id) == before, request.field


async def test_another_tenant_reads_and_changes_nothing_of_a(app: Any, schema: Any, seeded: Seeded) -> None:
    b = await make_tenant(stores=1)
    async with fresh_client(app) as token_client, fresh_client(app) as hijack_client:
        callers = [
            Caller("B's token", token_client, b.headers),
            await session_caller(app, "B's session", b.owner.email, PASSWORD, {}),
        ]
        hijackers = [
            Caller("B's token naming A", hijack_client, {**b.headers, "X-Pejling-Tenant": seeded.a.tenant.slug}),
            await session_caller(app, "B's session naming A", b.owner.email, PASSWORD,
                                 {"X-Pejling-Tenant": seeded.a.tenant.slug}),
        ]
        for request in [*root_requests(schema, seeded), *node_requests(schema, seeded)]:
            if request.field in {"logout", "changePassword"}:
                continue  # would end or change B's own session mid-walk; they touch only the caller's account
            for caller in callers:
                before = await fingerprint(seeded.a.tenant.id)
                response = await caller.send(request)
                assert response.status_code < 500, (caller.name, request.field, response.text)
                assert not _leaks(response.text, seeded.markers), (caller.name, request.field, response.text)
                if request.field == "node":
                    assert response.json()["data"]["node"] is None, (caller.name, response.text)
                if request.field not in WRITES_BY_DESIGN:
                    assert await fingerprint(seeded.a.tenant.id) == before, (caller.name, request.field)
            for caller in hijackers:
                response = await caller.send(request)
                assert response.status_code == 404, (caller.name, request.field, response.text)
                assert response.json()["error"] == "tenant_not_found"
        for caller in hijackers + callers:
            await caller.client.aclose()


async def test_a_read_only_token_changes_nothing(app: Any, schema: Any, seeded: Seeded) -> None:
    async with fresh_client(app) as client:
        reader = Caller("A's read-only token", client, {"Authorization": f"Bearer {seeded.read_only_token}"})
        for request in root_requests(schema, seeded):
            if request.operation != "mutation" or request.field in WRITES_BY_DESIGN:
                continue
            before = await fingerprint(seeded.a.tenant.id)
            response = await reader.send(request)
            assert response.status_code < 500, (request.field, response.text)
            assert await fingerprint(seeded.a.tenant.id) == before, (request.field, response.text)
            if request.field not in PUBLIC:
                assert _refused(response.json(), request), (request.field, response.text)


async def test_a_store_manager_reads_nothing_of_other_stores(app: Any, schema: Any, seeded: Seeded) -> None:
    async with fresh_client(app) as client:
        manager = Caller("A's store manager", client, {"Authorization": f"Bearer {seeded.manager_token}"})
        for request in [*root_requests(schema, seeded), *node_requests(schema, seeded)]:
            hidden_target = bool(request.targets & {"Store", "Zone", "FollowUp", "Response"})
            before = await fingerprint(seeded.a.tenant.id)
            response = await manager.send(request)
            assert response.status_code < 500, (request.field, response.text)
            assert not _leaks(response.text, seeded.hidden), (request.field, json.dumps(response.json())[:2000])
            if request.operation == "mutation" and hidden_target and request.field not in WRITES_BY_DESIGN:
                assert await fingerprint(seeded.a.tenant.id) == before, (request.field, response.text)


#: What only owners and admins may change: the tenant, its members, invitations and API tokens.
ADMIN_ONLY = frozenset({"Tenant", "Membership", "Invitation", "ApiToken"})


async def test_an_analyst_changes_nothing_that_only_admins_may(app: Any, schema: Any, seeded: Seeded) -> None:
    async with fresh_client(app) as client:
        analyst = Caller("A's analyst", client, {"Authorization": f"Bearer {seeded.analyst_token}"})
        for request in [*root_requests(schema, seeded), *node_requests(schema, seeded)]:
            before = await fingerprint(seeded.a.tenant.id, ADMIN_ONLY)
            response = await analyst.send(request)
            assert response.status_code < 500, (request.field, response.text)
            if request.operation == "mutation":
                assert await fingerprint(seeded.a.tenant.id, ADMIN_ONLY) == before, (request.field, response.text)


async def test_every_root_field_and_node_type_is_generated(schema: Any, seeded: Seeded) -> None:
    """The generator fills every root field (else it raises ``Unfillable`` naming what to add)."""
    fields = {r.field for r in root_requests(schema, seeded)} | {"node"}
    assert fields == set(schema.query_type.fields) | set(schema.mutation_type.fields)
    # A login session is no Node (only its owner sees it, through me.sessions): seeded for endSession only.
    assert {t for r in node_requests(schema, seeded) for t in r.targets} == set(seeded.ids) - {"LoginSession"}


async def _close(*clients: httpx.AsyncClient) -> None:
    for client in clients:
        await client.aclose()
