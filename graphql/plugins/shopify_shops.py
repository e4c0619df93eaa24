"""The Shopify shops a tenant has connected (owners and admins): whether each still holds an access token, never the
token itself. The same as ``GET /plugins/shopify/shops``, for the portal's Integrations page."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pejling.core.secrets_at_rest import fingerprint
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.plugins.shopify.models import ShopifyShop
from pejling.tenants.scope import tenant_scope


@strawberry.type(name="ShopifyShop", description="A Shopify shop that installed the app for this tenant.")
class ShopifyShopType:
    shop: str = strawberry.field(description="The shop's myshopify.com domain.")
    connected: bool = strawberry.field(description="Pejling holds an access token for the shop (false after "
                                       "the app was uninstalled).")
    token_fingerprint: str | None = strawberry.field(description="A short label of the sealed access token, "
                                                     "never the token. Null when not connected.")
    installed_at: datetime
    uninstalled_at: datetime | None

    @classmethod
    def of(cls, row: ShopifyShop) -> ShopifyShopType:
        """The API's view of a stored shop."""
        return cls(shop=row.shop, connected=row.sealed_token is not None,
                   token_fingerprint=fingerprint(row.sealed_token) if row.sealed_token else None,
                   installed_at=row.installed_at, uninstalled_at=row.uninstalled_at)


@strawberry.type
class ShopifyQuery:
    @strawberry.field(description="The Shopify shops connected to this tenant, by domain (owners and admins). "
                      "A shop is connected by installing the app from Shopify's side.")
    async def shopify_shops(self, info: Info) -> list[ShopifyShopType]:
        tenant, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins see the connected shops.", "FORBIDDEN")
        with tenant_scope(tenant.id):
            rows = await ShopifyShop.all().order_by("shop")
        return [ShopifyShopType.of(row) for row in rows]
