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
