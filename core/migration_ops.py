"""Migration operations of our own, for the migrations of every app.

:class:`AddColumnWithDefault` adds a NOT NULL column to a table that may already have rows: SQLite and PostgreSQL
refuse such a column without a database default, so the column is created with ``DEFAULT <value>`` while the model
state keeps the plain field (every insert of the application writes the column anyway).
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
