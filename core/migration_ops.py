"""Migration operations of our own, for the migrations of every app.

:class:`AddColumnWithDefault` adds a NOT NULL column to a table that may already have rows: SQLite and PostgreSQL
refuse such a column without a database default, so the column is created with ``DEFAULT <value>`` while the model
state keeps the plain field (every insert of the application writes the column anyway).

:class:`TenantRowSecurity` puts PostgreSQL's row-level security (:mod:`pejling.core.row_security`) on every table of
the migration's app whose rows belong to a tenant; an app adding a tenant table later runs it again.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AddColumnWithDefault(ops.AddField):
    """``AddField`` whose database column gets ``DEFAULT db_default`` (existing rows get that value)."""

    def __init__(self, *, model_name: str, name: str, field: Any, db_default: Any) -> None:
        super().__init__(model_name=model_name, name=name, field=field)
        self.db_default = db_default

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                               ) -> None:
        if not state_editor:
            return
        field = new_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.fields_map[self.name]
        unset = field.db_default
        field.db_default = self.db_default
        try:
            await super().database_forward(app_label, old_state, new_state, state_editor)
        finally:
            field.db_default = unset


class TenantRowSecurity(ops.RunPython):
    """On PostgreSQL: row-level security, enabled and forced, with the tenant policy, on each table of this app that
    has a ``tenant`` foreign key (as the app's models stand at this migration). Nothing on SQLite. Reversible."""

    def __init__(self) -> None:
        super().__init__(self._noop, self._noop)

    @staticmethod
    def _noop(apps: Any, schema_editor: Any) -> None:
        return None

    @staticmethod
    def tenant_tables(state: Any, app_label: str) -> list[str]:
        models = state.apps.apps.get(app_label, {})
        return sorted(m._meta.db_table for m in models.values() if "tenant" in m._meta.fields_map)

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                               ) -> None:
        if not state_editor or state_editor.client.capabilities.dialect != "postgres":
            return
        from pejling.core.row_security import enable_row_security

        for table in self.tenant_tables(new_state, app_label):
            await enable_row_security(state_editor.client, table)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                                ) -> None:
        if not state_editor or state_editor.client.capabilities.dialect != "postgres":
            return
        from pejling.core.row_security import disable_row_security

        for table in self.tenant_tables(old_state, app_label):
            await disable_row_security(state_editor.client, table)


#: The trigger function of :class:`ContentStampTriggers`: counts up ``tenant.content_stamp`` of the changed row's
#: tenant (both tenants when a row moved between them, which the application never does).
_STAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION pejling_content_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE tenant SET content_stamp = content_stamp + 1 WHERE id = OLD.tenant_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.tenant_id IS DISTINCT FROM OLD.tenant_id) THEN
        UPDATE tenant SET content_stamp = content_stamp + 1 WHERE id = NEW.tenant_id;
    END IF;
    RETURN NULL;
END $$;
"""


#: Any other change of a tenant row counts the stamp up too, and a save of the row with a stale stamp (the ORM writes
#: every column) can never take it back: the stamp only grows.
_TENANT_FUNCTION = """
CREATE OR REPLACE FUNCTION pejling_content_stamp_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.content_stamp := GREATEST(NEW.content_stamp, OLD.content_stamp + 1);
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS pejling_content_stamp_tenant ON tenant;
CREATE TRIGGER pejling_content_stamp_tenant BEFORE UPDATE ON tenant
    FOR EACH ROW EXECUTE FUNCTION pejling_content_stamp_tenant();
"""
_TENANT_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS pejling_content_stamp_tenant AFTER UPDATE ON tenant "
    "WHEN NEW.content_stamp <= OLD.content_stamp "
    "BEGIN UPDATE tenant SET content_stamp = OLD.content_stamp + 1 WHERE id = NEW.id; END;"
)


def _stamp_trigger(table: str) -> str:
    return f"pejling_content_stamp_{table}"


class ContentStampTriggers(ops.RunPython):
    """Database triggers that count ``tenant.content_stamp`` up whenever a row of one of ``tables`` (each with a
    ``tenant_id``) is inserted, updated or deleted, by whatever writer: the ORM, bulk updates, raw SQL, cascades.

    The survey page cache (:mod:`pejling.core.surveys.page_cache`) keys its copies by that stamp, so a change of
    anything a page shows is seen by every process at the next request. PostgreSQL: one trigger function, one row
    trigger per table. SQLite: three triggers per table (insert, update, delete). With ``tenant=True`` also a trigger
    on ``tenant`` itself: every update of a tenant row counts its stamp up, and none takes it back. Reversible."""

    def __init__(self, tables: list[str], *, tenant: bool = False) -> None:
        super().__init__(self._noop, self._noop)
        self.tables = list(tables)
        self.tenant = tenant

    @staticmethod
    def _noop(apps: Any, schema_editor: Any) -> None:
        return None

    @staticmethod
    def _sqlite_triggers(table: str) -> str:
        bump = "UPDATE tenant SET content_stamp = content_stamp + 1 WHERE id"
        name = _stamp_trigger(table)
        return (
            f'CREATE TRIGGER IF NOT EXISTS {name}_insert AFTER INSERT ON "{table}" BEGIN {bump} = NEW.tenant_id; END;'
            f'CREATE TRIGGER IF NOT EXISTS {name}_update AFTER UPDATE ON "{table}" '
            f"BEGIN {bump} IN (OLD.tenant_id, NEW.tenant_id); END;"
            f'CREATE TRIGGER IF NOT EXISTS {name}_delete AFTER DELETE ON "{table}" BEGIN {bump} = OLD.tenant_id; END;'
        )

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                               ) -> None:
        if not state_editor:
            return
        client = state_editor.client
        if client.capabilities.dialect == "postgres":
            script = [_STAMP_FUNCTION, _TENANT_FUNCTION if self.tenant else ""]
            for table in self.tables:
                name = _stamp_trigger(table)
                script.append(f'DROP TRIGGER IF EXISTS {name} ON "{table}";'
                              f'CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                              "FOR EACH ROW EXECUTE FUNCTION pejling_content_stamp();")
            await client.execute_script("".join(script))
        else:
            script = [self._sqlite_triggers(table) for table in self.tables]
            await client.execute_script("".join([_TENANT_SQLITE if self.tenant else "", *script]))

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                                ) -> None:
        if not state_editor:
            return
        client = state_editor.client
        if client.capabilities.dialect == "postgres":
            tenant = "DROP TRIGGER IF EXISTS pejling_content_stamp_tenant ON tenant;" if self.tenant else ""
            await client.execute_script(tenant + "".join(
                f'DROP TRIGGER IF EXISTS {_stamp_trigger(table)} ON "{table}";' for table in self.tables))
        else:
            tenant = "DROP TRIGGER IF EXISTS pejling_content_stamp_tenant;" if self.tenant else ""
            await client.execute_script(tenant + "".join(
                f"DROP TRIGGER IF EXISTS {_stamp_trigger(table)}_{kind};"
                for table in self.tables for kind in ("insert", "update", "delete")))


#: The trigger function of :class:`ContentStampNotices`: after a tenant row's stamp moved (or the row went), tell
#: every listening process ``<tenant id>:<stamp>`` on ``pejling_content_stamp`` (``pejling.core.change_notices``).
#: ``pg_notify`` is sent when the transaction commits, so a process hears of a change once it can read it.
_NOTICE_FUNCTION = """
CREATE OR REPLACE FUNCTION pejling_content_stamp_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('pejling_content_stamp', OLD.id::text || ':' || (OLD.content_stamp + 1)::text);
    ELSIF NEW.content_stamp IS DISTINCT FROM OLD.content_stamp THEN
        PERFORM pg_notify('pejling_content_stamp', NEW.id::text || ':' || NEW.content_stamp::text);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS pejling_content_stamp_notice ON tenant;
CREATE TRIGGER pejling_content_stamp_notice AFTER UPDATE OR DELETE ON tenant
    FOR EACH ROW EXECUTE FUNCTION pejling_content_stamp_notice();
"""


class PostgresScript(ops.RunPython):
    """SQL run on PostgreSQL only (a function, a trigger), ``forward`` on the way up and ``backward`` on the way
    down; nothing on SQLite. Reversible."""

    def __init__(self, forward: str, backward: str) -> None:
        super().__init__(self._noop, self._noop)
        self.forward = forward
        self.backward = backward

    @staticmethod
    def _noop(apps: Any, schema_editor: Any) -> None:
        return None

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                               ) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(self.forward)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                                ) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(self.backward)


class ContentStampNotices(PostgresScript):
    """On PostgreSQL: a trigger on ``tenant`` that notifies ``pejling_content_stamp`` of every new content stamp
    (and of a deleted tenant), so each process's :mod:`pejling.core.change_notices` hears of a change without asking.
    Every stamp change is an update of the tenant row (:class:`ContentStampTriggers`), so one trigger hears them all.
    Nothing on SQLite (no ``NOTIFY``). Reversible."""

    def __init__(self) -> None:
        super().__init__(_NOTICE_FUNCTION, "DROP TRIGGER IF EXISTS pejling_content_stamp_notice ON tenant;"
                                           "DROP FUNCTION IF EXISTS pejling_content_stamp_notice();")
