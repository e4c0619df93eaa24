"""The Shopify app's own credentials and addresses: process settings (``PEJLING_SHOPIFY_…``), never per tenant.

One Pejling deployment is one Shopify app: its client id and secret come from the app's page in the Shopify Partner
dashboard. ``api_base`` is where a shop's endpoints live (``https://{shop}``); tests point it at a local server.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from pejling.core.settings import SettingsWithSecretFiles


class ShopifyAppSettings(SettingsWithSecretFiles):
    """The Shopify app of this deployment."""

    model_config = SettingsConfigDict(env_prefix="PEJLING_SHOPIFY_", extra="ignore")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    api_base: str = "https://{shop}"
    """The base URL of a shop's endpoints; ``{shop}`` is replaced by the shop's ``….myshopify.com`` domain."""
    api_version: str = "2025-01"
    scopes: str = "read_orders,read_customers,write_discounts"
    install_max_age_seconds: int = 3600
    """How old the ``timestamp`` of an install request may be."""

    @property
    def configured(self) -> bool:
        """Whether the app's credentials are set (without them nothing Shopify is served)."""
        return bool(self.client_id and self.client_secret.get_secret_value())

    def shop_url(self, shop: str, path: str) -> str:
        """The URL of ``path`` (starting with ``/``) at ``shop``."""
        return self.api_base.replace("{shop}", shop).rstrip("/") + path


_override: ShopifyAppSettings | None = None


@lru_cache(maxsize=1)
def _from_environment() -> ShopifyAppSettings:
    return ShopifyAppSettings()


def app_settings() -> ShopifyAppSettings:
    """The Shopify app settings of this process (from the environment, unless :func:`use_app_settings` set some)."""
    return _override if _override is not None else _from_environment()


def use_app_settings(settings: ShopifyAppSettings | None) -> None:
    """Use ``settings`` instead of the environment's (``None``: back to the environment). For tests and embedding."""
    global _override
    _override = settings
