"""A tenant's Vipps MobilePay settings: its webhook (path id and sealed secret) and its sales units' stores."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal

MSN = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")]
"""A Vipps merchant serial number: the sales unit a payment was made at."""
STORE_SLUG = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
_SEALED_PREFIX = "gAAAAA"
"""How every Fernet token starts (version byte and a timestamp in this century)."""


def secret_purpose(webhook_id: str) -> str:
    """What a webhook secret is sealed for: that one webhook (its path id is unique across tenants)."""
    return f"vipps.webhook_secret:{webhook_id}"


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

    @model_validator(mode="after")
    def _sealed_secret(self) -> VippsSettings:
        if self.webhook_secret is None:
            return self
        if self.webhook_id is None:
            raise ValueError("webhook_secret needs a webhook_id")
        purpose = secret_purpose(self.webhook_id)
        if self.webhook_secret.startswith(_SEALED_PREFIX):
            try:
                unseal(self.webhook_secret, purpose=purpose)
            except SealedSecretError:
                raise ValueError("webhook_secret was sealed for another webhook or with a retired key") from None
            return self
        self.webhook_secret = seal(self.webhook_secret, purpose=purpose)
        return self

    def secret(self) -> str | None:
        """The webhook secret, unsealed (never logged, never returned through the API)."""
        if self.webhook_secret is None or self.webhook_id is None:
            return None
        return unseal(self.webhook_secret, purpose=secret_purpose(self.webhook_id))
