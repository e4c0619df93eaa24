"""The tenant scope: which tenant's rows a piece of code may touch.

Tenant-owned models (:class:`TenantModel`) can only be queried inside a scope. A query made without
one raises :class:`TenantScopeMissing` instead of returning every tenant's rows. The web layer
sets the scope per request (:mod:`pejling.tenants.middleware`); jobs and CLI commands set it
explicitly with :func:`tenant_scope`, and the rare code that must see all tenants says so with
:func:`all_tenants`.

The same walls hold below the ORM's single-row methods: bulk writes (``bulk_create``, ``bulk_update``, queryset
``update`` / ``delete``) stay inside the scope's tenant, and raw SQL runs only through :func:`tenant_sql` (which binds
the scope's tenant wherever the statement says ``{tenant}``) or, for system work, :func:`all_tenants_sql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any
from uuid import UUID

from tortoise import connections, fields
from tortoise.manager import Manager
from tortoise.models import Model, ModelMeta
from tortoise.queryset import MODEL, BulkCreateQuery, BulkUpdateQuery, QuerySet, RawSQLQuery, UpdateQuery

from pejling.core.database import prepare_sql

_ALL = object()
_scope: ContextVar[UUID | object | None] = ContextVar("pejling_tenant_scope", default=None)


class TenantScopeMissing(RuntimeError):
    """A tenant-owned model was queried or saved outside any tenant scope."""


class TenantScopeViolation(RuntimeError):
    """A row of one tenant was about to be written inside another tenant's scope."""


class TenantSQLRefused(TenantScopeViolation):
    """Raw SQL that would not stay inside the current tenant (no ``tenant_id = {tenant}`` where one is needed)."""


@contextmanager
def tenant_scope(tenant_id: UUID | str) -> Iterator[UUID]:
    """Run the block with ``tenant_id`` as the only tenant whose rows are visible."""
    value = tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id))
    token = _scope.set(value)
    try:
        yield value
    finally:
        _scope.reset(token)


@contextmanager
def all_tenants() -> Iterator[None]:
    """Run the block with every tenant visible: system jobs, migrations, sign-up. Use sparingly."""
    token = _scope.set(_ALL)
    try:
        yield
    finally:
        _scope.reset(token)


def current_tenant_id() -> UUID:
    """The tenant of the current scope; raises when there is none (or when all tenants are visible)."""
    value = _scope.get()
    if isinstance(value, UUID):
        return value
    raise TenantScopeMissing("this code needs a tenant scope (pejling.tenants.scope.tenant_scope)")


def current_tenant_id_or_none() -> UUID | None:
    value = _scope.get()
    return value if isinstance(value, UUID) else None


def database_setting() -> str:
    """What the current scope tells PostgreSQL's row-level security (the ``pejling.tenant`` setting,
    :mod:`pejling.core.row_security`): the tenant's id, ``*`` inside :func:`all_tenants`, or empty outside any scope,
    where the policies show no tenant's rows at all."""
    value = _scope.get()
    if isinstance(value, UUID):
        return str(value)
    return "*" if value is _ALL else ""


def _scoped_filter() -> UUID | None:
    value = _scope.get()
    if value is None:
        raise TenantScopeMissing(
            "tenant-owned rows queried outside a tenant scope; wrap the code in tenant_scope(...) "
            "or, for system work across tenants, all_tenants()"
        )
    return value if isinstance(value, UUID) else None


def _same_tenant(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _claim_row(row: Any, scope: UUID | None) -> None:
    """Give a new row the scope's tenant, or refuse it when it names another (the rule of ``save``)."""
    own = getattr(row, "tenant_id", None)
    if own is None:
        if scope is None:
            raise TenantScopeMissing("a new tenant-owned row needs a tenant scope or an explicit tenant")
        row.tenant_id = scope
    elif scope is not None and _same_tenant(own) != scope:
        raise TenantScopeViolation("this row belongs to another tenant than the current scope")


def _names_tenant(names: Iterable[str] | None) -> bool:
    return any(name in ("tenant", "tenant_id") for name in names or ())


# ---------------------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------------------


class TenantQuerySet(QuerySet[MODEL]):
    """The queries of a tenant-owned model. Reads, ``update`` and ``delete`` are filtered to the scope's tenant by
    :class:`TenantManager`; here the writes that filter cannot hold are checked the way ``save`` checks one row."""

    def bulk_create(
        self, objects: Iterable[MODEL], batch_size: int | None = None, ignore_conflicts: bool = False,
        update_fields: Iterable[str] | None = None, on_conflict: Iterable[str] | None = None,
    ) -> BulkCreateQuery[MODEL]:
        """New rows take the scope's tenant; inside a tenant's scope a row of another tenant is refused, and so is an
        upsert whose conflict target does not include the tenant (it could overwrite another tenant's row)."""
        scope = _scoped_filter()
        rows = list(objects)
        for row in rows:
            _claim_row(row, scope)
        if scope is not None and update_fields is not None:
            conflict = list(on_conflict or ())
            if not _names_tenant(conflict) or _names_tenant(update_fields):
                raise TenantScopeViolation("an upsert of tenant rows names the tenant in on_conflict, not in updates")
        return super().bulk_create(rows, batch_size, ignore_conflicts, update_fields, on_conflict)

    def bulk_update(
        self, objects: Iterable[MODEL], fields: Iterable[str], batch_size: int | None = None,
    ) -> BulkUpdateQuery[MODEL]:
        """Inside a tenant's scope: only that tenant's rows, and never to another tenant."""
        scope = _scoped_filter()
        rows, names = list(objects), list(fields)
        if scope is not None:
            if _names_tenant(names):
                raise TenantScopeViolation("bulk_update cannot move rows to another tenant")
            if any(_same_tenant(getattr(row, "tenant_id", None) or scope) != scope for row in rows):
                raise TenantScopeViolation("bulk_update of a row that belongs to another tenant than the current scope")
        return super().bulk_update(rows, names, batch_size)

    def update(self, **kwargs: Any) -> UpdateQuery:
        """Inside a tenant's scope the rows stay that tenant's."""
        scope = _scoped_filter()
        if scope is not None and _names_tenant(kwargs):
            given = kwargs["tenant_id"] if "tenant_id" in kwargs else getattr(kwargs["tenant"], "pk", kwargs["tenant"])
            if given is None or _same_tenant(given) != scope:
                raise TenantScopeViolation("update cannot move rows to another tenant")
        return super().update(**kwargs)

    def raw(self, sql: str) -> RawSQLQuery:
        raise TenantSQLRefused("raw SQL on tenant rows goes through pejling.tenants.scope.tenant_sql")


class TenantManager(Manager):
    """Every query of a tenant-owned model starts filtered to the current tenant."""

    #: The queryset class its queries start from; a model with stricter writes (the append-only audit log) gives a
    #: subclass of :class:`TenantQuerySet` through its own manager.
    queryset_class: type[TenantQuerySet[Any]] = TenantQuerySet

    def get_queryset(self) -> QuerySet:
        tenant_id = _scoped_filter()
        queryset: QuerySet = self.queryset_class(self._model)
        if tenant_id is not None:
            queryset = queryset.filter(tenant_id=tenant_id)
        return queryset


class TenantModelMeta(ModelMeta):
    """Gives every concrete tenant-owned model the scoped manager (Tortoise does not inherit ``Meta.manager``)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:  # noqa: N804
        cls: Any = super().__new__(mcs, name, bases, attrs)
        if not cls._meta.abstract:
            cls._meta.manager = TenantManager(cls)
        return cls


class TenantModel(Model, metaclass=TenantModelMeta):
    """Base of every model whose rows belong to one tenant (``tenant_id`` on each row)."""

    tenant: Any = fields.ForeignKeyField("tenants.Tenant", on_delete=fields.CASCADE, db_index=True)
    tenant_id: UUID

    class Meta:
        abstract = True

    async def save(self, *args: Any, **kwargs: Any) -> None:
        _claim_row(self, _scoped_filter())
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        scope = _scoped_filter()
        if scope is not None and _same_tenant(self.tenant_id) != scope:
            raise TenantScopeViolation("this row belongs to another tenant than the current scope")
        await super().delete(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------------
# Raw SQL
# ---------------------------------------------------------------------------------------------------------------------

TENANT = "{tenant}"
"""Where :func:`tenant_sql` puts the scope's tenant id: ``WHERE tenant_id = {tenant}``, ``VALUES (?, {tenant}, ?)``."""

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_SLOT = re.compile(r"\?|\{tenant\}")
_WORD = re.compile(r"[A-Za-z_][\w.]*|\{tenant\}|\S")
_TABLE = re.compile(r"\b(?:FROM|JOIN)\s+[A-Za-z_]", re.IGNORECASE)
_TENANT_TEST = re.compile(r"(?<![\w.])(?:\w+\.)?tenant_id\s*(=|<>|!=|<|>|\bIN\b|\bIS\b|\bLIKE\b)\s*(\{tenant\})?",
                          re.IGNORECASE)
_CONFLICT = re.compile(r"\bON\s+CONFLICT\s*\(([^)]*)\)\s*DO\s+UPDATE\b", re.IGNORECASE)
_DO_UPDATE = re.compile(r"\bDO\s+UPDATE\b", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+\w+\s*\(([^)]*)\)\s*VALUES\s*", re.IGNORECASE)


def _masked(sql: str) -> str:
    """``sql`` with the inside of every string literal blanked (same length), so only the statement's own text is
    read. A ``?`` or ``{tenant}`` inside a literal is refused: the placeholders would no longer line up."""
    masked = _LITERAL.sub(lambda m: "'" + " " * (len(m.group()) - 2) + "'", sql)
    if _SLOT.findall(masked) != _SLOT.findall(sql):
        raise TenantSQLRefused("no ? or {tenant} inside a string literal of raw SQL")
    return masked


def _group(text: str, at: int) -> str:
    """The text at the parenthesis depth of position ``at``, with deeper groups left out."""
    depth, start = 0, 0
    for i in range(at - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth < 0:
            start = i + 1
            break
    out, depth = [], 0
    for char in text[start:]:
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            out.append(char)
            continue
        out.append(" ")
    return "".join(out)


@lru_cache(maxsize=1024)
def _check_tenant_sql(sql: str) -> None:
    """Refuse raw SQL that could read or write another tenant's rows. A guard against a forgotten or weakened tenant
    filter in our own statements, not a SQL parser: it asks for

    * one statement, SELECT / WITH / INSERT / UPDATE / DELETE;
    * ``tenant_id`` compared only as ``tenant_id = {tenant}`` (so a statement cannot move rows to another tenant);
    * a ``[alias.]tenant_id = {tenant}`` after WHERE, AND or ON for every table named after FROM or JOIN (also a
      ``FROM`` inside ``EXTRACT(… FROM …)`` counts), never next to an OR at the same level of parentheses;
    * in an INSERT, ``{tenant}`` as the value of its ``tenant_id`` column, and the tenant in the conflict target of
      ``ON CONFLICT (...) DO UPDATE``.
    """
    text = _masked(sql)
    if ";" in text.strip().rstrip(";"):
        raise TenantSQLRefused("one statement at a time")
    words = [w.upper() for w in _WORD.findall(text)]
    kind = words[0] if words else ""
    if kind not in ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE"):
        raise TenantSQLRefused(f"tenant_sql runs SELECT, WITH, INSERT, UPDATE and DELETE, not {kind or 'nothing'}")
    predicates = 0
    for match in _TENANT_TEST.finditer(text):
        if match.group(1) != "=" or not match.group(2):
            raise TenantSQLRefused("tenant_id may only be compared as tenant_id = {tenant}")
        before = _WORD.findall(text[:match.start()])
        if not before or before[-1].upper() not in ("WHERE", "AND", "ON"):
            continue  # SET tenant_id = {tenant}: harmless, but no filter
        if re.search(r"\bOR\b", _group(text, match.start()), re.IGNORECASE):
            raise TenantSQLRefused("tenant_id = {tenant} must not stand next to an OR: put the OR in parentheses")
        predicates += 1
    tables = len(_TABLE.findall(text)) + (kind == "UPDATE")
    if predicates < tables:
        raise TenantSQLRefused(
            f"raw SQL on tenant rows needs tenant_id = {{tenant}} for each table it reads ({tables}), has {predicates}"
        )
    if kind == "INSERT":
        _check_insert(text)


def _check_insert(text: str) -> None:
    if TENANT not in text:
        raise TenantSQLRefused("an INSERT of tenant rows gives tenant_id the value {tenant}")
    conflict = _CONFLICT.search(text)
    targets = [c.strip().lower() for c in conflict.group(1).split(",")] if conflict else []
    if _DO_UPDATE.search(text) and "tenant_id" not in targets:
        raise TenantSQLRefused("ON CONFLICT (...) DO UPDATE of tenant rows needs tenant_id in the conflict target")
    insert = _INSERT.match(text)
    if insert is None:
        return  # INSERT … SELECT: the SELECT's tables were checked above
    columns = [c.strip().lower() for c in insert.group(1).split(",")]
    values = _group(text, insert.end() + 1).split(",")
    if "tenant_id" not in columns or len(values) != len(columns):
        raise TenantSQLRefused("an INSERT of tenant rows lists tenant_id among its columns, one value each")
    if values[columns.index("tenant_id")].strip() != TENANT:
        raise TenantSQLRefused("an INSERT of tenant rows gives tenant_id the value {tenant}")


#: Tables raw SQL may read and insert into but never change (:func:`append_only`): the audit log.
_APPEND_ONLY: set[str] = set()
_CHANGES_TABLE = re.compile(r"\b(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?)\s+\"?(\w+)", re.IGNORECASE)


class AppendOnlyRefused(TenantSQLRefused):
    """Raw SQL that would change or delete rows of an append-only table."""


def append_only(table: str) -> None:
    """From now on, refuse raw SQL (:func:`tenant_sql`, :func:`all_tenants_sql`) that updates, deletes or truncates
    ``table``. The model keeps its own ORM paths closed (e.g. :class:`pejling.core.audit.models.AuditEntry`)."""
    _APPEND_ONLY.add(table.lower())


def is_append_only(table: str) -> bool:
    """Whether ``table`` was declared append-only (:func:`append_only`): its rows go only with their tenant."""
    return table.lower() in _APPEND_ONLY


def append_only_tables() -> frozenset[str]:
    """Every table declared append-only so far (the database denies the application's role changes to them)."""
    return frozenset(_APPEND_ONLY)


def _check_append_only(masked: str) -> None:
    for match in _CHANGES_TABLE.finditer(masked):
        if match.group(1).lower() in _APPEND_ONLY:
            raise AppendOnlyRefused(f"{match.group(1)} is append-only: raw SQL may not update or delete its rows")


class Statement:
    """Raw SQL written with ``?`` for values (and ``{tenant}`` for the scope's tenant), run on the connection of the
    current context (the open transaction, if any) on SQLite or PostgreSQL (:func:`pejling.core.database.prepare_sql`).

    Made by :func:`tenant_sql` and :func:`all_tenants_sql`; it is checked when it is made (so a module may keep its
    statements as constants), and reads the tenant from the scope each time it runs.
    """

    def __init__(self, sql: str, *, cross_tenant: bool) -> None:
        if not cross_tenant:
            _check_tenant_sql(sql)
        elif TENANT in sql:
            raise TenantSQLRefused("all_tenants_sql has no tenant to put in {tenant}; use tenant_sql")
        self.sql = sql
        self.cross_tenant = cross_tenant
        masked = _masked(sql)
        _check_append_only(masked)
        self._slots = [m.group() == TENANT for m in _SLOT.finditer(masked)]
        self._text = sql.replace(TENANT, "?")

    def __repr__(self) -> str:
        return f"<Statement {'all tenants' if self.cross_tenant else 'tenant'}: {self.sql!r}>"

    def _tenant(self) -> UUID | None:
        value = _scope.get()
        if self.cross_tenant:
            if value is not _ALL:
                raise TenantScopeMissing("cross-tenant SQL (all_tenants_sql) runs only inside all_tenants()")
            return None
        return current_tenant_id()

    def _values(self, tenant: UUID | None, values: Sequence[Any]) -> list[Any]:
        given = iter(values)
        expected = self._slots.count(False)
        if len(values) != expected:
            raise TypeError(f"this statement takes {expected} values, got {len(values)}")
        return [tenant if slot else next(given) for slot in self._slots]

    async def rows(self, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows the statement returns (a SELECT, or anything with RETURNING), as dicts."""
        client = connections.get("default")
        query, params = prepare_sql(client, self._text, self._values(self._tenant(), values))
        return list(await client.execute_query_dict(query, params))

    async def execute(self, values: Sequence[Any] = ()) -> int:
        """Run the statement; returns how many rows it changed."""
        client = connections.get("default")
        query, params = prepare_sql(client, self._text, self._values(self._tenant(), values))
        changed, _ = await client.execute_query(query, params)
        return int(changed)

    async def execute_batch(self, rows: Sequence[Sequence[Any]]) -> None:
        """Run the statement once per row of values (one round trip where the driver allows)."""
        if not rows:
            return
        tenant = self._tenant()
        client = connections.get("default")
        query, _ = prepare_sql(client, self._text, self._values(tenant, rows[0]))
        await client.execute_many(query, [prepare_sql(client, self._text, self._values(tenant, r))[1] for r in rows])


def tenant_sql(sql: str) -> Statement:
    """Raw SQL on tenant rows, bound to the current tenant scope: ``{tenant}`` marks where the scope's tenant id goes
    (``WHERE tenant_id = {tenant}``, ``VALUES (?, {tenant}, …)``), ``?`` the other values, in order.

    SQL that could reach another tenant's rows is refused at once (:class:`TenantSQLRefused`, see
    :func:`_check_tenant_sql`); running the statement outside a tenant scope raises :class:`TenantScopeMissing`.
    """
    return Statement(sql, cross_tenant=False)


def all_tenants_sql(sql: str) -> Statement:
    """Raw SQL for system work across tenants (the job queue's claims): runs only inside :func:`all_tenants`."""
    return Statement(sql, cross_tenant=True)


async def copy_tenant_rows(table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL ``COPY`` of new rows into a tenant table: each record gets the scope's tenant as ``tenant_id``.

    Row-level security refuses ``COPY FROM`` into its tables, so the rows are copied into a temporary table of the
    same columns (dropped at commit) and moved with one ``INSERT … SELECT``, which the policy checks row by row."""
    tenant = current_tenant_id()
    if _names_tenant(columns):
        raise TenantSQLRefused("copy_tenant_rows adds tenant_id itself")
    rows = [(tenant, *record) for record in records]
    names = ", ".join(f'"{name}"' for name in ["tenant_id", *columns])
    staging = f"_copy_{table}"
    async with connections.get("default").acquire_connection() as connection, connection.transaction():
        await connection.execute(
            f'CREATE TEMPORARY TABLE "{staging}" ON COMMIT DROP AS SELECT {names} FROM "{table}" WITH NO DATA'  # noqa: S608 - our names
        )
        await connection.copy_records_to_table(staging, records=rows, columns=["tenant_id", *columns])
        await connection.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{staging}"')  # noqa: S608 - our names
        await connection.execute(f'DROP TABLE "{staging}"')
