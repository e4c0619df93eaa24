from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('surveys', '0006_channel_devices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SurveyCode',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='survey_codes', on_delete=OnDelete.CASCADE)),
                ('zone', fields.ForeignKeyField('tenants.Zone', source_field='zone_id', null=True, db_constraint=True, to_field='id', related_name='survey_codes', on_delete=OnDelete.CASCADE)),
                ('campaign', fields.CharField(default='', max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('scans', fields.IntField(default=0, description='Every visit of /q/<code>, retired or not')),
            ],
            options={'table': 'survey_code', 'app': 'surveys', 'pk_attr': 'id', 'table_description': 'A short code printed as a QR code (``/q/<code>``): it opens the survey of a store, or of one of its zones.'},
            bases=['TenantModel'],
        ),
    ]
