from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tenants', '0002_plugin_setting')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tenant',
            name='brand_colour',
            field=fields.CharField(default='#1f5f8b', max_length=7),
        ),
        ops.AddField(
            model_name='Tenant',
            name='logo',
            field=fields.BinaryField(null=True),
        ),
        ops.AddField(
            model_name='Tenant',
            name='logo_type',
            field=fields.CharField(null=True, max_length=20),
        ),
        ops.AddField(
            model_name='Tenant',
            name='logo_version',
            field=fields.IntField(default=0),
        ),
    ]
