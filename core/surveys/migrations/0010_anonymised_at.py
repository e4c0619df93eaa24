"""When a retention purge anonymised a response (its answers kept, everything that could point at the shopper
removed); null for a response as it was given."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('surveys', '0009_tap_counter_response')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Response',
            name='anonymised_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
