from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tenants', '0005_submission_limits')]

    initial = True

    operations = [
        ops.CreateModel(
            name='VippsPayment',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('reference', fields.CharField(max_length=64)),
                ('msn', fields.CharField(max_length=10)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharField(default='', max_length=16)),
                ('state_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('link_token', fields.CharField(null=True, unique=True, max_length=43)),
                ('captured_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('response_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'vipps_payment', 'app': 'vipps', 'unique_together': (('tenant', 'reference'),), 'pk_attr': 'id', 'table_description': 'One Vipps payment of the tenant (by its reference), its state and the survey link of its purchase.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='VippsEvent',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('vipps.VippsPayment', source_field='payment_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=200)),
                ('name', fields.CharField(max_length=16)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('applied_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'vipps_event', 'app': 'vipps', 'unique_together': (('tenant', 'key'),), 'pk_attr': 'id', 'table_description': 'One webhook event of a payment, kept once per idempotency key (applied_at: when it counted in the state).'},
            bases=['TenantModel'],
        ),
    ]
