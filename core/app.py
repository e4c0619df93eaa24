"""The Starlette application factory: routes, middleware and lifespan declared in one place."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route
from tortoise.contrib.starlette import RegisterTortoise

from pejling.core.audit.downloads import audit_routes
from pejling.core.auth.middleware import ActorMiddleware
from pejling.core.change_notices import change_notices
from pejling.core.cors import ApiCorsMiddleware
from pejling.core.database import tortoise_config
from pejling.core.dev_only import check_production
from pejling.core.followups import use_settings as use_followup_settings
from pejling.core.followups.downloads import export_routes
from pejling.core.graphiql import ASSETS_PATH, GraphiQLAssets
from pejling.core.health import healthz, readyz
from pejling.core.insights.scores import start_insights
from pejling.core.insights.weekly_routes import weekly_report_routes
from pejling.core.live_routes import live_routes
from pejling.core.log_shipping import drain_shipping
from pejling.core.logs import AccessLogMiddleware, configure_logging
from pejling.core.mail import check_mail_settings
from pejling.core.metrics import MetricsMiddleware
from pejling.core.outbound_addresses import use_allowed_hosts
from pejling.core.plugin_manager import PluginRegistry, register_plugins
from pejling.core.plugin_routes import PluginRoutes
from pejling.core.portal_routes import portal_routes
from pejling.core.pubsub import close_brokers, use_settings
from pejling.core.security_events import configure as configure_security_events
from pejling.core.security_events import flushing as security_events_flushing
from pejling.core.security_headers import SecurityHeadersMiddleware
from pejling.core.settings import Settings, get_settings
from pejling.core.shopper_host import ShopperHostMiddleware
from pejling.core.start_checks import check_start
from pejling.core.surveys.code_routes import survey_code_routes
from pejling.core.surveys.hooks import response_events_delivered
from pejling.core.surveys.import_routes import import_routes
from pejling.core.surveys.page_cache import store_pages  # noqa: F401 - watches the content-stamp notices
from pejling.core.surveys.page_routes import routes as survey_page_routes
from pejling.core.surveys.receipt_page import receipt_routes
from pejling.core.surveys.routes import survey_api_routes
from pejling.core.surveys.unsubscribe import routes as unsubscribe_routes
from pejling.tenants.branding import branding_routes
from pejling.tenants.middleware import TenantMiddleware


def _routes(settings: Settings, plugins: PluginRegistry) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # /metrics is answered by MetricsMiddleware, before authentication (core/metrics.py says who may read it).
        *export_routes(),
        *audit_routes(),
        *survey_api_routes(),
        *live_routes(),
        *branding_routes(),
        *survey_page_routes,
        *survey_code_routes(),
        *weekly_report_routes(),
        *import_routes(),
        *unsubscribe_routes,
        *receipt_routes(),
        Mount("/plugins", app=PluginRoutes()),
        *plugins.app_routes(),  # /graphql: the API is a built-in plugin (pejling.graphql.api)
        Mount(ASSETS_PATH, app=GraphiQLAssets(settings)),
        # The retailer portal: /, /login, /signup, /portal/… and /portal-assets/.
        *portal_routes(shopper_origin=settings.shopper_base_url),
    ]


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """Build the web application.

    ``manage_database=False`` leaves Tortoise to the caller (the test suite initialises it once).
    """
    settings = settings or get_settings()
    configure_logging(settings)
    configure_security_events(settings)
    check_mail_settings(settings)
    use_followup_settings(settings)
    use_allowed_hosts(settings.outbound_allowed_hosts)  # every outbound call of this process checks them
    registry = register_plugins(settings)
    check_start(settings)  # the refusals of every pejling command, also when an ASGI server calls this factory
    check_production(settings, registry.dev_switches())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            # Very last out: the lines logged so far reach the log collector before the process ends.
            stack.push_async_callback(asyncio.to_thread, drain_shipping)
            # First in, last out: the refusals counted are written every interval and once more at shutdown.
            await stack.enter_async_context(security_events_flushing(settings.security_event_seconds))
            use_settings(settings)  # the broker the ingest publishes to and the live feed listens on
            stack.push_async_callback(close_brokers)  # last out: ends the live feeds' subscriptions
            if manage_database:
                await stack.enter_async_context(RegisterTortoise(app, config=tortoise_config(settings)))
            # One LISTEN connection: the survey page cache hears of content-stamp changes (core/change_notices.py).
            await stack.enter_async_context(change_notices.running(settings))
            # The one handle on the loaded plugins: GraphQL reads it from app.state, jobs get it from the worker.
            app.state.plugins = await registry.load()
            stack.push_async_callback(response_events_delivered)  # the plugins hear of every stored response first
            await app.state.plugins.call_hook("app_started", app=app, plugins=app.state.plugins)
            await start_insights(app.state.plugins)
            if settings.run_worker_in_app:
                from pejling.core.jobs.worker import Worker

                # Entered after the database, so on shutdown the worker drains its running jobs first.
                worker = Worker(settings, housekeeping=True, plugins=app.state.plugins)
                app.state.job_worker = await stack.enter_async_context(worker.running())
            # Start-up made most of what this process keeps (the schema, the plugins, numpy): out of the cyclic
            # collector's reach, so a full collection does not stop the event loop for tens of milliseconds.
            gc.collect()
            gc.freeze()
            yield

    app = Starlette(
        debug=False,
        routes=_routes(settings, registry),
        middleware=[
            Middleware(AccessLogMiddleware, settings=settings),
            Middleware(SecurityHeadersMiddleware, settings=settings),
            # With shopper_base_url: the shoppers' pages on their host, everything else on base_url's (ASVS 3.5.4).
            *([Middleware(ShopperHostMiddleware, settings=settings)] if settings.shopper_base_url else []),
            Middleware(ApiCorsMiddleware, settings=settings),
            Middleware(GZipMiddleware, minimum_size=500),
            Middleware(MetricsMiddleware, settings=settings),
            Middleware(ActorMiddleware),
            Middleware(TenantMiddleware),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
