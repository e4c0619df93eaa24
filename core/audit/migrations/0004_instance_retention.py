from tortoise import migrations

from pejling.core.migration_ops import PostgresScript

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


class Migration(migrations.Migration):
    dependencies = [('audit', '0003_instance_entries')]

    initial = False

    operations = [
        PostgresScript(_FUNCTION, "DROP FUNCTION IF EXISTS pejling_purge_audit_instance_entries(timestamptz);"),
    ]
