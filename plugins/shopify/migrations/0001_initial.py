from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tenants', '0005_submission_limits')]

    initial = True

    operations = [
        ops.CreateModel(
            name='ShopifyDataRequest',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('shop', fields.CharField(max_length=255)),
                ('request_id', fields.CharField(null=True, max_length=40)),
                ('customer_id', fields.CharField(null=True, max_length=20)),
                ('email_hash', fields.CharField(null=True, max_length=64)),
                ('export', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'shopify_data_request', 'app': 'shopify', 'pk_attr': 'id', 'table_description': "A customer's data request (``customers/data_request``) and the export made for the retailer to hand over."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='ShopifyOrder',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('shop', fields.CharField(max_length=255)),
                ('order_id', fields.CharField(max_length=20)),
                ('customer_id', fields.CharField(null=True, max_length=20)),
                ('email_hash', fields.CharField(db_index=True, max_length=64)),
                ('sealed_email', fields.TextField(null=True, description='Until the invitation is sent, then cleared', unique=False)),
                ('lawful_basis', fields.CharField(max_length=32)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='shopify_orders', on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(max_length=5)),
                ('invite_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='scheduled', max_length=16)),
                ('skipped_because', fields.CharField(null=True, max_length=32)),
                ('invitation_id', fields.UUIDField(null=True, db_index=True)),
                ('reward_code', fields.CharField(null=True, max_length=40)),
                ('reward_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'shopify_order', 'app': 'shopify', 'unique_together': (('tenant', 'shop', 'order_id'),), 'pk_attr': 'id', 'table_description': 'A paid order with a lawful basis to invite its customer, the invitation scheduled for it and what came of it.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='ShopifyShop',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('shop', fields.CharField(unique=True, description="The shop's ….myshopify.com domain", max_length=255)),
                ('sealed_token', fields.TextField(null=True, unique=False)),
                ('scopes', fields.CharField(default='', max_length=500)),
                ('installed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('uninstalled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'shopify_shop', 'app': 'shopify', 'pk_attr': 'id', 'table_description': 'A Shopify shop installed by a tenant, with its offline access token sealed (forgotten on uninstall).'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='ShopifyWebhook',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('webhook_id', fields.CharField(max_length=100)),
                ('topic', fields.CharField(max_length=64)),
                ('shop', fields.CharField(max_length=255)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'shopify_webhook', 'app': 'shopify', 'unique_together': (('tenant', 'webhook_id'),), 'pk_attr': 'id', 'table_description': 'A webhook delivery already handled (``X-Shopify-Webhook-Id``), so a retry or a replay changes nothing.'},
            bases=['TenantModel'],
        ),
    ]
