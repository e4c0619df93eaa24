"""Whether a session was opened by single sign-on: a tenant's two-step rule applies to password logins only."""

from tortoise import fields, migrations

from pejling.core.migration_ops import AddColumnWithDefault


class Migration(migrations.Migration):
    dependencies = [('accounts', '0003_two_step_login')]

    initial = False

    operations = [
        AddColumnWithDefault(
            model_name='Session',
            name='via_sso',
            field=fields.BooleanField(default=False),
            db_default=False,
        ),
    ]
