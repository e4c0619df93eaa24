from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('surveys', '0003_channel_details')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SurveyVersion',
            name='model_items',
            field=fields.JSONField(default=list),
        ),
    ]
