"""The schema walk of ``test_every_caller.py``: one request per root field and per node type, made from the schema.

Nothing here names a field of the API: documents, arguments and selections are generated from the served
schema, so a field added tomorrow is walked by itself. What the generator cannot fill (a new scalar, an id
argument whose type it cannot tell) makes the walk fail with a message saying what to add here.

Tenant A is seeded with text *markers*: random strings that only A's members may ever read. Markers of
A's second store are *hidden*: a store manager of A's first store may not read them either.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from tortoise import Tortoise

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)
from pejling.core.auth.models import ApiToken, Session
from pejling.core.followups.models import AlertRule, Export, ExportFormat, ExportStatus, FollowUp, FollowUpNote, Reply
from pejling.core.insights.models import StoreChange
from pejling.core.surveys.channel_devices import register_device
from pejling.core.surveys.codes import create_code
from pejling.core.surveys.models import Response
from pejling.core.surveys.survey import active_survey
from pejling.graphql.relay_ids import encode_id
from pejling.plugins.webhooks.endpoints import create_endpoint as create_webhook_endpoint
from pejling.plugins.webhooks.models import WebhookDelivery
from pejling.tenants.models import Invitation, Membership, Role, Store, Tenant, Zone
from pejling.tenants.scope import all_tenants, tenant_scope
from tests.support.tenancy import TenantFixture, make_tenant, member, token_for

#: Root fields anyone may call: they name what they act on in their input and are tested on their own.
PUBLIC = frozenset({"login", "signup", "requestPasswordReset", "resetPassword", "submitResponse",
                    "acceptInvitation", "confirmSignup", "completeLogin"})
#: Public fields that write tenant data by design (a shopper's response): left out of the "nothing changed" check.
WRITES_BY_DESIGN = frozenset({"submitResponse"})
#: Columns that change by merely using a credential, not by changing data.
VOLATILE = frozenset({"last_used_at", "last_seen_at"})
#: Models that record every attempt, refused ones too (the audit log): they grow by design, so they are left out.
RECORDS_ATTEMPTS = frozenset({"AuditEntry"})
MAX_DEPTH = 3
UNEXPECTED = "Unexpected error."


@dataclass
class Seeded:
    """Tenant A: its fixture, ids by node type (the first of each in the hidden store where it has one)."""

    a: TenantFixture
    ids: dict[str, list[str]]
    values: dict[str, Any]
    markers: set[str]
    hidden: set[str]
    manager_token: str = ""
    read_only_token: str = ""
    analyst_token: str = ""


def _mark(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(5)}"


async def seed_tenant_a() -> Seeded:
    """Tenant A with two stores; a store manager of store 0; every kind of object, hidden ones in store 1."""
    a = await make_tenant(stores=2)
    markers: dict[str, str] = {k: _mark(k) for k in (
        "tenant", "s0", "s1", "addr0", "addr1", "z0", "z1", "c0", "c1", "rule", "notify", "reason1", "note1",
        "reply1", "change1", "token", "invite", "tag1", "kiosk1", "code1", "hook")}
    manager = await member(a.tenant, Role.STORE_MANAGER, [str(a.stores[0].id)])
    await Tenant.filter(id=a.tenant.id).update(name=f"Shop {markers['tenant']}")
    with tenant_scope(a.tenant.id):
        for n, (store, zone) in enumerate(zip(a.stores, a.zones, strict=True)):
            await Store.filter(id=store.id).update(name=f"Store {markers[f's{n}']}", address=markers[f"addr{n}"])
            await Zone.filter(id=zone.id).update(name=f"Zone {markers[f'z{n}']}")
        current = await active_survey()
        assert current is not None
        now = datetime.now(UTC)
        responses = []
        for n, store in enumerate(a.stores):
            responses.append(await Response.create(
                id=uuid.uuid4(), store=store, zone=a.zones[n], survey_version=current.version, channel="qr",
                language="en", started_at=now - timedelta(seconds=30), submitted_at=now, duration_ms=30_000,
                outcome=1, comment=f"Comment {markers[f'c{n}']}", consent_contact=True,
                contact_email=f"shopper-{markers[f'c{n}']}@example.com",
                receipt_code=f"WLK{n}{secrets.token_hex(2)}"[:8]))
        rule = await AlertRule.create(name=f"Rule {markers['rule']}", kind="outcome_at_most", threshold=3,
                                      store_ids=[str(s.id) for s in a.stores], notify_roles=["store_manager"],
                                      notify_emails=[f"{markers['notify']}@example.com"])
        follow_up = await FollowUp.create(rule=rule, response=responses[1], store=a.stores[1],
                                          reason=f"Reason {markers['reason1']}",
                                          dedupe_key=f"{rule.id}:response:{responses[1].id}")
        await FollowUpNote.create(follow_up=follow_up, author_id=a.owner.id, text=f"Note {markers['note1']}")
        await Reply.create(response=responses[1], follow_up=follow_up, author_id=a.owner.id,
                           subject=f"Re {markers['reply1']}", text=f"Reply {markers['reply1']}")
        await StoreChange.create(store=a.stores[1], date=date.today(), description=f"Change {markers['change1']}")
        export = await Export.create(format=ExportFormat.CSV, status=ExportStatus.SUCCEEDED, rows_done=1,
                                     rows_total=1, requested_by_id=a.owner.id)
        invitation = await Invitation.create(email=f"{markers['invite']}@example.com", role=Role.ANALYST,
                                             token_hash=secrets.token_hex(32), expires_at=now + timedelta(days=7),
                                             invited_by_id=a.owner.id)
        nfc_tag = await register_device(channel="nfc", store=a.stores[1], label=f"Tag {markers['tag1']}",
                                        secret=bytes(32))
        kiosk = await register_device(channel="kiosk", store=a.stores[1], label=f"Kiosk {markers['kiosk1']}",
                                      token=secrets.token_urlsafe(32))
        survey_code = await create_code(a.stores[1], a.zones[1], f"Campaign {markers['code1']}")
        hook, _ = await create_webhook_endpoint(a.tenant.id, "https://93.184.215.14/hook", ["response.created"],
                                                f"CRM {markers['hook']}")
        hook_delivery = await WebhookDelivery.create(endpoint_id=hook.id, event_id=uuid.uuid4(),
                                                     event_type="response.created", body="{}")
        owner_membership = await Membership.get(user_id=a.owner.id)
        manager_membership = await Membership.get(user_id=manager.id)
        token_row = await ApiToken.all().first()
        assert token_row is not None
        await ApiToken.filter(id=token_row.id).update(name=f"Token {markers['token']}")
    # A browser of A's owner: endSession must never end it for anyone else (nor through a token).
    browser_session = await Session.create(token_hash=secrets.token_hex(32), user_id=a.owner.id,
                                           expires_at=datetime.now(UTC) + timedelta(days=1),
                                           last_seen_at=datetime.now(UTC))
    seeded = Seeded(
        a=a,
        ids={
            "LoginSession": [encode_id("LoginSession", browser_session.id)],
            "Store": [encode_id("Store", a.stores[1].id)], "Zone": [encode_id("Zone", a.zones[1].id)],
            "Member": [encode_id("Member", owner_membership.id), encode_id("Member", manager_membership.id)],
            "ApiToken": [encode_id("ApiToken", token_row.id)], "AlertRule": [encode_id("AlertRule", rule.id)],
            "FollowUp": [encode_id("FollowUp", follow_up.id)],
            "Response": [encode_id("Response", responses[1].id), encode_id("Response", responses[0].id)],
            "Export": [encode_id("Export", export.id)], "Invitation": [encode_id("Invitation", invitation.id)],
            "NfcTag": [encode_id("NfcTag", nfc_tag.id)], "Kiosk": [encode_id("Kiosk", kiosk.id)],
            "SurveyCode": [encode_id("SurveyCode", survey_code.id)],
            "WebhookEndpoint": [encode_id("WebhookEndpoint", hook.id)],
            "WebhookDelivery": [encode_id("WebhookDelivery", hook_delivery.id)],
        },
        values={"receiptCode": responses[1].receipt_code, "tenantSlug": a.tenant.slug,
                "storeSlug": a.stores[1].slug, "surveyVersionId": str(current.version.id),
                "email": a.owner.email},
        markers=set(markers.values()),
        hidden={markers[k] for k in ("s1", "addr1", "z1", "c1", "reason1", "note1", "reply1", "change1", "tag1",
                                     "kiosk1", "code1")},
    )
    seeded.manager_token = await token_for(a.tenant, manager)
    seeded.read_only_token = await token_for(a.tenant, a.owner, scopes=("read",))
    seeded.analyst_token = await token_for(a.tenant, await member(a.tenant, Role.ANALYST))
    return seeded


# --- documents from the schema -----------------------------------------------------------------------------


@dataclass
class Request:
    """One generated GraphQL request for a root field."""

    field: str
    operation: str  # "query" or "mutation"
    document: str
    variables: dict[str, Any]
    targets: set[str] = field(default_factory=set)  # node types of A that its id arguments point at


class Unfillable(Exception):
    """The generator does not know what to give an argument: extend ``_id_type`` or ``_scalar``."""


NODE_SUFFIX = re.compile(r"(?:Id|Ids)$")
#: Id fields whose node type their name does not tell (input type and field).
EXPLICIT_IDS = {"InsightScopeInput.ids": "Store", "webhookDeliveries.endpoint": "WebhookEndpoint",
                "rotateWebhookSecret.id": "WebhookEndpoint", "redeliverWebhook.delivery": "WebhookDelivery",
                "auditLog.actor": "Member", "endSession.id": "LoginSession",
                "endMemberSessions.memberId": "Member"}


def _node_types(schema: GraphQLSchema) -> list[str]:
    return sorted(name for name, t in schema.type_map.items()
                  if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces))


def _id_type(schema: GraphQLSchema, arg: str, owner: str, seeded_types: set[str]) -> str | None:
    """Which node type an id argument names: ``storeId`` → Store; ``id`` of ``deleteStore`` → Store."""
    nodes = sorted({*_node_types(schema), *seeded_types})
    if owner in nodes:
        return owner
    if arg in {"id", "ids"}:
        matches = [n for n in nodes if n.lower() in owner.lower()]
        return max(matches, key=len) if matches else None
    stem = NODE_SUFFIX.sub("", arg)
    matches = [n for n in nodes if n.lower() == stem.lower()]
    return matches[0] if matches else None


def _scalar(seeded: Seeded, scalar: str, name: str) -> Any:
    if name in seeded.values:
        return seeded.values[name]
    lowered = name.lower()
    if scalar == "String":
        if "password" in lowered:
            return "a walk password, not theirs"
        if "email" in lowered:
            return seeded.values["email"]
        if "url" in lowered:
            return "data:image/png;base64,AAAA"
        return "walk"
    if scalar in {"Int", "Float"}:
        return 1
    if scalar == "Boolean":
        return False
    if scalar == "DateTime":
        return datetime.now(UTC).isoformat()
    if scalar == "Date":
        return date.today().isoformat()
    if scalar == "JSON":
        return {}
    if scalar == "ID":
        raise Unfillable(f"ID argument {name!r}")
    raise Unfillable(f"scalar {scalar} (argument {name!r})")


def _value(schema: GraphQLSchema, seeded: Seeded, type_: GraphQLInputType, name: str, owner: str,
           targets: set[str]) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _value(schema, seeded, type_.of_type, name, owner, targets)
    if isinstance(type_, GraphQLList):
        return [_value(schema, seeded, type_.of_type, name, owner, targets)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        result: dict[str, Any] = {}
        for field_name, input_field in type_.fields.items():
            is_id = get_named_type(input_field.type).name == "ID"
            if isinstance(input_field.type, GraphQLNonNull) or is_id:
                inner_owner = EXPLICIT_IDS.get(f"{type_.name}.{field_name}", owner)
                result[field_name] = _value(schema, seeded, input_field.type, field_name, inner_owner, targets)
        return result
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID" and name not in seeded.values:
        node = _id_type(schema, name, owner, set(seeded.ids))
        if node is None or node not in seeded.ids:
            raise Unfillable(f"ID argument {name!r} of {owner!r}: no node type found")
        targets.add(node)
        return seeded.ids[node][0]
    return _scalar(seeded, type_.name, name)


def _arguments(schema: GraphQLSchema, seeded: Seeded, gql_field: GraphQLField, owner: str, prefix: str,
               variables: dict[str, Any], declarations: list[str], targets: set[str]) -> str:
    """``(name: $v)`` for the required arguments and every id argument, declaring the variables."""
    parts = []
    for arg_name, arg in gql_field.args.items():
        is_id = get_named_type(arg.type).name == "ID"
        wanted = isinstance(arg.type, GraphQLNonNull) or is_id or arg_name in seeded.values
        if not wanted:
            continue
        variable = f"{prefix}{len(variables)}"
        variables[variable] = _value(schema, seeded, arg.type, arg_name, EXPLICIT_IDS.get(f"{owner}.{arg_name}", owner),
                                     targets)
        declarations.append(f"${variable}: {arg.type}")
        parts.append(f"{arg_name}: ${variable}")
    return f"({', '.join(parts)})" if parts else ""


def _selection(schema: GraphQLSchema, seeded: Seeded, type_: GraphQLOutputType, depth: int, owner: str,
               variables: dict[str, Any], declarations: list[str], targets: set[str]) -> str:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        possible = schema.get_possible_types(named)
        inner = " ".join(
            f"... on {t.name} {_selection(schema, seeded, t, depth, owner, variables, declarations, targets)}"
            for t in possible)
        return f"{{ __typename {inner} }}"
    assert isinstance(named, GraphQLObjectType)
    parts = ["__typename"]
    for name, child in named.fields.items():
        leaf = isinstance(get_named_type(child.type), GraphQLScalarType | GraphQLEnumType)
        if not leaf and depth <= 1:
            continue
        try:
            args = _arguments(schema, seeded, child, name, "f", variables, declarations, targets)
        except Unfillable:
            continue  # a nested field the walk cannot fill is left out; root fields must be fillable
        sub = "" if leaf else _selection(schema, seeded, child.type, depth - 1, name, variables, declarations,
                                         targets)
        parts.append(f"{name}{args} {sub}".strip())
    return f"{{ {' '.join(parts)} }}"


def root_requests(schema: GraphQLSchema, seeded: Seeded, max_tokens: int = 1800) -> list[Request]:
    """One request per root query and mutation field (``node`` excepted: see :func:`node_requests`)."""
    requests = []
    roots = [("query", schema.query_type), ("mutation", schema.mutation_type)]
    for operation, root in roots:
        assert root is not None
        for name, gql_field in root.fields.items():
            if name == "node":
                continue
            for depth in range(MAX_DEPTH, 0, -1):
                variables: dict[str, Any] = {}
                declarations: list[str] = []
                targets: set[str] = set()
                args = _arguments(schema, seeded, gql_field, name, "a", variables, declarations, targets)
                sub = _selection(schema, seeded, gql_field.type, depth, name, variables, declarations, targets)
                header = f"({', '.join(declarations)})" if declarations else ""
                document = f"{operation} Walk{header} {{ {name}{args} {sub} }}"
                if len(re.findall(r"[A-Za-z_]\w*|[^\s\w]", document)) <= max_tokens:
                    break
            requests.append(Request(name, operation, document, variables, targets))
    return requests


def node_requests(schema: GraphQLSchema, seeded: Seeded) -> list[Request]:
    """``node(id:)`` for every seeded object of every node type, selecting its scalars."""
    requests = []
    for type_name in _node_types(schema):
        if type_name not in seeded.ids:
            raise Unfillable(f"node type {type_name}: seed one in seed_tenant_a")
        node_type = schema.type_map[type_name]
        for global_id in seeded.ids[type_name]:
            variables: dict[str, Any] = {"id": global_id}
            declarations: list[str] = ["$id: ID!"]
            sub = _selection(schema, seeded, node_type, 2, type_name, variables, declarations, set())  # type: ignore[arg-type]
            header = ", ".join(declarations)
            document = f"query Node({header}) {{ node(id: $id) {{ __typename ... on {type_name} {sub} }} }}"
            requests.append(Request("node", "query", document, variables, {type_name}))
    return requests


# --- callers ---------------------------------------------------------------------------------------------


@dataclass
class Caller:
    """Who sends the walk's requests: headers, and a client of their own (cookies, client address)."""

    name: str
    client: httpx.AsyncClient
    headers: dict[str, str]

    async def send(self, request: Request) -> httpx.Response:
        """Send one request; a masked unexpected error is a fault whoever the caller is."""
        response = await self.client.post("/graphql", json={"query": request.document,
                                                            "variables": request.variables}, headers=self.headers)
        assert UNEXPECTED not in response.text, (self.name, request.field, response.text)
        return response


def fresh_client(app: Any) -> httpx.AsyncClient:
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                             base_url="http://testserver")


async def session_caller(app: Any, name: str, email: str, password: str, headers: dict[str, str]) -> Caller:
    """A browser logged in as ``email``: its cookie jar and CSRF header."""
    client = fresh_client(app)
    login = await client.post("/graphql", json={
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { me { csrfToken } errors "
                 "{ code } } }", "variables": {"e": email, "p": password}})
    payload = login.json()["data"]["login"]
    assert payload["errors"] == [], payload
    return Caller(name, client, {"X-CSRF-Token": payload["me"]["csrfToken"], **headers})


# --- state of tenant A -----------------------------------------------------------------------------------


async def fingerprint(tenant_id: uuid.UUID, only: frozenset[str] | None = None) -> str:
    """A digest of every tenant-owned row of one tenant (and the tenant itself), volatile columns and the audit log
    (:data:`RECORDS_ATTEMPTS`) left out.

    ``only`` narrows it to the named models (e.g. ``{"Tenant", "Membership"}``).
    """
    digest = hashlib.sha256()
    with all_tenants():
        for app_models in Tortoise.apps.values():
            for name, model in sorted(app_models.items()):
                if (only is not None and name not in only) or (only is None and name in RECORDS_ATTEMPTS):
                    continue
                columns = [c for c in model._meta.fields_db_projection if c not in VOLATILE]
                if "tenant_id" in model._meta.fields_db_projection:
                    rows = await model.filter(tenant_id=tenant_id).values(*columns)
                elif model is Tenant:
                    rows = await model.filter(id=tenant_id).values(*columns)
                else:
                    continue
                digest.update(name.encode())
                digest.update(json.dumps(sorted(json.dumps(r, default=str, sort_keys=True) for r in rows)).encode())
    return digest.hexdigest()
