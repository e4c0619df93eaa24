from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from pejling.core.audit.models import ActorKind, AuditKind, AuditOutcome
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

# The audit log is append-only (pejling.core.audit.models). On PostgreSQL the restricted application role, once it
# exists (docs/security.md, "Audit log"), is granted on this table only:
#     GRANT SELECT, INSERT ON audit_entry TO <app role>;   -- and no UPDATE, DELETE or TRUNCATE
# The table stays owned by the migration role, which the application does not connect as.

class Migration(migrations.Migration):
    dependencies = [('tenants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('tenant', fields.ForeignKeyField('tenants.Tenant', source_field='tenant_id', db_index=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('kind', fields.CharEnumField(description='CHANGE: change\nREAD: read\nDOWNLOAD: download', enum_type=AuditKind, max_length=16)),
                ('actor_kind', fields.CharEnumField(description='USER: user\nAPI_TOKEN: api_token', enum_type=ActorKind, max_length=16)),
                ('actor_id', fields.UUIDField(description='The user id, or the API token id.')),
                ('user_id', fields.UUIDField(null=True, description='The person: the user, or the member who made the API token.')),
                ('operation', fields.CharField(default='', description='The GraphQL operation name, if given.', max_length=200)),
                ('field_names', fields.JSONField(default=list, description="The top-level fields of the operation (or the route's name).", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('shopper_fields', fields.JSONField(default=list, description='Shopper data read, as Type.field (Response.comment…).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('object_ids', fields.JSONField(default=list, description='Objects named or read, as Type:uuid.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('outcome', fields.CharEnumField(default=AuditOutcome.OK, description='OK: ok\nREFUSED: refused\nFAILED: failed', enum_type=AuditOutcome, max_length=16)),
                ('error_codes', fields.JSONField(default=list, description='The error codes answered, when not ok.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('address_hash', fields.CharField(default='', description='A keyed hash of the client address, rotated monthly, never the address.', max_length=32)),
            ],
            options={'table': 'audit_entry', 'app': 'audit', 'indexes': [Index(fields=['tenant_id', 'at'])], 'pk_attr': 'id', 'table_description': 'Who changed or read what: one GraphQL operation or download. Append-only, and no raw client address.'},
            bases=['TenantModel'],
        ),
    ]
