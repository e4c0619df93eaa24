"""Two-step login (core/auth/two_step.py): a person's TOTP authenticator, sealed, and their hashed recovery codes.

Neither table is a tenant table: like sessions, they belong to a person, who may be a member of several tenants.
"""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_row_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TotpCredential',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.OneToOneField('tenants.User', source_field='user_id', db_constraint=True, to_field='id', related_name='totp_credential', on_delete=OnDelete.CASCADE)),
                ('secret_sealed', fields.TextField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_step', fields.BigIntField(default=0)),
            ],
            options={'table': 'auth_totp_credential', 'app': 'accounts', 'pk_attr': 'id', 'table_description': "A person's authenticator app (TOTP, RFC 6238): one per user, pending until a first code confirms it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('tenants.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'auth_recovery_code', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'A single-use code that stands in for the authenticator app, only its SHA-256 is kept.'},
            bases=['Model'],
        ),
    ]
