"""A tenant may require two-step login of its members who log in with a password (core/auth/two_step_rule.py)."""

from tortoise import fields, migrations

from pejling.core.migration_ops import AddColumnWithDefault


class Migration(migrations.Migration):
    dependencies = [('tenants', '0008_content_stamp')]

    initial = False

    operations = [
        AddColumnWithDefault(
            model_name='Tenant',
            name='require_two_step',
            field=fields.BooleanField(default=False),
            db_default=False,
        ),
    ]
