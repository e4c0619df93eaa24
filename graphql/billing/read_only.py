"""The read-only portal: while a tenant's billing says so (pilot ended, unpaid, canceled, past due beyond the grace),
its mutations are refused with the error code ``BILLING_READ_ONLY``, except billing's own and the account ones
(log in and out, passwords, revoking a token). Queries run, and the survey keeps collecting responses.

After a downgrade below usage the stores beyond the plan's limit are read-only too: a mutation naming one of them
(or one of its zones, survey codes, NFC tags, kiosks or follow-ups: :data:`STORE_OWNED`) is refused with
``BILLING_READ_ONLY_STORE``, except deleting it (which brings the tenant back within its plan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType
from tortoise.models import Model

from graphql import ExecutionResult, FieldNode, OperationDefinitionNode
from pejling.core.followups.models import FollowUp
from pejling.core.surveys.models import ChannelDevice, SurveyCode
from pejling.graphql.billing.mutations import BILLING_MUTATIONS
from pejling.graphql.errors import ApiError
from pejling.graphql.relay_ids import ids_in_arguments
from pejling.plugins.billing.entitlements import read_only_store_ids
from pejling.plugins.billing.subscription_state import standing
from pejling.tenants.models import Tenant, Zone
from pejling.tenants.scope import tenant_scope

READ_ONLY = "BILLING_READ_ONLY"
READ_ONLY_STORE = "BILLING_READ_ONLY_STORE"

#: Mutations a read-only tenant may still run.
ALWAYS_ALLOWED = BILLING_MUTATIONS | {
    "signup", "confirmSignup", "login", "logout", "requestPasswordReset", "resetPassword", "changePassword",
    "revokeApiToken",
    # Privacy is never held back by billing: a shopper's erasure, the retention, the tenant's export and deletion.
    "eraseShopperResponse", "setRetention", "startTenantExport", "deleteTenant",
}
#: Mutations allowed on a read-only store.
STORE_ALLOWED = ALWAYS_ALLOWED | {"deleteStore"}


def _root_fields(document: object, operation_name: str | None) -> list[FieldNode] | None:
    """The root fields of the operation run, or ``None`` when one is not a plain field (a fragment)."""
    for definition in getattr(document, "definitions", ()):
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (definition.name is None or definition.name.value != operation_name):
            continue
        fields = []
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode):
                return None
            fields.append(selection)
        return fields
    return []


#: The objects of a store that mutations name by their own global id (the type name in the id → its model): a
#: mutation naming one of a read-only store's is refused like one naming the store. A shopper's response is left
#: out on purpose: erasing it (a GDPR request) never waits on billing.
STORE_OWNED: dict[str, type[Model]] = {
    "Zone": Zone, "SurveyCode": SurveyCode, "Kiosk": ChannelDevice, "NfcTag": ChannelDevice, "FollowUp": FollowUp,
}


def _named_ids(field: FieldNode, variables: dict[str, Any] | None) -> tuple[set[UUID], dict[type[Model], set[UUID]]]:
    """The store ids, and the ids of store-owned objects by model, among the field's argument values (inline or in
    variables)."""
    stores: set[UUID] = set()
    owned: dict[type[Model], set[UUID]] = {}
    for type_name, found in ids_in_arguments(field, variables):
        if type_name == "Store":
            stores.add(found)
        elif (model := STORE_OWNED.get(type_name)) is not None:
            owned.setdefault(model, set()).add(found)
    return stores, owned


async def _touches_read_only_store(tenant: Tenant, fields: list[FieldNode], variables: dict[str, Any] | None) -> bool:
    named: set[UUID] = set()
    owned: dict[type[Model], set[UUID]] = {}
    for field in fields:
        if field.name.value not in STORE_ALLOWED:
            more_stores, more_owned = _named_ids(field, variables)
            named |= more_stores
            for model, ids in more_owned.items():
                owned.setdefault(model, set()).update(ids)
    if not named and not owned:
        return False
    read_only = set(await read_only_store_ids(tenant))
    if not read_only:
        return False
    with tenant_scope(tenant.id):
        for model, ids in owned.items():
            rows = await model.filter(id__in=list(ids)).values_list("store_id", flat=True)
            named |= {UUID(str(store_id)) for store_id in rows}
    return bool(named & read_only)


class BillingReadOnly(SchemaExtension):
    """Refuses a read-only tenant's mutations before they run (one query for a tenant's mutation)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.operation_type == OperationType.MUTATION:
            tenant = getattr(context.context, "tenant", None)
            plugins = getattr(context.context, "plugins", None)
            if tenant is not None and plugins is not None and "billing" in plugins.loaded:
                fields = _root_fields(context.graphql_document, context.operation_name)
                names = None if fields is None else {f.name.value for f in fields}
                if names is None or not names <= ALWAYS_ALLOWED:
                    now = await standing(tenant)
                    if now.read_only:
                        context.result = ExecutionResult(data=None, errors=[ApiError(now.reason or "", READ_ONLY)])
                    elif now.configured and fields and now.plan.stores is not None and \
                            await _touches_read_only_store(tenant, fields, context.variables):
                        message = (f"This store is beyond the {now.plan.name} plan's {now.plan.stores} store(s): it "
                                   "is kept and read-only. Upgrade, or delete a store, to change it.")
                        context.result = ExecutionResult(data=None, errors=[ApiError(message, READ_ONLY_STORE)])
        yield
