from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('sso', '0001_initial'), ('tenants', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SsoIdentity',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('issuer', fields.CharField(max_length=500)),
                ('subject', fields.CharField(max_length=255)),
                ('user', fields.ForeignKeyField('tenants.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sso_identities', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sso_identity', 'app': 'sso', 'unique_together': (('tenant', 'issuer', 'subject'), ('tenant', 'issuer', 'user')), 'pk_attr': 'id', 'table_description': "Which person at the tenant's identity provider (issuer and ``sub``, the provider's stable id) an account is."},
            bases=['TenantModel'],
        ),
    ]
