from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.tenants.models import Role
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tenants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='SsoConfiguration',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('issuer', fields.CharField(max_length=500)),
                ('authorization_endpoint', fields.CharField(max_length=1000)),
                ('token_endpoint', fields.CharField(max_length=1000)),
                ('jwks_uri', fields.CharField(max_length=1000)),
                ('client_id', fields.CharField(max_length=255)),
                ('client_secret_sealed', fields.TextField(unique=False)),
                ('client_secret_fingerprint', fields.CharField(max_length=20)),
                ('allowed_domains', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('default_role', fields.CharEnumField(default=Role.ANALYST, description='OWNER: owner\nADMIN: admin\nANALYST: analyst\nSTORE_MANAGER: store_manager', enum_type=Role, max_length=20)),
                ('sso_only', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'sso_configuration', 'app': 'sso', 'unique_together': (('tenant',),), 'pk_attr': 'id', 'table_description': "A tenant's OpenID Connect identity provider. The client secret is sealed (never returned, never logged)."},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='SsoLoginAttempt',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('nonce', fields.CharField(max_length=100)),
                ('code_verifier', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sso_login_attempt', 'app': 'sso', 'pk_attr': 'id', 'table_description': 'A login at the identity provider, not back yet: state digest, nonce, PKCE verifier. Used once, then deleted.'},
            bases=['TenantModel'],
        ),
    ]
