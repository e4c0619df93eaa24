from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

from pejling.core.migration_ops import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [('vipps', '0002_row_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='VippsWebhookRegistration',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('msn', fields.CharField(max_length=10)),
                ('vipps_id', fields.CharField(max_length=100)),
                ('url', fields.CharField(max_length=2000)),
                ('events', fields.JSONField(default=list)),
                ('secret', fields.TextField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'vipps_webhook_registration', 'app': 'vipps', 'unique_together': (('tenant', 'msn'),), 'pk_attr': 'id', 'table_description': 'The webhook Pejling registered with the Vipps Webhooks API for one sales unit of the tenant.'},
            bases=['TenantModel'],
        ),
        TenantRowSecurity(),
    ]
