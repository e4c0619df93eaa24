"""Process settings of billing: the Stripe keys and where Stripe is (``PEJLING_STRIPE_*``).

Read on every use (a fraction of a millisecond: the ingest's events read them once per batch, not per response), so a
process started without keys runs on the Pilot plan with billing "not configured".
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pejling.core.outbound_http import outbound_client
from pejling.core.settings import SettingsWithSecretFiles

if TYPE_CHECKING:
    import stripe


class StripeSettings(SettingsWithSecretFiles):
    """``PEJLING_STRIPE_SECRET_KEY``, ``PEJLING_STRIPE_WEBHOOK_SECRET``, ``PEJLING_STRIPE_API_BASE`` and the grace."""

    model_config = SettingsConfigDict(env_prefix="PEJLING_STRIPE_", extra="ignore")

    secret_key: SecretStr = SecretStr("")
    webhook_secret: SecretStr = SecretStr("")
    api_base: str = "https://api.stripe.com"
    #: Days a past-due subscription keeps the portal writable (Stripe retries the payment meanwhile).
    grace_days: int = 7

    @property
    def configured(self) -> bool:
        """True when billing can talk to Stripe: both the secret key and the webhook secret are set."""
        return bool(self.secret_key.get_secret_value() and self.webhook_secret.get_secret_value())


def stripe_settings() -> StripeSettings:
    """The billing settings from the environment, now."""
    return StripeSettings()


def stripe_client(settings: StripeSettings | None = None) -> stripe.StripeClient:
    """A Stripe client (async-capable, over httpx) for these settings; raises ``RuntimeError`` without a key."""
    import stripe  # imported on first use: it is large, and a process without billing work never needs it

    settings = settings or stripe_settings()
    key = settings.secret_key.get_secret_value()
    if not key:
        raise RuntimeError("billing is not configured (PEJLING_STRIPE_SECRET_KEY)")
    return stripe.StripeClient(key, base_addresses={"api": settings.api_base.rstrip("/")},
                               http_client=stripe_http_client(), max_network_retries=2)


def stripe_http_client() -> stripe.HTTPXClient:
    """stripe's httpx client, its requests sent through the checked client (:mod:`pejling.core.outbound_http`): a
    host the operator does not allow (``PEJLING_OUTBOUND_ALLOWED_HOSTS``) is not called, and the call fails as Stripe
    being unreachable does (``APIConnectionError``)."""
    import stripe

    http = stripe.HTTPXClient()
    # stripe makes its own httpx.AsyncClient (not yet opened, so nothing to close) and offers no way to pass one.
    http._client_async = outbound_client(verify=ssl.create_default_context(cafile=stripe.ca_bundle_path))
    return http
