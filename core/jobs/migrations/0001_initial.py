from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.core.jobs.models import JobStatus
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Job',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharField(description='Registered job kind naming the handler', max_length=100)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tenant_id', fields.UUIDField(null=True, db_index=True, description='Tenant whose scope the handler runs in')),
                ('status', fields.CharEnumField(default=JobStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nSUCCEEDED: succeeded\nDEAD: dead', enum_type=JobStatus, max_length=16)),
                ('priority', fields.IntField(default=0, description='Higher runs first among due jobs')),
                ('attempts', fields.IntField(default=0, description='Times a worker has taken the job')),
                ('max_attempts', fields.IntField(default=8)),
                ('run_at', fields.DatetimeField(description='Earliest time a worker may take the job', auto_now=False, auto_now_add=False)),
                ('locked_by', fields.CharField(null=True, description='Worker that took the job last', max_length=200)),
                ('locked_at', fields.DatetimeField(null=True, description='When that worker took it or last reported progress', auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('idempotency_key', fields.CharField(null=True, unique=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'job', 'app': 'jobs', 'indexes': [Index(fields=['status', 'run_at'], name='job_status_run_at_idx')], 'pk_attr': 'id', 'table_description': 'One unit of outbound work. A system row read across tenants by the worker, never tenant-scoped itself.'},
            bases=['Model'],
        ),
    ]
