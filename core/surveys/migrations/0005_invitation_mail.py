from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('surveys', '0004_model_items')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Invitation',
            name='sending_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False, description='When a delivery attempt claimed the invitation'),
        ),
        ops.AddField(
            model_name='Invitation',
            name='sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False, description='When the channel accepted the invitation for delivery'),
        ),
        ops.CreateModel(
            name='Suppression',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=64)),
                ('address_hash', fields.CharField(max_length=64)),
                ('reason', fields.CharField(default='unsubscribed', max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_suppression', 'app': 'surveys', 'unique_together': (('tenant', 'channel', 'address_hash'),), 'pk_attr': 'id', 'table_description': 'An address that gets no more invitations from the tenant on a channel (unsubscribed, bounced, or asked).'},
            bases=['TenantModel'],
        ),
    ]
