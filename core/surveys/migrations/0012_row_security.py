"""PostgreSQL row-level security on the surveys app's tenant tables (pejling.core.row_security); nothing on SQLite."""

from tortoise import migrations

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('surveys', '0011_verified_visit')]

    initial = False

    operations = [TenantRowSecurity()]
