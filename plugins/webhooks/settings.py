"""Process-wide settings of outbound webhooks (environment variables ``PEJLING_WEBHOOKS_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pejling.core.settings import SettingsWithSecretFiles


class WebhookSettings(SettingsWithSecretFiles):
    """How deliveries are sent and retried, and which addresses they may reach."""

    model_config = SettingsConfigDict(env_prefix="PEJLING_WEBHOOKS_", extra="ignore")

    allow_private: bool = False
    """Let endpoints point at private, loopback and other internal addresses, and at plain http. Tests only."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    """How long one attempt may take: connecting, sending and reading the answer."""
    max_attempts: int = Field(default=10, ge=1, le=30)
    """Attempts per delivery before it is given up as failed."""
    retry_base_seconds: float = Field(default=30.0, gt=0)
    """Wait after the first failed attempt; doubles with each further one (±10 %)."""
    retry_cap_seconds: float = Field(default=3600.0, gt=0)
    """The longest wait between two attempts."""
    ca_file: str | None = None
    """A PEM bundle of certificate authorities to trust instead of the system's (a private CA; the tests')."""


def webhook_settings() -> WebhookSettings:
    """The current settings, read from the environment each time (cheap, and tests may change it)."""
    return WebhookSettings()
