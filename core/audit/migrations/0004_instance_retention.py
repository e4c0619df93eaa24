from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# PostgreSQL only: the application role may not delete from audit_instance_entry (it is append-only, see
# core/row_security.py). This function, owned by the migration role and run with its rights, deletes only entries
# older than the cutoff it is given and older than 90 days by the database's clock (pejling.core.audit.retention).

_FUNCTION = """
CREATE OR REPLACE FUNCTION pejling_purge_audit_instance_entries(cutoff timestamptz) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    WITH gone AS (
        DELETE FROM audit_instance_entry WHERE at < LEAST(cutoff, now() - interval '90 days') RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;
"""


class InstanceRetentionFunction(ops.RunPython):
    """Creates (and on the way back drops) the purge function on PostgreSQL; nothing on SQLite."""

    def __init__(self) -> None:
        super().__init__(self._noop, self._noop)

    @staticmethod
    def _noop(apps: Any, schema_editor: Any) -> None:
        return None

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                               ) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(_FUNCTION)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
                                ) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(
                "DROP FUNCTION IF EXISTS pejling_purge_audit_instance_entries(timestamptz);")


class Migration(migrations.Migration):
    dependencies = [('audit', '0003_instance_entries')]

    initial = False

    operations = [InstanceRetentionFunction()]
