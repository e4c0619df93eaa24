"""Done-when: on the demo data, each store's insight puts first the goal whose planted truth promises most.

The truth's priority of a store is the goal with the largest true uplift: its true weight times the gap from its true
level to the chain's top-quartile true level (what "where to optimise" estimates). In the demo it is also the
store's most important and weakest goal: ease (Copenhagen), recognition (Oslo), discovery (Stockholm).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
from helpers import INSIGHTS, gql, token_for
from simulate import PASSWORD

from pejling.core.settings import Settings
from pejling.core.surveys.demo import DEMO_TRUTH, seed_demo_survey
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.demo import STORES, ZONES
from pejling.tenants.models import Store, Zone
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner


async def test_demo_store_insight_puts_the_true_priority_first(database: Settings, client: httpx.AsyncClient) -> None:
    slug = f"demo-{secrets.token_hex(4)}"
    tenant, owner = await create_tenant_with_owner(
        tenant_name="Demo copy", tenant_slug=slug, email=f"{slug}@example.com", password=PASSWORD, language="da"
    )
    with tenant_scope(tenant.id):
        for name, store_slug, address, tz, language in STORES:
            store = await Store.create(name=name, slug=store_slug, address=address, timezone=tz,
                                       default_language=language)
            for zone_name, kind in ZONES:
                await Zone.create(store=store, name=zone_name, kind=kind)
        now = datetime.now(UTC)
        assert await seed_demo_survey(tenant, now=now) > 0
        stores = {s.slug: s for s in await Store.all()}
    token = await token_for(tenant.id, owner.id)
    period = {"from": (now - timedelta(days=92)).date().isoformat(), "to": (now + timedelta(days=1)).date().isoformat()}
    expected = {"copenhagen": "ease", "oslo": "recognition", "stockholm": "discovery"}
    for store_slug, truth in DEMO_TRUTH.items():
        most_important = max(truth, key=lambda g: truth[g].weight)
        weakest = min(truth, key=lambda g: truth[g].level)
        assert most_important == weakest == expected[store_slug] == _true_priority(store_slug)
        body = await gql(client, token, INSIGHTS, period=period,
                         scope={"kind": "STORE", "ids": [encode_id("Store", stores[store_slug].id)]})
        assert "errors" not in body, body
        first = body["data"]["insights"]["optimise"][0]
        assert first["goal"] == most_important, (store_slug, body["data"]["insights"]["optimise"])
        assert first["rank"] == 1 and first["levers"]
        listed = body["data"]["insights"]["optimise"]
        assert all(item["performance"] < item["target"] for item in listed)  # at or above target: a strength
        promised = [item["uplift"]["value"] for item in listed]
        assert promised == sorted(promised, reverse=True)
        uplift = first["uplift"]
        assert uplift["value"] > 0 and uplift["low"] is not None and uplift["high"] is not None
        nps = body["data"]["insights"]["nps"]
        assert nps["low"] <= nps["value"] <= nps["high"]


def _true_priority(store_slug: str) -> str:
    """The goal with the largest true uplift in a store: weight x gap to the top-quartile true level of the chain."""
    truth = DEMO_TRUTH[store_slug]
    targets = {g: float(np.quantile([DEMO_TRUTH[s][g].level for s in DEMO_TRUTH], 0.75)) for g in truth}
    return max(truth, key=lambda g: truth[g].weight * max(0.0, targets[g] - truth[g].level))
