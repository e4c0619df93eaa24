"""PostgreSQL row-level security on the tenants app's tenant tables (pejling.core.row_security); nothing on SQLite."""

from tortoise import migrations

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('tenants', '0006_retention')]

    initial = False

    operations = [TenantRowSecurity()]
