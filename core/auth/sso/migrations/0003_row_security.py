"""PostgreSQL row-level security on the sso app's tenant tables (pejling.core.row_security); nothing on SQLite."""

from tortoise import migrations

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('sso', '0002_sso_identity')]

    initial = False

    operations = [TenantRowSecurity()]
