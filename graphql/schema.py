"""The GraphQL schema: each domain contributes a Query and a Mutation class, merged here.

To add a domain, import its root classes and append them to ``QUERIES`` / ``MUTATIONS``; then run
``make schema`` to regenerate the committed ``graphql/schema.graphql`` (a test fails when it drifts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry
from cross_web import HTTPException  # strawberry's own HTTP error (answered with its status and text)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry import relay
from strawberry.asgi import GraphQL
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql import GraphQLError
from pejling.core.graphiql import graphiql_page
from pejling.core.repeated_parameters import repeated_name
from pejling.graphql.accounts.mutations import AccountMutation
from pejling.graphql.accounts.queries import AccountQuery
from pejling.graphql.accounts.sessions import SessionMutation
from pejling.graphql.accounts.two_step import TwoStepMutation
from pejling.graphql.audit.queries import AuditQuery
from pejling.graphql.audit.recording import audit_extension, note_mutation_payloads
from pejling.graphql.billing.mutations import BillingMutation
from pejling.graphql.billing.queries import BillingQuery
from pejling.graphql.billing.read_only import BillingReadOnly
from pejling.graphql.context import Context, Info, context_from_request
from pejling.graphql.extensions import security_extensions, unexpected
from pejling.graphql.followups.mutations import FollowUpMutation
from pejling.graphql.followups.queries import FollowUpQuery
from pejling.graphql.insights.mutations import InsightsMutation
from pejling.graphql.insights.queries import InsightsQuery
from pejling.graphql.plugins.mutations import PluginMutation
from pejling.graphql.plugins.queries import PluginQuery
from pejling.graphql.plugins.shopify_shops import ShopifyQuery
from pejling.graphql.relay_ids import guard_list_connections, resolve_global_id
from pejling.graphql.sso.mutations import SsoMutation
from pejling.graphql.sso.queries import SsoQuery
from pejling.graphql.surveys.codes import SurveyCodeMutation, SurveyCodeQuery
from pejling.graphql.surveys.devices import DeviceMutation, DeviceQuery, KioskMutation, KioskQuery
from pejling.graphql.surveys.imports import ImportMutation
from pejling.graphql.surveys.mutations import SurveyMutation
from pejling.graphql.surveys.queries import SurveyQuery
from pejling.graphql.surveys.retention import RetentionMutation, RetentionQuery
from pejling.graphql.surveys.submission_limits import SubmissionLimitMutation, SubmissionLimitQuery
from pejling.graphql.tenants.deletion import TenantDeletionMutation
from pejling.graphql.tenants.mutations import TenantMutation
from pejling.graphql.tenants.queries import TenantQuery
from pejling.graphql.webhooks.mutations import WebhookMutation
from pejling.graphql.webhooks.queries import WebhookQuery

QUERIES: tuple[type, ...] = (TenantQuery, AccountQuery, FollowUpQuery, InsightsQuery, SurveyQuery, DeviceQuery,
                             SurveyCodeQuery, KioskQuery, SubmissionLimitQuery, PluginQuery, ShopifyQuery, SsoQuery,
                             BillingQuery, WebhookQuery, RetentionQuery, AuditQuery)
MUTATIONS: tuple[type, ...] = (TenantMutation, AccountMutation, FollowUpMutation, InsightsMutation, SurveyMutation,
                               DeviceMutation, SurveyCodeMutation, KioskMutation, SubmissionLimitMutation,
                               ImportMutation, PluginMutation, SsoMutation, BillingMutation, WebhookMutation,
                               RetentionMutation, TenantDeletionMutation, SessionMutation, TwoStepMutation)


class PejlingSchema(strawberry.Schema):
    """Logs only unexpected errors: deliberate ones (validation, ApiError with a code) are answers, not faults."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        faults = [e for e in errors if unexpected(e)]
        if faults:
            super().process_errors(faults, execution_context)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when not found or not yours.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The ID of the object.")]
    ) -> relay.Node | None:
        # Not strawberry's relay.node(): that raises (a logged, masked error) for a raw UUID or a global id
        # of a type that is not a Node; any id that names nothing of yours is null here.
        return await resolve_global_id(info, id)


def build_schema(extra_types: Sequence[Any] = ()) -> strawberry.Schema:
    """The schema with the built-in domains plus types contributed by plugins. The audit trail comes last, so it
    records what the read-only check refused too (:mod:`pejling.graphql.audit.recording`)."""
    query = merge_types("Query", (NodeQuery, *QUERIES))
    mutation = merge_types("Mutation", MUTATIONS)
    schema = PejlingSchema(query=query, mutation=mutation, types=list(extra_types),
                           extensions=[*security_extensions(), BillingReadOnly, audit_extension()])
    guard_list_connections(schema)
    note_mutation_payloads(schema)
    return schema


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with Pejling's context (actor, tenant, loaders)."""

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        # Answers hold tenant data: never kept by a browser or a shared cache (ASVS V14.3.2).
        response.headers["Cache-Control"] = "no-store"
        return context_from_request(request, response)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a persisted query sent by GET (its hash in ``extensions``, no ``query``; any ``Accept``)."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own GraphiQL page (bundled from npm, same-origin assets only, strict CSP), not strawberry's CDN one."""
        return graphiql_page(request.app.state.settings, endpoint=request.url.path)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A ``GET``'s parameters (``query``, ``variables``, ``extensions``, ``operationName``), each at most once: a
        repeated one is a 400 (:mod:`pejling.core.repeated_parameters`), not strawberry's silent last value."""
        name = repeated_name(params.multi_items()) if hasattr(params, "multi_items") else None
        if name is not None:
            raise HTTPException(400, f"The parameter {name!r} is given more than once; give each parameter once.")
        return super().parse_query_params(params)

    def decode_json(self, data: str | bytes) -> object:
        """Strawberry answers 400 to a body that is not JSON (``JSONDecodeError``); so it does here for JSON
        nested deeper than the recursion limit (a ``RecursionError``, else a 500) and for JSON that is neither
        an object nor a list (strawberry would fail on ``.get``). A key given twice in one object (two ``query``
        members, a variable twice) is a 400 too, as a repeated parameter is (:mod:`pejling.core.repeated_parameters`),
        not the last value read silently."""
        try:
            decoded = json.loads(data, object_pairs_hook=_one_value_per_key)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None
        if not isinstance(decoded, dict | list):
            raise json.JSONDecodeError("not a JSON object", "", 0)
        return decoded


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    decoded = dict(pairs)
    if len(decoded) != len(pairs):
        name = repeated_name(pairs)
        raise HTTPException(400, f"The key {name!r} is given more than once in a JSON object; give each key once.")
    return decoded


def graphql_app(extra_types: Sequence[Any] = ()) -> GraphQLApp:
    return GraphQLApp(build_schema(extra_types), graphql_ide="graphiql", allow_queries_via_get=False)


class GraphQLEndpoint:
    """The ``/graphql`` route. The schema includes plugin types, so it is built in the lifespan once the
    plugins are loaded (``app.state.graphql``, by :func:`pejling.graphql.api.app_started`); until then a schema
    of the built-in domains serves."""

    def __init__(self) -> None:
        self._fallback: GraphQLApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = getattr(scope["app"].state, "graphql", None)
        if app is None:
            if self._fallback is None:
                self._fallback = graphql_app()
            app = self._fallback
        await app(scope, receive, send)
