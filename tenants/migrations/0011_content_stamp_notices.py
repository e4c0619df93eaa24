"""A notice on ``pejling_content_stamp`` for every new content stamp of a tenant (and a deleted tenant), heard by each
process's change-notice listener so the survey page cache need not read the stamp per request
(core/migration_ops.py ContentStampNotices, core/change_notices.py, core/surveys/page_cache.py)."""

from tortoise import migrations

from pejling.core.migration_ops import ContentStampNotices


class Migration(migrations.Migration):
    dependencies = [('tenants', '0010_generated_password')]

    initial = False

    operations = [ContentStampNotices()]
