"""Reading the tenant's single sign-on configuration (owners only)."""

from __future__ import annotations

import strawberry

from pejling.core.auth.sso.configuration import current_configuration
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError
from pejling.graphql.permissions import require_tenant
from pejling.graphql.sso.types import SsoConfigurationType
from pejling.tenants.models import Role


@strawberry.type
class SsoQuery:
    @strawberry.field(description="This tenant's single sign-on configuration, or null when it has none. Owners only.")
    async def sso_configuration(self, info: Info) -> SsoConfigurationType | None:
        tenant, actor = require_tenant(info)
        if actor.role is not Role.OWNER:
            raise ApiError("Only an owner can see the single sign-on configuration.", "FORBIDDEN")
        configuration = await current_configuration()
        if configuration is None:
            return None
        return SsoConfigurationType.of(configuration, info.context.settings, tenant.slug)
