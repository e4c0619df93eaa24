from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('surveys', '0005_invitation_mail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChannelDevice',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=64)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='channel_devices', on_delete=OnDelete.CASCADE)),
                ('zone', fields.ForeignKeyField('tenants.Zone', source_field='zone_id', null=True, db_constraint=True, to_field='id', related_name='channel_devices', on_delete=OnDelete.SET_NULL)),
                ('label', fields.CharField(max_length=100)),
                ('secret', fields.TextField(null=True, unique=False, description='The device secret, AES-GCM encrypted, never logged')),
                ('token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('counter', fields.BigIntField(default=-1, description='The highest tap counter accepted (-1 before the first)')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'survey_channel_device', 'app': 'surveys', 'indexes': [Index(fields=['tenant_id', 'channel', 'store_id'])], 'pk_attr': 'id', 'table_description': 'A registered thing in a store that shoppers answer through: an NFC tag, a kiosk tablet.'},
            bases=['TenantModel'],
        ),
    ]
