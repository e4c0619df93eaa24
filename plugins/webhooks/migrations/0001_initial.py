from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.plugins.webhooks.models import DeliveryStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('tenants', '0005_submission_limits')]

    initial = True

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=2000)),
                ('description', fields.CharField(default='', max_length=200)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enabled', fields.BooleanField(default=True)),
                ('secret_sealed', fields.TextField(unique=False)),
                ('secret_fingerprint', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'webhooks', 'pk_attr': 'id', 'table_description': "An HTTPS address of an integrator that receives the tenant's events, signed with its own secret."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('webhooks.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.UUIDField()),
                ('event_type', fields.CharField(max_length=50)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nRETRYING: retrying\nDELIVERED: delivered\nFAILED: failed', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_response_code', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('next_retry_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'webhooks', 'indexes': [Index(fields=['tenant_id', 'endpoint_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One event sent to one endpoint: the exact body, its status and when it is tried next.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('webhooks.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('response_code', fields.IntField(null=True)),
                ('response_excerpt', fields.CharField(default='', max_length=300)),
                ('error', fields.CharField(null=True, max_length=300)),
                ('succeeded', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_attempt', 'app': 'webhooks', 'unique_together': (('delivery', 'number'),), 'pk_attr': 'id', 'table_description': "One try of a delivery: the answer's status code and a short excerpt of its body, or why it failed."},
            bases=['TenantModel'],
        ),
    ]
