"""Setting up and removing the tenant's single sign-on (owners only). Every refusal is a typed error."""

from __future__ import annotations

import strawberry

from pejling.core.auth.sso.configuration import SsoConfigRefused, configure_sso, disable_sso
from pejling.core.auth.sso.sso_settings import get_sso_settings
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, forbidden
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.sso.types import SsoConfigurationPayload, SsoConfigurationType
from pejling.graphql.tenants.types import Role
from pejling.tenants.models import Tenant


@strawberry.input(description="The tenant's OpenID Connect identity provider, as registered there.")
class ConfigureSsoInput:
    issuer: str = strawberry.field(description="The issuer URL (https); its .well-known/openid-configuration is read.")
    client_id: str
    client_secret: str | None = strawberry.field(
        default=None, description="Write-only. Required the first time; left out, the stored secret is kept.")
    allowed_email_domains: list[str] = strawberry.field(
        description="Only people whose verified email is in one of these domains may sign in.")
    default_role: Role = strawberry.field(default=Role.ANALYST, description="The role of a person who signs in "
                                          "for the first time: ADMIN or ANALYST.")
    sso_only: bool = strawberry.field(default=False, description="Refuse password logins of members other than "
                                      "owners (owners keep theirs as the way in if the identity provider fails).")


def _owner_guard(info: Info) -> tuple[Tenant | None, UserError | None]:
    tenant, error = mutation_guard(info)
    if error is None and info.context.actor.role is not Role.OWNER:
        return None, forbidden("Only an owner can change single sign-on.")
    return tenant, error


@strawberry.type
class SsoMutation:
    @strawberry.mutation(description="Set up (or change) single sign-on for this tenant. Owners only. The issuer is "
                         "checked by discovery before anything is stored.")
    async def configure_sso(self, info: Info, input: ConfigureSsoInput) -> SsoConfigurationPayload:
        tenant, error = _owner_guard(info)
        if error or tenant is None:
            return SsoConfigurationPayload(errors=[error] if error else [])
        try:
            configuration = await configure_sso(
                info.context.settings, get_sso_settings(), issuer=input.issuer, client_id=input.client_id,
                client_secret=input.client_secret, allowed_domains=input.allowed_email_domains,
                default_role=input.default_role, sso_only=input.sso_only,
            )
        except SsoConfigRefused as exc:
            return SsoConfigurationPayload(errors=[UserError(code=exc.code, message=exc.message, field=exc.field)])
        return SsoConfigurationPayload(
            sso_configuration=SsoConfigurationType.of(configuration, info.context.settings, tenant.slug))

    @strawberry.mutation(description="Remove this tenant's single sign-on and its stored secret; password logins "
                         "work again. Owners only.")
    async def disable_sso(self, info: Info) -> SsoConfigurationPayload:
        tenant, error = _owner_guard(info)
        if error or tenant is None:
            return SsoConfigurationPayload(errors=[error] if error else [])
        if not await disable_sso():
            return SsoConfigurationPayload(errors=[UserError(code="not_found", message="Single sign-on is not set "
                                                             "up for this tenant.")])
        return SsoConfigurationPayload()
