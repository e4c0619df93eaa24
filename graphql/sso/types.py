"""The GraphQL face of a tenant's single sign-on configuration. The client secret is write-only."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pejling.core.auth.sso.login import callback_url
from pejling.core.auth.sso.models import SsoConfiguration as SsoConfigurationModel
from pejling.core.settings import Settings
from pejling.graphql.errors import UserError
from pejling.graphql.tenants.types import Role


@strawberry.type(name="SsoConfiguration", description="How this tenant's staff sign in with the tenant's own OpenID "
                 "Connect identity provider. The client secret is never shown, only its fingerprint.")
class SsoConfigurationType:
    issuer: str
    client_id: str
    client_secret_fingerprint: str = strawberry.field(description="A short label of the stored client secret "
                                                      "(to tell which one it is), never the secret.")
    allowed_email_domains: list[str]
    default_role: Role = strawberry.field(description="The role of a person who signs in for the first time.")
    sso_only: bool = strawberry.field(description="Members other than owners cannot log in with a password.")
    login_url: str = strawberry.field(description="Where staff start signing in.")
    redirect_uri: str = strawberry.field(description="The redirect URI to register at the identity provider.")
    updated_at: datetime

    @classmethod
    def of(cls, configuration: SsoConfigurationModel, settings: Settings, tenant_slug: str) -> SsoConfigurationType:
        redirect_uri = callback_url(settings, tenant_slug)
        return cls(
            issuer=configuration.issuer, client_id=configuration.client_id,
            client_secret_fingerprint=configuration.client_secret_fingerprint,
            allowed_email_domains=list(configuration.allowed_domains), default_role=Role(configuration.default_role),
            sso_only=configuration.sso_only, login_url=redirect_uri.removesuffix("/callback") + "/start",
            redirect_uri=redirect_uri, updated_at=configuration.updated_at,
        )


@strawberry.type
class SsoConfigurationPayload:
    sso_configuration: SsoConfigurationType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
