from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.plugins.billing.models import BillingState
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tenants', '0005_submission_limits')]

    initial = True

    operations = [
        ops.CreateModel(
            name='OverQuotaResponse',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('response_id', fields.UUIDField(unique=True)),
                ('month', fields.CharField(max_length=7)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_over_quota_response', 'app': 'billing', 'pk_attr': 'id', 'table_description': "A shopper response stored after the plan's monthly responses were used up: kept, marked, shown to the portal."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='StripeEvent',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=255)),
                ('type', fields.CharField(max_length=100)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_stripe_event', 'app': 'billing', 'pk_attr': 'id', 'table_description': 'A Stripe event received by the webhook, stored once by its id (a replay is acknowledged and ignored).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('plan', fields.CharField(default='pilot', max_length=40)),
                ('state', fields.CharEnumField(default=BillingState.PILOT, description='PILOT: pilot\nTRIALING: trialing\nACTIVE: active\nPAST_DUE: past_due\nUNPAID: unpaid\nCANCELED: canceled', enum_type=BillingState, max_length=16)),
                ('stripe_status', fields.CharField(null=True, description="Stripe's own status of the subscription (``incomplete`` after a declined first payment, …).", max_length=32)),
                ('stripe_customer_id', fields.CharField(null=True, db_index=True, max_length=255)),
                ('stripe_subscription_id', fields.CharField(null=True, db_index=True, max_length=255)),
                ('current_period_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('pilot_ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('trial_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('past_due_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('synced_at', fields.DatetimeField(null=True, description="When Stripe's view of the subscription was applied last.", auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_subscription', 'app': 'billing', 'unique_together': (('tenant',),), 'pk_attr': 'id', 'table_description': "A tenant's plan and subscription state, with the Stripe ids it is kept in step with. One per tenant."},
            bases=['TenantModel'],
        ),
    ]
