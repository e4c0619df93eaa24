from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tenants', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PluginSetting',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('plugin', fields.CharField(max_length=100)),
                ('enabled', fields.BooleanField(default=True)),
                ('config', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'plugin_setting', 'app': 'tenants', 'unique_together': (('tenant', 'plugin'),), 'pk_attr': 'id', 'table_description': 'A tenant choice for one plugin: enabled or not, with its validated configuration.'},
            bases=['TenantModel'],
        ),
    ]
