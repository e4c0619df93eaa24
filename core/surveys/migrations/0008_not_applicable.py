""""Doesn't apply" answers: ``survey_answer.value`` may be NULL, and ``not_applicable`` says the shopper chose it.

Existing answers all had a value: they get ``not_applicable = false`` (a database default on the new column, since
SQLite and PostgreSQL refuse a NOT NULL column without one on a table that has rows; the model state keeps the plain
field, as every insert writes it).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddFalseColumn(ops.AddField):
    """``AddField`` of a boolean column whose database column gets ``DEFAULT FALSE`` (see the module docstring)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        field = new_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.fields_map[self.name]
        unset = field.db_default
        field.db_default = False
        try:
            await super().database_forward(app_label, old_state, new_state, state_editor)
        finally:
            field.db_default = unset


class Migration(migrations.Migration):
    dependencies = [('surveys', '0007_survey_codes')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Answer',
            name='value',
            field=fields.SmallIntField(null=True, description="NULL for a \"doesn't apply\" answer"),
        ),
        AddFalseColumn(
            model_name='Answer',
            name='not_applicable',
            field=fields.BooleanField(default=False, description="The shopper chose \"doesn't apply\""),
        ),
    ]
