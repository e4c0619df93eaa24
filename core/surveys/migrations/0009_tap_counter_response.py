"""An NFC tag's accepted tap counter remembers the response it was taken for (``counter_response_id``), so the same
tap can be sent again for that response after a failed write, and for no other."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('surveys', '0008_not_applicable')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ChannelDevice',
            name='counter_response_id',
            field=fields.UUIDField(null=True, description="The response that tap counter was accepted for"),
        ),
    ]
