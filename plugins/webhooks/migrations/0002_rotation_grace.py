from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('webhooks', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WebhookEndpoint',
            name='previous_secret_sealed',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='WebhookEndpoint',
            name='previous_secret_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
