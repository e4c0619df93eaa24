"""PostgreSQL row-level security on the webhooks app's tenant tables (pejling.core.row_security); nothing on SQLite."""

from tortoise import migrations

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('webhooks', '0002_rotation_grace')]

    initial = False

    operations = [TenantRowSecurity()]
