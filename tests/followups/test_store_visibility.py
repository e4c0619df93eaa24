"""A store manager sees only their stores, whichever object leads to a store, a zone or a response."""

from __future__ import annotations

import httpx

from pejling.core.auth.actor import Actor
from pejling.core.followups.models import AlertRule, FollowUp, RuleKind
from pejling.graphql.relay_ids import encode_id
from pejling.graphql.tenants.types import VisibleStores
from pejling.tenants.models import Role, Store, Zone, stores_visible_to, zones_visible_to
from pejling.tenants.scope import tenant_scope

from .conftest import Chain, _person, gql

RULES = "{ alertRules { id name watchesAllStores stores { id name address zones { name } } } }"
FOLLOW_UP = """query($id: ID!) { followUp(id: $id) {
  store { name } rule { name watchesAllStores stores { name address zones { name } } }
  assignee { email stores { name address } } } }"""


async def _rules(chain: Chain) -> dict[str, AlertRule]:
    both = [str(chain.store.id), str(chain.other_store.id)]
    with tenant_scope(chain.tenant.id):
        return {
            "both": await AlertRule.create(name="Both stores", kind=RuleKind.OUTCOME_AT_MOST, threshold=3,
                                           store_ids=both),
            "other": await AlertRule.create(name="Harbour only", kind=RuleKind.OUTCOME_AT_MOST, threshold=3,
                                            store_ids=[str(chain.other_store.id)]),
            "all": await AlertRule.create(name="Every store", kind=RuleKind.OUTCOME_AT_MOST, threshold=3),
        }


async def test_rule_stores_show_a_store_manager_only_their_stores(api: httpx.AsyncClient, chain: Chain) -> None:
    rules = await _rules(chain)
    with tenant_scope(chain.tenant.id):
        await Zone.create(store=chain.other_store, name="Harbour till", kind="checkout")
        await Store.filter(id=chain.other_store.id).update(address="Secret quay 1")
    seen = (await gql(api, chain.manager, RULES))["data"]["alertRules"]
    assert {r["name"]: r["watchesAllStores"] for r in seen} == {"Both stores": False, "Every store": True}
    both = next(r for r in seen if r["name"] == "Both stores")
    assert both["stores"] == [{"id": encode_id("Store", chain.store.id), "name": "Main street", "address": "",
                               "zones": [{"name": "Checkout"}]}]
    hidden = await gql(api, chain.manager, "query($id: ID!) { node(id: $id) { id } }",
                       id=encode_id("AlertRule", rules["other"].id))
    assert hidden["data"]["node"] is None
    # Owners and analysts see every store of every rule.
    for person in (chain.owner, chain.analyst):
        everything = (await gql(api, person, RULES))["data"]["alertRules"]
        names = {r["name"]: sorted(s["name"] for s in r["stores"]) for r in everything}
        assert names == {"Both stores": ["Harbour", "Main street"], "Harbour only": ["Harbour"], "Every store": []}


async def test_a_follow_up_shows_its_rule_and_assignee_within_the_managers_stores(api: httpx.AsyncClient,
                                                                                  chain: Chain) -> None:
    rules = await _rules(chain)
    regional = await _person(chain.tenant, Role.STORE_MANAGER, [str(chain.store.id), str(chain.other_store.id)])
    with tenant_scope(chain.tenant.id):
        await Store.filter(id=chain.other_store.id).update(address="Secret quay 1")
        follow_up = await FollowUp.create(rule=rules["both"], store=chain.store, reason="outcome 1",
                                          dedupe_key=f"{rules['both'].id}:store:{chain.store.id}",
                                          assignee_id=regional.user.id)
    body = await gql(api, chain.manager, FOLLOW_UP, id=encode_id("FollowUp", follow_up.id))
    assert "errors" not in body, body
    seen = body["data"]["followUp"]
    assert seen["store"] == {"name": "Main street"}
    assert seen["rule"] == {"name": "Both stores", "watchesAllStores": False,
                            "stores": [{"name": "Main street", "address": "", "zones": [{"name": "Checkout"}]}]}
    assert seen["assignee"] == {"email": regional.user.email, "stores": [{"name": "Main street", "address": ""}]}
    owner_view = (await gql(api, chain.owner, FOLLOW_UP, id=encode_id("FollowUp", follow_up.id)))["data"]["followUp"]
    assert sorted(s["name"] for s in owner_view["assignee"]["stores"]) == ["Harbour", "Main street"]


async def test_the_loaders_never_return_another_stores_rows(chain: Chain) -> None:
    mine = frozenset({chain.store.id})
    with tenant_scope(chain.tenant.id):
        harbour_zone = await Zone.create(store=chain.other_store, name="Harbour till", kind="checkout")
        assert [s.id for s in await stores_visible_to(mine)] == [chain.store.id]
        assert {z.id for z in await zones_visible_to(mine)} == {chain.zone.id}
        assert await stores_visible_to(frozenset()).count() == 0
        assert await stores_visible_to(None).count() == 2
        loaders = VisibleStores(Actor(store_ids=mine).store_ids)
        assert await loaders.store.load(chain.other_store.id) is None
        assert await loaders.zone.load(harbour_zone.id) is None
        assert await loaders.zones_by_store.load(chain.other_store.id) == []
        assert (await loaders.store.load(chain.store.id)) is not None
        everything = VisibleStores(None)
        assert (await everything.zone.load(harbour_zone.id)) is not None
