"""Cross-tenant probes for the plugin fields (``graphql/plugins/``), in the shape of ``test_tenant_isolation.py``:
A switches the sms channel on with a secret; whatever ``w.b`` reads or switches, A's choice and secret stay A's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pejling.core.secrets_at_rest import seal
from pejling.plugins.shopify.models import ShopifyShop
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import gql

Probe = Callable[[Any], Awaitable[None]]
SECRET = "a-secret-only-tenant-a-knows"
ENABLE = "mutation($c: JSON) { enablePlugin(name: \"sms\", config: $c) { plugin { enabled } errors { code } } }"


async def _a_uses_sms(w: Any) -> None:
    config = {"gateway_url": "https://sms.a.example/send", "secret": SECRET}
    done = await gql(w.client, ENABLE, {"c": config}, w.a.headers)
    assert done["data"]["enablePlugin"]["errors"] == [], done


async def _a_still_uses_sms(w: Any) -> None:
    with tenant_scope(w.a.tenant.id):
        row = await PluginSetting.get(plugin="sms")
    assert row.enabled and row.config["secret"] == SECRET and row.config["gateway_url"] == "https://sms.a.example/send"


async def _plugins(w: Any) -> None:
    await _a_uses_sms(w)
    seen = await w.as_b("{ plugins { name enabled config } }")
    assert SECRET not in str(seen) and "sms.a.example" not in str(seen), seen
    sms = next(p for p in seen["data"]["plugins"] if p["name"] == "sms")
    assert sms == {"name": "sms", "enabled": False, "config": None}


async def _enable_plugin(w: Any) -> None:
    await _a_uses_sms(w)
    mine = await w.as_b(ENABLE, c={"gateway_url": "https://sms.b.example/send", "secret": "b-own-secret-long-enough"})
    assert mine["data"]["enablePlugin"] == {"plugin": {"enabled": True}, "errors": []}, mine
    await _a_still_uses_sms(w)


async def _disable_plugin(w: Any) -> None:
    await _a_uses_sms(w)
    off = await w.as_b("mutation { disablePlugin(name: \"sms\") { plugin { enabled } errors { code } } }")
    assert off["data"]["disablePlugin"]["plugin"] == {"enabled": False}, off
    await _a_still_uses_sms(w)


async def _shopify_shops(w: Any) -> None:
    shop = f"only-a-{w.a.tenant.slug}.myshopify.com"
    with tenant_scope(w.a.tenant.id):
        if not await ShopifyShop.exists(shop=shop):
            await ShopifyShop.create(shop=shop, sealed_token=seal("shpat_a", purpose=f"shopify-access-token:a:{shop}"),
                                     installed_at=datetime.now(UTC))
    mine = await gql(w.client, "{ shopifyShops { shop connected } }", {}, w.a.headers)
    assert mine["data"]["shopifyShops"] == [{"shop": shop, "connected": True}], mine
    seen = await w.as_b("{ shopifyShops { shop connected tokenFingerprint } }")
    assert seen["data"]["shopifyShops"] == [], seen


PLUGIN_PROBES: dict[str, Probe] = {"plugins": _plugins, "enablePlugin": _enable_plugin,
                                   "disablePlugin": _disable_plugin, "shopifyShops": _shopify_shops}
