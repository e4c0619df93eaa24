from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('insights', '0001_initial'), ('surveys', '0001_initial'), ('tenants', '0001_initial'), ('tenants', '0002_plugin_setting')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoreDailyRollup',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='insight_store_rollups', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('n', fields.IntField(default=0)),
                ('n_flagged', fields.IntField(default=0)),
                ('o0', fields.IntField(default=0)),
                ('o1', fields.IntField(default=0)),
                ('o2', fields.IntField(default=0)),
                ('o3', fields.IntField(default=0)),
                ('o4', fields.IntField(default=0)),
                ('o5', fields.IntField(default=0)),
                ('o6', fields.IntField(default=0)),
                ('o7', fields.IntField(default=0)),
                ('o8', fields.IntField(default=0)),
                ('o9', fields.IntField(default=0)),
                ('o10', fields.IntField(default=0)),
                ('security_n', fields.IntField(default=0)),
                ('security_s', fields.FloatField(default=0)),
                ('security_ss', fields.FloatField(default=0)),
                ('ease_n', fields.IntField(default=0)),
                ('ease_s', fields.FloatField(default=0)),
                ('ease_ss', fields.FloatField(default=0)),
                ('autonomy_n', fields.IntField(default=0)),
                ('autonomy_s', fields.FloatField(default=0)),
                ('autonomy_ss', fields.FloatField(default=0)),
                ('recognition_n', fields.IntField(default=0)),
                ('recognition_s', fields.FloatField(default=0)),
                ('recognition_ss', fields.FloatField(default=0)),
                ('enjoyment_n', fields.IntField(default=0)),
                ('enjoyment_s', fields.FloatField(default=0)),
                ('enjoyment_ss', fields.FloatField(default=0)),
                ('discovery_n', fields.IntField(default=0)),
                ('discovery_s', fields.FloatField(default=0)),
                ('discovery_ss', fields.FloatField(default=0)),
                ('value_n', fields.IntField(default=0)),
                ('value_s', fields.FloatField(default=0)),
                ('value_ss', fields.FloatField(default=0)),
            ],
            options={'table': 'insights_store_daily', 'app': 'insights', 'unique_together': (('tenant', 'store', 'day'),), 'indexes': [Index(fields=['tenant_id', 'day'])], 'pk_attr': 'id', 'table_description': 'The chain view: sums of one tenant store and local day (all zones, channels and masks together).'},
            bases=['TenantModel'],
        ),
    ]
