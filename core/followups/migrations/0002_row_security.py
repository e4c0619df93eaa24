"""PostgreSQL row-level security on the followups app's tenant tables (pejling.core.row_security); nothing on SQLite."""

from tortoise import migrations

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('followups', '0001_initial')]

    initial = False

    operations = [TenantRowSecurity()]
