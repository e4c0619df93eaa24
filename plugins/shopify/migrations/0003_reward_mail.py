"""The reward mail of a Shopify order: its address sealed until the mail is sent (only where a reward is set), the
claim of a send and when the mail went. Nullable columns: existing orders hold no reward address."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('shopify', '0002_row_security')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ShopifyOrder',
            name='sealed_reward_email',
            field=fields.TextField(null=True, unique=False, description='Only where a reward is set: until the reward mail is sent or the invitation expires'),
        ),
        ops.AddField(
            model_name='ShopifyOrder',
            name='reward_mail_sending_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False, description='When a send of the reward mail claimed it'),
        ),
        ops.AddField(
            model_name='ShopifyOrder',
            name='reward_mailed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False, description='When the SMTP server took the reward mail'),
        ),
    ]
