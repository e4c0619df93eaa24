"""What every GraphQL resolver can reach: the request, the actor, the tenant and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from pejling.core.auth.actor import ANONYMOUS, Actor
from pejling.core.settings import Settings
from pejling.graphql.loaders import Loaders
from pejling.tenants.models import Tenant

if TYPE_CHECKING:
    from pejling.core.loaded_plugins import Plugins


@dataclass
class Context:
    """The GraphQL context of one request. Loaders are made per request and keyed by its tenant."""

    request: Request
    response: Response
    settings: Settings
    actor: Actor = ANONYMOUS
    tenant: Tenant | None = None
    loaders: Loaders = field(default_factory=lambda: Loaders(None))
    plugins: Plugins | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Info = StrawberryInfo[Context, None]


def context_from_request(request: Request, response: Response) -> Context:
    state = request.scope.get("state", {})
    tenant: Tenant | None = state.get("tenant")
    return Context(
        request=request,
        response=response,
        settings=request.app.state.settings,
        actor=state.get("actor", ANONYMOUS),
        tenant=tenant,
        loaders=Loaders(tenant.id if tenant else None),
        plugins=getattr(request.app.state, "plugins", None),
    )
