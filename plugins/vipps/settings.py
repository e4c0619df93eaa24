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

    ``webhook_secret`` is the secret Vipps returned when the webhook was registered. It is sealed when the settings
    are validated (:mod:`pejling.core.secrets_at_rest`, bound to ``webhook_id``), so only the sealed value is stored;
    the API treats it as write-only.
    """

    model_config = {"extra": "forbid"}

    webhook_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{16,64}$",
        description="The tenant's webhook path: Vipps posts to /webhooks/vipps/<webhook_id>.")
    webhook_secret: str | None = Field(None, min_length=16, max_length=1000)
    sales_units: dict[MSN, STORE_SLUG] = Field(
        default_factory=dict, max_length=500, description="Vipps sales unit (MSN) → the slug of the store it is in.")

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
        if self.login_client_secret is not None:
            if self.login_client_id is None or self.login_issuer is None:
                raise ValueError("login_client_secret needs login_client_id and login_issuer")
            self.login_client_secret = _sealed(
                self.login_client_secret, login_secret_purpose(self.login_client_id), "login_client_secret")
        return self

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
