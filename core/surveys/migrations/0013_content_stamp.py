"""Database triggers that count the tenant's content stamp up on every change of its surveys, survey versions and
own statements (core/migration_ops.py ContentStampTriggers, read by the survey page cache)."""

from tortoise import migrations

from pejling.core.migration_ops import ContentStampTriggers


class Migration(migrations.Migration):
    dependencies = [('surveys', '0012_row_security'), ('tenants', '0008_content_stamp')]

    initial = False

    operations = [ContentStampTriggers(['survey', 'survey_version', 'survey_statement'])]
