"""``survey_response.verified_visit``: whether the channel proved a real visit (a captured payment's receipt link),
a column so responses can be filtered on it; existing responses get it from their channel details."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from pejling.core.migration_ops import AddColumnWithDefault

BACKFILL = {
    "sqlite": "UPDATE survey_response SET verified_visit = 1 "
              "WHERE json_extract(channel_details, '$.verified_visit') = 1",
    "postgres": "UPDATE survey_response SET verified_visit = TRUE "
                "WHERE channel_details->>'verified_visit' = 'true'",
}


async def verified_from_details(apps, schema_editor):
    client = schema_editor.client
    await client.execute_script(BACKFILL[client.capabilities.dialect])


class Migration(migrations.Migration):
    dependencies = [('surveys', '0010_anonymised_at')]

    initial = False

    operations = [
        AddColumnWithDefault(
            model_name='Response',
            name='verified_visit',
            field=fields.BooleanField(default=False, description="The channel proved a real visit"),
            db_default=False,
        ),
        ops.RunPython(verified_from_details, ops.RunPython.noop),
    ]
