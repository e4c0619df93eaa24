"""A tenant's Vipps MobilePay settings: its webhook (path id and sealed secret) and its sales units' stores."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, HttpUrl, StringConstraints, model_validator

from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal

MSN = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")]
"""A Vipps merchant serial number: the sales unit a payment was made at."""
STORE_SLUG = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
_SEALED_PREFIX = "gAAAAA"
"""How every Fernet token starts (version byte and a timestamp in this century)."""


def secret_purpose(webhook_id: str) -> str:
    """What a webhook secret is sealed for: that one webhook (its path id is unique across tenants)."""
    return f"vipps.webhook_secret:{webhook_id}"


def login_secret_purpose(client_id: str) -> str:
    """What a Vipps Login client secret is sealed for: that client."""
    return f"vipps.login_client_secret:{client_id}"


def api_secret_purpose(client_id: str, field: str) -> str:
    """What a Vipps API key (``api_client_secret``, ``api_subscription_key``) is sealed for: that client, that field."""
    return f"vipps.{field}:{client_id}"


def registration_secret_purpose(vipps_id: str) -> str:
    """What the secret of a webhook Pejling registered is sealed for: that webhook at Vipps."""
    return f"vipps.registered_webhook_secret:{vipps_id}"


def _sealed(value: str, purpose: str, field: str) -> str:
    """``value`` sealed for ``purpose``; a value sealed before is kept when it opens for that purpose."""
    if value.startswith(_SEALED_PREFIX):
        try:
            unseal(value, purpose=purpose)
        except SealedSecretError:
            raise ValueError(f"{field} was sealed for another webhook or client, or with a retired key") from None
        return value
    return seal(value, purpose=purpose)


class VippsSettings(BaseModel):
    """Per-tenant settings of the ``vipps`` plugin.

    ``webhook_secret`` is the secret Vipps returned when the retailer registered the webhook themselves. With the API
    keys (``api_client_id``, ``api_client_secret``, ``api_subscription_key``) Pejling registers it for each sales unit
    instead (:mod:`.registration`) and keeps the secrets Vipps returns in its own table. Every secret is sealed when
    the settings are validated (:mod:`pejling.core.secrets_at_rest`), so only sealed values are stored; the API
    treats them as write-only.
    """

    model_config = {"extra": "forbid"}

    webhook_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description="The tenant's webhook path: Vipps posts to /webhooks/vipps/<webhook_id>.")
    webhook_secret: str | None = Field(None, min_length=16, max_length=1000)
    sales_units: dict[MSN, STORE_SLUG] = Field(
        default_factory=dict, max_length=500, description="Vipps sales unit (MSN) → the slug of the store it is in.")

    api_client_id: str | None = Field(
        None, min_length=1, max_length=200,
        description="The client_id of the sales units' API keys: with them Pejling registers its webhook itself.")
    api_client_secret: str | None = Field(None, min_length=8, max_length=1000)
    api_subscription_key: str | None = Field(None, min_length=8, max_length=1000,
                                             json_schema_extra={"writeOnly": True})
    api_test: bool = Field(False, description="Use the Vipps MobilePay test environment (apitest.vipps.no).")

    login_issuer: HttpUrl | None = Field(
        None, description="Vipps Login (OpenID Connect) issuer, e.g. https://api.vipps.no/access-management-1.0/access/")
    login_client_id: str | None = Field(None, min_length=1, max_length=200)
    login_client_secret: str | None = Field(None, min_length=8, max_length=1000)

    @model_validator(mode="after")
    def _sealed_secrets(self) -> VippsSettings:
        if self.webhook_secret is not None:
            if self.webhook_id is None:
                raise ValueError("webhook_secret needs a webhook_id")
            self.webhook_secret = _sealed(self.webhook_secret, secret_purpose(self.webhook_id), "webhook_secret")
        api = (self.api_client_id, self.api_client_secret, self.api_subscription_key)
        if any(value is not None for value in api) and None in api:
            raise ValueError("api_client_id, api_client_secret and api_subscription_key go together")
        if self.api_client_id is not None:
            for field in ("api_client_secret", "api_subscription_key"):
                purpose = api_secret_purpose(self.api_client_id, field)
                setattr(self, field, _sealed(getattr(self, field), purpose, field))
        if self.login_client_secret is not None:
            if self.login_client_id is None or self.login_issuer is None:
                raise ValueError("login_client_secret needs login_client_id and login_issuer")
            self.login_client_secret = _sealed(
                self.login_client_secret, login_secret_purpose(self.login_client_id), "login_client_secret")
        return self

    @property
    def api_configured(self) -> bool:
        """Whether Pejling holds the API keys to register the tenant's webhook with Vipps itself."""
        return self.api_client_id is not None

    def api_keys(self) -> tuple[str, str, str]:
        """``client_id``, ``client_secret`` and the subscription key, unsealed (never logged, never returned)."""
        assert self.api_client_id is not None and self.api_client_secret and self.api_subscription_key
        return (self.api_client_id,
                unseal(self.api_client_secret, purpose=api_secret_purpose(self.api_client_id, "api_client_secret")),
                unseal(self.api_subscription_key,
                       purpose=api_secret_purpose(self.api_client_id, "api_subscription_key")))

    @property
    def login_configured(self) -> bool:
        """Whether Vipps Login is set up for this tenant."""
        return None not in (self.login_issuer, self.login_client_id, self.login_client_secret)

    def login_secret(self) -> str:
        """The Vipps Login client secret, unsealed."""
        assert self.login_client_secret is not None and self.login_client_id is not None
        return unseal(self.login_client_secret, purpose=login_secret_purpose(self.login_client_id))

    def secret(self) -> str | None:
        """The webhook secret, unsealed (never logged, never returned through the API)."""
        if self.webhook_secret is None or self.webhook_id is None:
            return None
        return unseal(self.webhook_secret, purpose=secret_purpose(self.webhook_id))
