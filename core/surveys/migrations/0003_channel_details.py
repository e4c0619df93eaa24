from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('surveys', '0002_submission_digest')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Response',
            name='channel',
            field=fields.CharField(max_length=64),
        ),
        ops.AlterField(
            model_name='Invitation',
            name='channel',
            field=fields.CharField(default='email', max_length=64),
        ),
        ops.AddField(
            model_name='Response',
            name='channel_details',
            field=fields.JSONField(null=True),
        ),
    ]
