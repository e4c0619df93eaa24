from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.core.audit.models import AuditOutcome
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

# Failed logins that belong to no tenant (pejling.core.audit.models.InstanceAuditEntry): a plain table, no tenant
# column and so no row-level security; append-only like audit_entry (the application role gets no UPDATE or DELETE).

class Migration(migrations.Migration):
    dependencies = [('audit', '0002_row_security'), ('tenants', '0007_row_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InstanceAuditEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('operation', fields.CharField(description='What was attempted: login or ssoLogin.', max_length=64)),
                ('outcome', fields.CharEnumField(default=AuditOutcome.REFUSED, description='OK: ok\nREFUSED: refused\nFAILED: failed', enum_type=AuditOutcome, max_length=16)),
                ('error_codes', fields.JSONField(default=list, description='The error codes answered.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('email_hash', fields.CharField(default='', description='A keyed hash of the email tried, rotated monthly, never the email.', max_length=32)),
                ('address_hash', fields.CharField(default='', description='A keyed hash of the client address, rotated monthly, never the address.', max_length=32)),
            ],
            options={'table': 'audit_instance_entry', 'app': 'audit', 'indexes': [Index(fields=['at'])], 'pk_attr': 'id', 'table_description': 'An audit entry that belongs to no tenant: a failed login whose account is not known.'},
            bases=['Model'],
        ),
    ]
