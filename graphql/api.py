"""The GraphQL API as a built-in plugin: it mounts ``/graphql`` through the same seam as every other plugin.

Listed in ``pejling.core.plugin_manager.BUILTIN_PLUGINS`` (named ``api``), so core never imports ``pejling.graphql``.
The schema is built when the app starts, after the plugins are loaded, so it includes the types plugins contribute.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from pejling.core.hookspecs import hookimpl
from pejling.core.loaded_plugins import Plugins
from pejling.graphql.persisted_queries import check_settings
from pejling.graphql.schema import GraphQLEndpoint, graphql_app


@hookimpl
def register_app_routes() -> list[BaseRoute]:
    return [Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"])]


@hookimpl
def app_started(app: Starlette, plugins: Plugins) -> None:
    # A broken persisted-query manifest stops the start, not a request. The app's settings when it has them (an app
    # made by create_app), else those the plugins were loaded with (a bare Starlette in tests).
    check_settings(getattr(app.state, "settings", None) or plugins.settings)
    app.state.graphql = graphql_app(plugins.graphql_types())
