from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('tenants', '0004_invitations_pending_signups')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tenant',
            name='submission_limit',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Store',
            name='submission_limit',
            field=fields.IntField(null=True),
        ),
    ]
