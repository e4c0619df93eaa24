"""PostgreSQL row-level security on the insights app's tenant tables (pejling.core.row_security); nothing on SQLite."""

from tortoise import migrations

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('insights', '0003_strength_moderation')]

    initial = False

    operations = [TenantRowSecurity()]
