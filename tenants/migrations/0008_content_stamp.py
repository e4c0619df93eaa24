"""The tenant's content stamp (``tenant.content_stamp``), counted up by database triggers on every change of a store,
a zone or a plugin setting of the tenant and of the tenant row itself (name, branding, logo): what the survey page
cache checks on each request (core/surveys/page_cache.py)."""

from tortoise import fields, migrations

from pejling.core.migration_ops import AddColumnWithDefault, ContentStampTriggers


class Migration(migrations.Migration):
    dependencies = [('tenants', '0007_row_security')]

    initial = False

    operations = [
        AddColumnWithDefault(
            model_name='Tenant',
            name='content_stamp',
            field=fields.BigIntField(default=0),
            db_default=0,
        ),
        ContentStampTriggers(['store', 'zone', 'plugin_setting'], tenant=True),
    ]
