"""Every hook a Pejling plugin can implement, in one place.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names match the
specifications below. Hooks are always called with **keyword arguments only**, so an
implementation may accept any subset of a hook's parameters, in any order. (The specifications
use plain parameters rather than ``*``: pluggy ignores keyword-only parameters when it matches
implementations to specifications.)

Any hook may return its value directly, return an awaitable (an ``async def`` implementation), or
return a zero-argument function that produces either; core resolves all three
(:func:`pejling.core.plugin_calls.await_me_maybe`). pluggy itself is not async-aware, so no
specification here uses pluggy's ``firstresult``: hooks documented as "first result" are resolved
by core, which awaits every result and then takes the first that is not ``None``.

Registration hooks run once, at start-up, for every loaded plugin. Event hooks run per tenant and
reach only the plugins enabled for that tenant. Every hook is documented in ``docs/plugins.md``
with the exact signature below; ``tests/plugins/test_plugin_docs.py`` keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel
    from starlette.applications import Starlette
    from starlette.routing import BaseRoute

    from pejling.core.contracts import Channel, Integration, Reward, ScoringModel, ShopperResponse
    from pejling.core.dev_only import DevSwitch
    from pejling.core.followups.notices import FollowUpNotice
    from pejling.core.loaded_plugins import Plugins
    from pejling.core.settings import Settings

PROJECT = "pejling"
"""The pluggy project name; also the entry-point group third-party plugins are found in."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Mark a plugin function as a hook implementation: ``@hookimpl`` above ``def register_channels(...)``."""


# ---------------------------------------------------------------------------------------------------------------------
# Registration: called once at start-up for every loaded plugin
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def register_scoring_models(settings: Settings) -> Iterable[ScoringModel] | None:
    """Contribute scoring models: each turns a response into scores and many responses into insights.

    :param settings: the process settings.
    :returns: :class:`~pejling.core.contracts.ScoringModel` instances, or ``None``. Model ids must be
        unique across all plugins.
    """


@hookspec
def register_channels(settings: Settings) -> Iterable[Channel] | None:
    """Contribute channels: the ways a shopper reaches a survey (QR code, NFC tag, email link, SMS).

    The channel registry (``pejling.core.surveys.channels``) holds them for the page, the ingest, invitations and
    the response filters. A tenant may use a channel while the plugin that brings it is enabled for the tenant; the
    channel's configuration is that plugin's settings (``register_plugin_settings``).

    :param settings: the process settings.
    :returns: :class:`~pejling.core.contracts.Channel` instances, or ``None``. Channel ids must be
        unique across all plugins.
    """


@hookspec
def register_integrations(settings: Settings) -> Iterable[Integration] | None:
    """Contribute integrations with other services (shop systems, payment providers).

    :param settings: the process settings.
    :returns: :class:`~pejling.core.contracts.Integration` instances, or ``None``. Integration ids
        must be unique across all plugins.
    """


@hookspec
def register_model_apps(settings: Settings) -> Mapping[str, Mapping[str, Any]] | None:
    """Contribute Tortoise apps: the plugin's own tables, with their own committed migrations.

    Each entry maps an app label to ``{"models": [module, ...], "migrations": "package.migrations"}``, as core's
    apps in ``pejling.core.database.MODEL_APPS``. ``pejling migrate`` applies the plugin's migrations with core's; the
    models are initialised in every process (web, worker, CLI) that loads the plugin. Tenant-owned models must use
    the tenant-scoped base (``pejling.tenants.scope``) like core's. Called once per process while the database is
    configured, before any event loop runs: return the mapping itself, not an awaitable. A plugin disabled with
    ``PEJLING_PLUGINS_DISABLED`` contributes nothing (its tables stay, untouched).

    :param settings: the process settings.
    :returns: a mapping of app labels (lowercase letters, digits, ``_``; not a core app's) to app configurations,
        or ``None``.
    """


@hookspec
def register_plugin_settings(settings: Settings) -> type[BaseModel] | None:
    """Declare the pydantic model a tenant configuration of this plugin must satisfy.

    Enabling the plugin for a tenant validates the given configuration against this model; invalid
    configuration is refused with the invalid fields listed, and nothing is stored. Called for each
    plugin on its own (this hook describes the plugin that implements it).

    :param settings: the process settings.
    :returns: a ``pydantic.BaseModel`` subclass, or ``None`` when the plugin takes no configuration
        (then only an empty configuration is accepted).
    """


@hookspec
def register_dev_switches(settings: Settings) -> Iterable[DevSwitch] | None:
    """Name this plugin's switches meant for development and tests only, and whether each is on now.

    In production (``PEJLING_ENVIRONMENT=production``) ``pejling serve``, ``pejling worker`` and the app refuse to
    start while one is on, naming its setting, unless ``PEJLING_DEMO_INSTANCE=true`` (``pejling.core.dev_only``).
    Called before any event loop runs: return the switches themselves, not an awaitable.

    :param settings: the process settings.
    :returns: :class:`~pejling.core.dev_only.DevSwitch` instances, or ``None``.
    """


@hookspec
def plugin_configuring(
    settings: Settings, tenant_id: UUID, plugin_settings: BaseModel, previous: BaseModel | None
) -> Mapping[str, Any] | None:
    """A tenant is enabling or reconfiguring this plugin: its configuration passed the schema and is not stored yet.

    Called only on the plugin being configured (as ``register_plugin_settings``), e.g. to register something with
    the service the plugin talks to. Raise :class:`~pejling.core.plugin_errors.PluginConfigInvalid` or
    :class:`~pejling.core.plugin_errors.PluginServiceRefused` to refuse: nothing is stored and the error reaches the
    caller. May be a coroutine.

    :param settings: the process settings.
    :param tenant_id: the tenant (its scope is set during the call).
    :param plugin_settings: the configuration as the plugin's schema parsed it.
    :param previous: the configuration enabled before, parsed, or ``None`` (off, or never configured).
    :returns: a configuration to store instead (it is validated again), or ``None`` to store the one given.
    """


@hookspec
def plugin_disabling(settings: Settings, tenant_id: UUID, plugin_settings: BaseModel | None) -> None:
    """A tenant is switching this plugin off (called only on that plugin, before the change is stored).

    Raise :class:`~pejling.core.plugin_errors.PluginServiceRefused` to refuse: the plugin stays on. May be a
    coroutine.

    :param settings: the process settings.
    :param tenant_id: the tenant (its scope is set during the call).
    :param plugin_settings: the configuration enabled until now, parsed, or ``None``.
    """


# ---------------------------------------------------------------------------------------------------------------------
# Web: called once at start-up; the results are served for tenants that enabled the plugin
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def register_routes(settings: Settings) -> Iterable[BaseRoute] | None:
    """Contribute Starlette routes, served under ``/plugins/<plugin name>/``.

    Core mounts them behind its own check: the request needs an authenticated actor in a tenant
    that enabled the plugin (anonymous: ``401``; otherwise ``404``). Inside a handler the tenant
    scope is set and ``request.state.plugin`` holds the tenant configuration of the plugin.

    :param settings: the process settings.
    :returns: ``starlette.routing.BaseRoute`` objects (``Route``, ``Mount`` …), or ``None``.
    """


@hookspec
def register_app_routes(settings: Settings) -> Iterable[BaseRoute] | None:
    """Contribute Starlette routes served at the app's root (the GraphQL API's ``/graphql``). Built-in plugins only.

    These routes get no plugin check: they are served to every request, behind core's middleware (actor, tenant),
    so a third-party plugin that implements this hook stops start-up with an error. Called once, while the app is
    built and before the other registration hooks, so it must return the routes themselves, not an awaitable.

    :param settings: the process settings.
    :returns: ``starlette.routing.BaseRoute`` objects, or ``None``.
    """


@hookspec
def app_started(app: Starlette, plugins: Plugins) -> None:
    """The web app loaded its plugins and is about to serve (its lifespan began). Built-in plugins only.

    For start-up work that needs every plugin's contributions, e.g. building the GraphQL schema with the plugins'
    types. Awaited before the first request; an error stops start-up. A third-party plugin that implements this hook
    stops start-up with an error.

    :param app: the Starlette application (keep what you build on ``app.state``).
    :param plugins: the loaded plugins of the process, also ``app.state.plugins``.
    """


@hookspec
def register_graphql_types(settings: Settings) -> Iterable[type] | None:
    """Contribute strawberry types to the GraphQL schema (passed to ``strawberry.Schema(types=...)``).

    The schema is shared by every tenant, so resolvers of these types must check that the plugin is
    enabled for the tenant of the request.

    :param settings: the process settings.
    :returns: strawberry-decorated classes, or ``None``.
    """


# ---------------------------------------------------------------------------------------------------------------------
# Survey events: called per tenant, only for plugins enabled for that tenant
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def response_received(tenant_id: UUID, response: ShopperResponse) -> None:
    """A shopper submitted a survey response (after it was stored).

    Every enabled plugin is called; return values are ignored. Slow work (mail, webhooks) belongs
    in a job, not in the hook.

    :param tenant_id: the tenant the response belongs to (its scope is set during the call).
    :param response: the response as plugins see it.
    """


@hookspec
def responses_received(tenant_id: UUID, responses: Sequence[ShopperResponse]) -> None:
    """Several responses of one tenant were stored: the batch form of ``response_received``.

    Core tells the responses stored at about the same moment together. A plugin that implements this hook gets
    them in one call and is then not called with ``response_received`` for them (implement one of the two); one
    query for the whole batch keeps up with a busy ingest where a query per response falls behind. Return values
    are ignored; slow work belongs in a job.

    :param tenant_id: the tenant the responses belong to (its scope is set during the call).
    :param responses: the responses as plugins see them, in the order they were stored.
    """


@hookspec
def reward_for_response(tenant_id: UUID, response: ShopperResponse) -> Reward | None:
    """Offer the shopper a reward for this response, e.g. a discount code.

    First result: core awaits the results in call order and stops at the first that is not ``None``;
    the awaitables of later implementations are closed without running.

    :param tenant_id: the tenant the response belongs to (its scope is set during the call).
    :param response: the response being thanked for.
    :returns: a :class:`~pejling.core.contracts.Reward`, or ``None`` to leave it to other plugins.
    """


# ---------------------------------------------------------------------------------------------------------------------
# Closed-loop events: called per tenant, only for plugins enabled for that tenant
# ---------------------------------------------------------------------------------------------------------------------


@hookspec
def follow_up_opened(tenant_id: UUID, follow_up: FollowUpNotice) -> None:
    """An alert rule opened a follow-up; a channel plugin may deliver the notification its own way (chat, SMS).

    Called from a job after core queued its own emails; return values are ignored, and a failing
    plugin does not stop the emails. The notice carries no shopper contact details.

    :param tenant_id: the tenant of the follow-up (its scope is set during the call).
    :param follow_up: the follow-up as plugins see it, with a localised title and its portal URL.
    """


@hookspec
def follow_up_updated(tenant_id: UUID, follow_up: FollowUpNotice, status: str, previous_status: str) -> None:
    """A member moved a follow-up along the closed loop: acknowledged, resolved or reopened it.

    Called from a job after the change was committed; return values are ignored. The notice carries no shopper
    contact details (and no recipients: nobody was mailed).

    :param tenant_id: the tenant of the follow-up (its scope is set during the call).
    :param follow_up: the follow-up as plugins see it, with a localised title and its portal URL.
    :param status: its status now: ``open``, ``acknowledged`` or ``resolved``.
    :param previous_status: its status before the change.
    """
