"""The channel registry: which channels the loaded plugins bring, and which of them a tenant may use.

Channels are plugins (``register_channels``), the built-in ones included. The page, the ingest, invitations and the
response filters read the channels here, never a list of their own. A channel is usable by a tenant when the plugin
that brings it is enabled for the tenant (built-in plugins are, until the tenant disables them); its configuration
is that plugin's tenant settings. Without loaded plugins (``plugins=None``) no channel is known.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID
from weakref import WeakKeyDictionary

from pydantic import BaseModel

from pejling.core.contracts import Channel, ChannelRefused, ChannelVisit, InvitationTarget

if TYPE_CHECKING:
    from pejling.core.plugin_manager import Plugins

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "qr"
"""The channel of a submission or a page that names none (a printed store link is a QR code's)."""
MAX_PARAMS = 8
MAX_PARAM_CHARS = 200
MAX_DETAILS_BYTES = 2048
"""A channel's details of one response, as JSON, are at most this long; longer ones are not stored (and logged)."""

__all__ = [
    "DEFAULT_CHANNEL",
    "ChannelRefused",
    "ChannelRegistry",
    "EnabledChannel",
    "TenantChannels",
    "channel_registry",
    "shopper_url",
]


@dataclass(frozen=True)
class EnabledChannel:
    """A channel a tenant may use, with the tenant's settings of the plugin that brings it."""

    channel: Channel
    plugin: str
    config: BaseModel | None = None

    @property
    def key(self) -> str:
        return self.channel.id

    async def response_details(self, visit: ChannelVisit) -> dict[str, Any] | None:
        """What the channel adds to a response. :class:`ChannelRefused` propagates; any other failure is logged and
        gives ``None``, so the response is still stored."""
        visit = ChannelVisit(
            tenant_id=visit.tenant_id, store_id=visit.store_id, zone_id=visit.zone_id,
            params={k: v for k, v in visit.params.items() if k in self.channel.url_params},
            invitation_id=visit.invitation_id, config=self.config, response_id=visit.response_id,
        )
        try:
            details = self.channel.response_details(visit)
            if inspect.isawaitable(details):
                details = await details
            if details is None:
                return None
            stored = dict(details)
            if len(json.dumps(stored, ensure_ascii=False, allow_nan=False)) > MAX_DETAILS_BYTES:
                raise ValueError(f"details over {MAX_DETAILS_BYTES} bytes")
        except ChannelRefused:
            raise
        except Exception:  # noqa: BLE001 - a channel's bug must not lose the shopper's answers
            log.exception("channel %s: response_details failed; stored without details", self.key)
            return None
        return stored


@dataclass(frozen=True)
class TenantChannels:
    """The channels of one tenant: ``installed`` in the process, ``enabled`` for the tenant (by key)."""

    tenant_id: UUID
    installed: frozenset[str] = frozenset()
    enabled: Mapping[str, EnabledChannel] = field(default_factory=dict)

    def get(self, key: object) -> EnabledChannel | None:
        """The enabled channel ``key``, or ``None`` (unknown, or not enabled for this tenant)."""
        return self.enabled.get(key) if isinstance(key, str) else None

    def for_page(self, key: object) -> str:
        """The channel a survey page is shown for: ``key`` when the tenant may use it, else :data:`DEFAULT_CHANNEL`."""
        return key if isinstance(key, str) and key in self.enabled else DEFAULT_CHANNEL


class ChannelRegistry:
    """Every channel the loaded plugins bring (``register_channels``, collected once at start-up), by key."""

    def __init__(self, plugins: Plugins | None) -> None:
        self.plugins = plugins
        self._owners: dict[str, tuple[str, Channel]] = {}
        for plugin in plugins.loaded.values() if plugins is not None else ():
            for channel in plugin.channels:
                self._owners[channel.id] = (plugin.name, channel)

    @property
    def keys(self) -> frozenset[str]:
        """The keys of every installed channel (a filter may name any of them, enabled or not)."""
        return frozenset(self._owners)

    def channel(self, key: str) -> Channel | None:
        owner = self._owners.get(key)
        return owner[1] if owner is not None else None

    async def for_tenant(self, tenant_id: UUID) -> TenantChannels:
        """The channels ``tenant_id`` may use (read from the plugins' cached enabled set)."""
        if self.plugins is None:
            return TenantChannels(tenant_id)
        enabled = await self.plugins.enabled_plugins(tenant_id)
        usable = {
            key: EnabledChannel(channel, owner, enabled[owner].settings)
            for key, (owner, channel) in sorted(self._owners.items())
            if owner in enabled
        }
        return TenantChannels(tenant_id, self.keys, usable)


_registries: WeakKeyDictionary[Any, ChannelRegistry] = WeakKeyDictionary()


def channel_registry(plugins: Plugins | None) -> ChannelRegistry:
    """The channel registry of the loaded plugins (``app.state.plugins``), made once per loaded set."""
    if plugins is None:
        return ChannelRegistry(None)
    registry = _registries.get(plugins)
    if registry is None:
        registry = _registries[plugins] = ChannelRegistry(plugins)
    return registry


def shopper_url(
    channel: Channel,
    *,
    base_url: str,
    tenant_slug: str,
    store_slug: str,
    zone_id: UUID | None = None,
    token: str | None = None,
) -> str:
    """The URL a shopper opens for this channel: a store's (or zone's) survey page, or a personal invitation's."""
    base = base_url.rstrip("/")
    if token is not None:
        survey_url = f"{base}/i/{token}"
    else:
        survey_url = f"{base}/s/{tenant_slug}/{store_slug}" + (f"?zone={zone_id}" if zone_id is not None else "")
    return channel.invitation_url(InvitationTarget(survey_url, token=token))


def read_params(value: object) -> dict[str, str] | None:
    """A submission's ``channel_params`` (an object of short strings), or ``None`` when it is not one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > MAX_PARAMS:
        return None
    params: dict[str, str] = {}
    for key, item in value.items():
        if not (isinstance(key, str) and isinstance(item, str)) or len(key) > 40 or len(item) > MAX_PARAM_CHARS:
            return None
        params[key] = item
    return params
