"""Strength-moderation sums on ``insights_daily`` (``m_n``, ``m_s{k}``, ``m_{k}_x{l}``, ``m_{k}_{l}``, see
``pejling.core.insights.columns``), then the rollups of every tenant whose rows predate them are recomputed from the
stored responses, so no existing row silently says "no strength information". A row written before this migration
has ``m_n = 0 < x_n``; the engine withholds the moderation of any scope that still has such rows ("not available
until the rollups are recomputed"), e.g. when the recomputation below is skipped because a later migration adds
columns the current code writes (that migration recomputes then).
"""

import copy
import logging

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.exceptions import IncompatibleStateError

log = logging.getLogger(__name__)


class AddSummedColumns(ops.TortoiseOperation):
    """Add many summed columns to one model in one operation: the model state is reloaded once, not once per column
    (92 ``AddField`` operations made a fresh migration take half a minute of CPU). Each database column gets
    ``DEFAULT 0``: SQLite and PostgreSQL refuse a NOT NULL column without a database default on a table that has
    rows. The model state keeps the plain fields (the models have no database default; every insert writes every
    summed column)."""

    def __init__(self, model_name, columns):
        self.model_name = model_name
        self.columns = columns  # (name, field) pairs, in order

    def describe(self):
        return f"Add {len(self.columns)} summed columns to {self.model_name}"

    def state_forward(self, app_label, state):
        model_state = self.get_model_state(state, app_label, self.model_name)
        for name, field in self.columns:
            if name in model_state.fields:
                raise IncompatibleStateError(f"Field {name} already present on model {app_label}.{self.model_name}")
            model_state.fields[name] = copy.deepcopy(field)
        state.reload_models({(app_label, self.model_name)})

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        for name, _ in self.columns:
            field = model._meta.fields_map[name]
            unset = field.db_default
            field.db_default = 0
            try:
                await state_editor.add_field(model, name)
            finally:
                field.db_default = unset

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        for name, _ in reversed(self.columns):
            await state_editor.remove_field(model, model._meta.fields_map[name])


async def _columns(client, table):
    """The column names of ``table`` (read from one row; None when the table is empty)."""
    rows = await client.execute_query_dict(f"SELECT * FROM {table} LIMIT 1")  # noqa: S608 - constant table names
    return set(rows[0]) if rows else None


async def recompute_stale_rollups(apps, schema_editor):
    """Recompute the rollups of every tenant with a row that has responses but no moderation sums."""
    from pejling.core.insights.columns import STORE_COLUMNS, SUM_COLUMNS
    from pejling.core.insights.rollups import recompute_rollups

    client = schema_editor.client
    stale = await client.execute_query_dict("SELECT DISTINCT tenant_id FROM insights_daily WHERE m_n < x_n")
    if not stale:
        return
    daily = await _columns(client, "insights_daily") or set()
    stores = await _columns(client, "insights_store_daily")
    if any(c not in daily for c in SUM_COLUMNS) or (stores is not None and any(c not in stores for c in STORE_COLUMNS)):
        log.warning("rollups not recomputed: a later migration adds columns the rollups write; it recomputes them")
        return
    for row in stale:
        await recompute_rollups(row["tenant_id"])
    log.info("recomputed the rollups of %d tenants for the strength-moderation sums", len(stale))


class Migration(migrations.Migration):
    dependencies = [('insights', '0002_store_daily')]

    initial = False

    operations = [
        AddSummedColumns('DailyRollup', [
            ('m_n', fields.IntField(default=0)),
            ('m_s0', fields.FloatField(default=0)),
            ('m_s1', fields.FloatField(default=0)),
            ('m_s2', fields.FloatField(default=0)),
            ('m_s3', fields.FloatField(default=0)),
            ('m_s4', fields.FloatField(default=0)),
            ('m_s5', fields.FloatField(default=0)),
            ('m_s6', fields.FloatField(default=0)),
            ('m_0_x0', fields.FloatField(default=0)),
            ('m_0_x1', fields.FloatField(default=0)),
            ('m_0_x2', fields.FloatField(default=0)),
            ('m_0_x3', fields.FloatField(default=0)),
            ('m_0_x4', fields.FloatField(default=0)),
            ('m_0_x5', fields.FloatField(default=0)),
            ('m_0_x6', fields.FloatField(default=0)),
            ('m_0_x7', fields.FloatField(default=0)),
            ('m_1_x0', fields.FloatField(default=0)),
            ('m_1_x1', fields.FloatField(default=0)),
            ('m_1_x2', fields.FloatField(default=0)),
            ('m_1_x3', fields.FloatField(default=0)),
            ('m_1_x4', fields.FloatField(default=0)),
            ('m_1_x5', fields.FloatField(default=0)),
            ('m_1_x6', fields.FloatField(default=0)),
            ('m_1_x7', fields.FloatField(default=0)),
            ('m_2_x0', fields.FloatField(default=0)),
            ('m_2_x1', fields.FloatField(default=0)),
            ('m_2_x2', fields.FloatField(default=0)),
            ('m_2_x3', fields.FloatField(default=0)),
            ('m_2_x4', fields.FloatField(default=0)),
            ('m_2_x5', fields.FloatField(default=0)),
            ('m_2_x6', fields.FloatField(default=0)),
            ('m_2_x7', fields.FloatField(default=0)),
            ('m_3_x0', fields.FloatField(default=0)),
            ('m_3_x1', fields.FloatField(default=0)),
            ('m_3_x2', fields.FloatField(default=0)),
            ('m_3_x3', fields.FloatField(default=0)),
            ('m_3_x4', fields.FloatField(default=0)),
            ('m_3_x5', fields.FloatField(default=0)),
            ('m_3_x6', fields.FloatField(default=0)),
            ('m_3_x7', fields.FloatField(default=0)),
            ('m_4_x0', fields.FloatField(default=0)),
            ('m_4_x1', fields.FloatField(default=0)),
            ('m_4_x2', fields.FloatField(default=0)),
            ('m_4_x3', fields.FloatField(default=0)),
            ('m_4_x4', fields.FloatField(default=0)),
            ('m_4_x5', fields.FloatField(default=0)),
            ('m_4_x6', fields.FloatField(default=0)),
            ('m_4_x7', fields.FloatField(default=0)),
            ('m_5_x0', fields.FloatField(default=0)),
            ('m_5_x1', fields.FloatField(default=0)),
            ('m_5_x2', fields.FloatField(default=0)),
            ('m_5_x3', fields.FloatField(default=0)),
            ('m_5_x4', fields.FloatField(default=0)),
            ('m_5_x5', fields.FloatField(default=0)),
            ('m_5_x6', fields.FloatField(default=0)),
            ('m_5_x7', fields.FloatField(default=0)),
            ('m_6_x0', fields.FloatField(default=0)),
            ('m_6_x1', fields.FloatField(default=0)),
            ('m_6_x2', fields.FloatField(default=0)),
            ('m_6_x3', fields.FloatField(default=0)),
            ('m_6_x4', fields.FloatField(default=0)),
            ('m_6_x5', fields.FloatField(default=0)),
            ('m_6_x6', fields.FloatField(default=0)),
            ('m_6_x7', fields.FloatField(default=0)),
            ('m_0_0', fields.FloatField(default=0)),
            ('m_0_1', fields.FloatField(default=0)),
            ('m_0_2', fields.FloatField(default=0)),
            ('m_0_3', fields.FloatField(default=0)),
            ('m_0_4', fields.FloatField(default=0)),
            ('m_0_5', fields.FloatField(default=0)),
            ('m_0_6', fields.FloatField(default=0)),
            ('m_1_1', fields.FloatField(default=0)),
            ('m_1_2', fields.FloatField(default=0)),
            ('m_1_3', fields.FloatField(default=0)),
            ('m_1_4', fields.FloatField(default=0)),
            ('m_1_5', fields.FloatField(default=0)),
            ('m_1_6', fields.FloatField(default=0)),
            ('m_2_2', fields.FloatField(default=0)),
            ('m_2_3', fields.FloatField(default=0)),
            ('m_2_4', fields.FloatField(default=0)),
            ('m_2_5', fields.FloatField(default=0)),
            ('m_2_6', fields.FloatField(default=0)),
            ('m_3_3', fields.FloatField(default=0)),
            ('m_3_4', fields.FloatField(default=0)),
            ('m_3_5', fields.FloatField(default=0)),
            ('m_3_6', fields.FloatField(default=0)),
            ('m_4_4', fields.FloatField(default=0)),
            ('m_4_5', fields.FloatField(default=0)),
            ('m_4_6', fields.FloatField(default=0)),
            ('m_5_5', fields.FloatField(default=0)),
            ('m_5_6', fields.FloatField(default=0)),
            ('m_6_6', fields.FloatField(default=0)),
        ]),
        ops.RunPython(recompute_stale_rollups, ops.RunPython.noop),
    ]
