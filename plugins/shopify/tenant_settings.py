"""What a retailer configures for Shopify: which Pejling store a till or the online store is, when to invite, why.

Every field has a default, so the built-in plugin is enabled for every tenant without configuration; nothing is sent
until a shop is installed and its locations are mapped to stores.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

_STORE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LOCATION_ID = re.compile(r"^[0-9]{1,20}$")


class ShopifySettings(BaseModel):
    """Per-tenant settings of the ``shopify`` plugin."""

    model_config = {"extra": "forbid"}

    locations: dict[str, str] = Field(
        default_factory=dict, max_length=500,
        description="Shopify POS location id → slug of the Pejling store where that till stands.",
    )
    online_store: str | None = Field(
        None, description="Slug of the Pejling store that online orders (no POS location) are counted for.",
    )
    invitation_delay_minutes: int = Field(
        24 * 60, ge=0, le=60 * 24 * 30, description="How long after the paid order the invitation is sent.",
    )
    legitimate_interest: bool = Field(
        False,
        description="The retailer has assessed a legitimate interest in asking its customers for feedback: invite "
        "customers who did not accept marketing too.",
    )
    reward_percent: int | None = Field(
        None, ge=1, le=100,
        description="When set, a completed response through a Shopify invitation earns a one-time discount code "
        "of this many percent.",
    )
    reward_valid_days: int = Field(30, ge=1, le=365, description="How long a reward code can be used.")

    @field_validator("locations")
    @classmethod
    def _locations(cls, value: dict[str, str]) -> dict[str, str]:
        for location, store in value.items():
            if not _LOCATION_ID.match(location):
                raise ValueError(f"{location!r} is not a Shopify location id (digits)")
            if not _STORE_SLUG.match(store):
                raise ValueError(f"{store!r} is not a store slug")
        return value

    @field_validator("online_store")
    @classmethod
    def _online_store(cls, value: str | None) -> str | None:
        if value is not None and not _STORE_SLUG.match(value):
            raise ValueError(f"{value!r} is not a store slug")
        return value

    def store_for(self, location_id: object) -> str | None:
        """The slug of the store an order belongs to: its POS location's, or the online store's when it has none."""
        if location_id is None:
            return self.online_store
        return self.locations.get(str(location_id))
