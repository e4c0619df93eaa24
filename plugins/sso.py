"""Built-in plugin ``sso``: serves the retailer single sign-on routes (``/sso/<tenant slug>/start``, ``/callback``).

The login itself, the configuration and the SSO-only rule live in :mod:`pejling.core.auth.sso` (the rule must reach
the password login); this plugin only mounts the public routes through ``register_app_routes``. See docs/sso.md.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from pejling.core.auth.sso.routes import sso_routes
from pejling.core.hookspecs import hookimpl


@hookimpl
def register_app_routes() -> list[BaseRoute]:
    return sso_routes()
