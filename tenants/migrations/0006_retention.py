"""A tenant's retention of shopper responses: how many months they are kept (null: until erased) and whether older
ones are anonymised or deleted (core/surveys/retention.py)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from pejling.core.migration_ops import AddColumnWithDefault


class Migration(migrations.Migration):
    dependencies = [('tenants', '0005_submission_limits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tenant',
            name='retention_months',
            field=fields.IntField(null=True),
        ),
        AddColumnWithDefault(
            model_name='Tenant',
            name='retention_mode',
            field=fields.CharField(max_length=16, default="anonymise"),
            db_default="anonymise",
        ),
    ]
