from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.core.followups.models import ExportFormat, ExportStatus, FollowUpStatus, RuleKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('surveys', '0001_initial'), ('tenants', '0001_initial'), ('tenants', '0002_plugin_setting')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AlertRule',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='OUTCOME_AT_MOST: outcome_at_most\nGOAL_STRONGLY_NEGATIVE: goal_strongly_negative\nCOMMENT_WORDS: comment_words\nSTORE_SCORE_FALLING: store_score_falling', enum_type=RuleKind, max_length=32)),
                ('threshold', fields.FloatField(null=True)),
                ('goal', fields.CharField(null=True, max_length=20)),
                ('words', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('min_responses', fields.IntField(default=5)),
                ('store_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enabled', fields.BooleanField(default=True)),
                ('notify_roles', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('notify_emails', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'followup_alert_rule', 'app': 'followups', 'pk_attr': 'id', 'table_description': 'A tenant rule that opens follow-ups: low outcome, strongly negative goal, watched words, falling store score.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Export',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('format', fields.CharEnumField(description='CSV: csv\nJSON: json', enum_type=ExportFormat, max_length=8)),
                ('status', fields.CharEnumField(default=ExportStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed', enum_type=ExportStatus, max_length=16)),
                ('filters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('include_contact', fields.BooleanField(default=False)),
                ('rows_done', fields.IntField(default=0)),
                ('rows_total', fields.IntField(null=True)),
                ('file_name', fields.CharField(default='', max_length=200)),
                ('error', fields.CharField(null=True, max_length=500)),
                ('requested_by', fields.ForeignKeyField('tenants.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='response_exports', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'followup_export', 'app': 'followups', 'pk_attr': 'id', 'table_description': 'A CSV or JSON file of responses made by a job, with its progress, kept under the var directory.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='FollowUp',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('rule', fields.ForeignKeyField('followups.AlertRule', source_field='rule_id', null=True, db_constraint=True, to_field='id', related_name='follow_ups', on_delete=OnDelete.SET_NULL)),
                ('response', fields.ForeignKeyField('surveys.Response', source_field='response_id', null=True, db_constraint=True, to_field='id', related_name='follow_ups', on_delete=OnDelete.CASCADE)),
                ('store', fields.ForeignKeyField('tenants.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='follow_ups', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=FollowUpStatus.OPEN, description='OPEN: open\nACKNOWLEDGED: acknowledged\nRESOLVED: resolved', enum_type=FollowUpStatus, max_length=16)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('dedupe_key', fields.CharField(max_length=200)),
                ('assignee', fields.ForeignKeyField('tenants.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_follow_ups', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'followup', 'app': 'followups', 'unique_together': (('tenant', 'dedupe_key'),), 'indexes': [Index(fields=['tenant_id', 'status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An item a store manager works from open through acknowledged to resolved, opened by an alert rule.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='FollowUpNote',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('follow_up', fields.ForeignKeyField('followups.FollowUp', source_field='follow_up_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('tenants.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='follow_up_notes', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'followup_note', 'app': 'followups', 'pk_attr': 'id', 'table_description': 'A note written on a follow-up by a member.'},
            bases=['TenantModel'],
        ),
        ops.CreateModel(
            name='Reply',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('response', fields.ForeignKeyField('surveys.Response', source_field='response_id', db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('follow_up', fields.ForeignKeyField('followups.FollowUp', source_field='follow_up_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.SET_NULL)),
                ('author', fields.ForeignKeyField('tenants.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='shopper_replies', on_delete=OnDelete.SET_NULL)),
                ('subject', fields.CharField(max_length=200)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'followup_reply', 'app': 'followups', 'pk_attr': 'id', 'table_description': 'A message sent to a shopper who agreed to be contacted. The address stays on the response only.'},
            bases=['TenantModel'],
        ),
    ]
