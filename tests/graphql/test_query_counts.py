"""The SQL statements of the main list operations do not grow with the rows listed (DataLoaders, no N+1).

Each test lists a few rows, adds more, lists again and compares the number of statements the whole request
sent (authentication and tenant included), counted by :mod:`tests.support.query_count`. The ceiling beside
each catches a request that got much dearer without growing.
"""

from __future__ import annotations

import asyncio
import difflib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from pejling.core.followups.models import AlertRule, FollowUp, FollowUpNote, RuleKind
from pejling.core.insights.rollups import recompute_rollups
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.survey import active_survey, available_statements
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import tenant_scope
from tests.support.query_count import QueryLog, counting_queries
from tests.support.tenancy import TenantFixture, make_tenant

#: Statements a list request may send at most, whatever it lists (one of them, for a list of shopper data, the
#: INSERT of its audit entry: tests/audit/test_cost.py).
CEILING = 17

Seed = Callable[[httpx.AsyncClient, TenantFixture, int], Awaitable[None]]


async def run(client: httpx.AsyncClient, a: TenantFixture, query: str, **variables: Any) -> tuple[dict[str, Any],
                                                                                                   QueryLog]:
    async with counting_queries() as sql:
        response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=a.headers)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"], sql


async def assert_flat(client: httpx.AsyncClient, query: str, seed: Seed, count: Callable[[dict[str, Any]], int],
                      *, extra: int = 0, warm_up: dict[str, Any] | None = None, **variables: Any) -> None:
    """List after seeding 2 rows and after seeding 8 more: as many statements both times, at most CEILING.

    ``extra``: rows listed that the seed did not make (make_tenant's own store). Before counting, the query
    runs once (what a tenant's first request makes: its survey, the plugin settings, the token's last use),
    with the variables ``warm_up`` where a cache keeps an answer until the data changes (insights), so both
    counted requests are cold."""
    a = await make_tenant(stores=1)
    await seed(client, a, 2)
    await run(client, a, query, **(variables if warm_up is None else warm_up))
    few, few_sql = await run(client, a, query, **variables)
    await seed(client, a, 8)
    many, many_sql = await run(client, a, query, **variables)
    assert (count(few), count(many)) == (2 + extra, 10 + extra)
    assert len(many_sql) == len(few_sql), "\n".join(difflib.unified_diff(few_sql.statements, many_sql.statements,
                                                                         "few", "many", lineterm=""))
    assert len(many_sql) <= CEILING, many_sql.statements


async def add_stores(_: httpx.AsyncClient, a: TenantFixture, n: int) -> None:
    with tenant_scope(a.tenant.id):
        for _ in range(n):
            store = await Store.create(name=f"S {uuid.uuid4().hex[:6]}", slug=f"s-{uuid.uuid4().hex[:8]}")
            await Zone.create(store=store, name="Entrance", kind="entrance")
            await Zone.create(store=store, name="Checkout", kind="checkout")



async def test_stores_with_their_zones(client: httpx.AsyncClient) -> None:
    query = "{ stores { edges { node { id name zones { id name kind store { id name } } } } } }"
    await assert_flat(client, query, add_stores, lambda d: len(d["stores"]["edges"]), extra=1)


def mutation_seed(mutation: str, field: str) -> Seed:
    async def seed(client: httpx.AsyncClient, a: TenantFixture, n: int) -> None:
        for number in range(n):
            variables = {"store": encode_id("Store", a.stores[0].id), "zone": encode_id("Zone", a.zones[0].id),
                         "label": f"Device {number}"}
            response = await client.post("/graphql", json={"query": mutation, "variables": variables},
                                         headers=a.headers)
            payload = response.json()["data"][field]
            assert payload["errors"] == [], payload
    return seed


async def test_survey_codes_nfc_tags_and_kiosks(client: httpx.AsyncClient) -> None:
    codes = mutation_seed("mutation($store: ID!, $zone: ID, $label: String) { createSurveyCode(storeId: $store, "
                          "zoneId: $zone, campaign: $label) { errors { message } } }", "createSurveyCode")
    await assert_flat(client, "{ surveyCodes { id code url storeId zoneId campaign scans svgUrl posterA4Url } }",
                      codes, lambda d: len(d["surveyCodes"]))
    tags = mutation_seed("mutation($store: ID!, $zone: ID, $label: String!) { registerNfcTag(storeId: $store, "
                         "zoneId: $zone, label: $label) { errors { message } } }", "registerNfcTag")
    await assert_flat(client, "{ nfcTags { id storeId zoneId label sun url ndefRecord lastSeenAt } }", tags,
                      lambda d: len(d["nfcTags"]))
    kiosks = mutation_seed("mutation($store: ID!, $zone: ID, $label: String!) { registerKiosk(storeId: $store, "
                           "zoneId: $zone, label: $label) { errors { message } } }", "registerKiosk")
    await assert_flat(client, "{ kiosks { id storeId zoneId label lastSeenAt retired } }", kiosks,
                      lambda d: len(d["kiosks"]))


async def _responses(a: TenantFixture, n: int, *, follow_up: bool) -> None:
    with tenant_scope(a.tenant.id):
        current = await active_survey()
        assert current is not None
        bank = await available_statements()
        statements = [bank[i] for i in current.version.statement_ids[:3]]
        rule = await AlertRule.create(name=f"rule {uuid.uuid4().hex[:6]}", kind=RuleKind.OUTCOME_AT_MOST,
                                      threshold=3, notify_roles=["store_manager"])
        now = datetime.now(UTC)
        for number in range(n):
            store = await Store.create(name=f"S {uuid.uuid4().hex[:6]}", slug=f"s-{uuid.uuid4().hex[:8]}")
            zone = await Zone.create(store=store, name="Checkout", kind="checkout")
            submitted = now - timedelta(minutes=number + 1)
            response = await Response.create(
                id=uuid.uuid4(), store=store, zone=zone, survey_version=current.version, channel="qr", language="en",
                started_at=submitted - timedelta(seconds=30), submitted_at=submitted, duration_ms=30_000, outcome=2,
                comment="slow checkout", consent_contact=True, contact_email="shopper@example.com",
                receipt_code=f"{uuid.uuid4().hex[:3].upper()}-{uuid.uuid4().hex[:3].upper()}",
            )
            for position, statement in enumerate(statements):
                await Answer.create(response=response, store_id=store.id, submitted_at=submitted,
                                    statement_id=statement.id, goal=statement.goal, polarity=statement.polarity,
                                    value=2 + position, position=position, reaction_ms=900)
            if follow_up:
                item = await FollowUp.create(rule=rule, response=response, store=store, reason="outcome 2",
                                             dedupe_key=f"{rule.id}:response:{response.id}", assignee=a.owner)
                await FollowUpNote.create(follow_up=item, author=a.owner, text="Called the store.")


async def add_follow_ups(_: httpx.AsyncClient, a: TenantFixture, n: int) -> None:
    await _responses(a, n, follow_up=True)


async def add_responses(_: httpx.AsyncClient, a: TenantFixture, n: int) -> None:
    await _responses(a, n, follow_up=False)


async def test_follow_ups_with_their_response_store_rule_assignee_and_notes(client: httpx.AsyncClient) -> None:
    query = """{ followUps(first: 20) { edges { node { id status title store { name zones { name } }
      rule { id kind } response { id outcome comment store { name } zone { name } answers { goal value } }
      assignee { id email } notes { text authorName } replies { text } } } } }"""
    await assert_flat(client, query, add_follow_ups, lambda d: len(d["followUps"]["edges"]))


async def test_responses_with_their_answers_store_and_zone(client: httpx.AsyncClient) -> None:
    query = """{ responses(first: 20) { edges { node { id outcome comment contactEmail store { name }
      zone { name store { name } } answers { statementId goal value reactionMs } } } } }"""
    await assert_flat(client, query, add_responses, lambda d: len(d["responses"]["edges"]))


async def add_rolled_up_responses(_: httpx.AsyncClient, a: TenantFixture, n: int) -> None:
    await _responses(a, n, follow_up=False)
    await recompute_rollups(a.tenant.id)


async def test_the_insights_query_of_the_chain(client: httpx.AsyncClient) -> None:
    today = date.today()
    query = """query($scope: InsightScopeInput!, $period: PeriodInput!) { insights(scope: $scope, period: $period) {
      n profile { n items { goal fulfilment { value n } } } nps { value n } trends { daily { start n } }
      stores { key name n nps { value } } zones { key name n } channels { key n } } }"""
    chain = {"kind": "CHAIN"}
    week = {"from": str(today - timedelta(days=7)), "to": str(today + timedelta(days=1))}
    await assert_flat(client, query, add_rolled_up_responses, lambda d: int(d["insights"]["n"]), scope=chain,
                      period=week, warm_up={"scope": chain, "period": {**week, "from": str(today - timedelta(days=8))}})


async def test_the_counter_counts_this_task_and_its_children_only(client: httpx.AsyncClient) -> None:
    a = await make_tenant(stores=1)
    started = asyncio.Event()
    stop = asyncio.Event()

    async def elsewhere() -> None:  # another request's work, running at the same time
        started.set()
        while not stop.is_set():
            with tenant_scope(a.tenant.id):
                await Store.all().count()
            await asyncio.sleep(0)

    other = asyncio.create_task(elsewhere())
    await started.wait()
    try:
        async with counting_queries() as sql:
            with tenant_scope(a.tenant.id):
                await Store.all().count()
                await asyncio.gather(Zone.all().count(), Zone.filter(kind="checkout").count())
    finally:
        stop.set()
        await other
    assert len(sql) == 3, sql.statements
    assert len(sql.matching('FROM "zone"')) == 2
