"""A password the system generated is marked with its expiry, to be changed on first use
(core/auth/generated_passwords.py). Every existing person gets null: nothing marked their password before."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('tenants', '0009_require_two_step')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='generated_password_expires_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
