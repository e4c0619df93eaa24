from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('tenants', '0002_plugin_setting')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Invitation',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('channel', fields.CharField(default='email', max_length=16)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='survey_invitations', on_delete=OnDelete.CASCADE)),
                ('zone', fields.ForeignKeyField('tenants.Zone', source_field='zone_id', null=True, db_constraint=True, to_field='id', related_name='survey_invitations', on_delete=OnDelete.SET_NULL)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_invitation', 'app': 'surveys', 'pk_attr': 'id', 'table_description': 'A single-use link to the survey (email or receipt). Only a hash of the token is kept.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Statement',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=100)),
                ('goal', fields.CharField(max_length=20)),
                ('polarity', fields.SmallIntField(default=1)),
                ('texts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_statement', 'app': 'surveys', 'unique_together': (('tenant', 'key'),), 'pk_attr': 'id', 'table_description': 'A statement written by a tenant and mapped to one implicit goal, with its text in every language.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Survey',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('name', fields.CharField(default='Shopper survey', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey', 'app': 'surveys', 'unique_together': (('tenant', 'name'),), 'pk_attr': 'id', 'table_description': 'The survey of one tenant. What it asks lives in its versions, and exactly one version is active.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='SurveyVersion',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('survey', fields.ForeignKeyField('surveys.Survey', source_field='survey_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('statement_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('warmup_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('outcome_kind', fields.CharField(default='nps', max_length=16)),
                ('active', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_version', 'app': 'surveys', 'unique_together': (('survey', 'number'),), 'pk_attr': 'id', 'table_description': 'An immutable set of statements asked by a survey. A change makes a new version, and responses keep theirs.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Response',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='survey_responses', on_delete=OnDelete.CASCADE)),
                ('zone', fields.ForeignKeyField('tenants.Zone', source_field='zone_id', null=True, db_constraint=True, to_field='id', related_name='survey_responses', on_delete=OnDelete.SET_NULL)),
                ('survey_version', fields.ForeignKeyField('surveys.SurveyVersion', source_field='survey_version_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.RESTRICT)),
                ('invitation', fields.ForeignKeyField('surveys.Invitation', source_field='invitation_id', null=True, db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharField(max_length=16)),
                ('via', fields.CharField(default='json', max_length=16)),
                ('language', fields.CharField(max_length=5)),
                ('device_class', fields.CharField(default='unknown', max_length=16)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('duration_ms', fields.IntField()),
                ('outcome', fields.SmallIntField(null=True)),
                ('comment', fields.CharField(default='', max_length=280)),
                ('consent_contact', fields.BooleanField(default=False)),
                ('contact_email', fields.CharField(null=True, max_length=254)),
                ('quality_flags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reward', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('receipt_code', fields.CharField(max_length=8)),
                ('client_key', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'survey_response', 'app': 'surveys', 'unique_together': (('tenant', 'receipt_code'),), 'indexes': [Index(fields=['tenant_id', 'store_id', 'submitted_at'])], 'pk_attr': 'id', 'table_description': 'One completed survey. The primary key is the id generated by the shopper device, so a resend never duplicates.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Answer',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('response', fields.ForeignKeyField('surveys.Response', source_field='response_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('store_id', fields.UUIDField()),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('statement_id', fields.CharField(max_length=100)),
                ('goal', fields.CharField(max_length=20)),
                ('polarity', fields.SmallIntField(default=1)),
                ('value', fields.SmallIntField()),
                ('position', fields.SmallIntField()),
                ('reaction_ms', fields.IntField(null=True)),
                ('warmup', fields.BooleanField(default=False)),
            ],
            options={'table': 'survey_answer', 'app': 'surveys', 'unique_together': (('response', 'statement_id'),), 'indexes': [Index(fields=['tenant_id', 'store_id', 'submitted_at'])], 'pk_attr': 'id', 'table_description': 'One tap: the value given to one statement, where it was shown and how fast it was given.'},
            bases=['TenantModel'],
        ),
    ]
