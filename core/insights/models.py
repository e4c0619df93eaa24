"""Insights storage: stored scores, rollups kept up to date as responses arrive, and the store change log.

Dashboards read rollups only, never raw responses. ``DailyRollup`` holds, per tenant, store, zone, channel, local day
and goal mask (which goals and whether the outcome were answered), the sums every insight is built from: response
counts, the outcome histogram, per goal the explicit and conviction sums with their squares, and the moments of the
vector of goal scores and outcome (for the correlation matrix, R squared and the linear model of the key drivers).
``StatementRollup`` holds answer histograms per statement (for the summaries of scoring plugins). Column meanings are
in ``pejling.core.insights.columns`` and ``docs/insights.md``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise import fields

from pejling.tenants.scope import TenantModel


class Score(TenantModel):
    """What one scoring model made of one response, stored with the model id and version that made it."""

    id = fields.UUIDField(primary_key=True)
    response: Any = fields.ForeignKeyField("surveys.Response", related_name="scores", on_delete=fields.CASCADE)
    response_id: UUID
    model_id = fields.CharField(max_length=64)
    model_version = fields.CharField(max_length=32)
    values: Any = fields.JSONField(default=dict)
    category = fields.CharField(max_length=64, null=True)
    scored_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "insights_score"
        unique_together = (("response", "model_id"),)
        indexes = (("tenant_id", "model_id", "model_version"),)


class StoreChange(TenantModel):
    """A change made in a store (new signage at checkout, 3 March), compared before and after against other stores."""

    id = fields.UUIDField(primary_key=True)
    store: Any = fields.ForeignKeyField("tenants.Store", related_name="insight_changes", on_delete=fields.CASCADE)
    store_id: UUID
    zone: Any = fields.ForeignKeyField(
        "tenants.Zone", related_name="insight_changes", on_delete=fields.SET_NULL, null=True
    )
    zone_id: UUID | None
    date = fields.DateField()
    description = fields.CharField(max_length=500)
    created_by = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "insights_store_change"
        indexes = (("tenant_id", "store_id", "date"),)


class RollupState(TenantModel):
    """The rollup version of a tenant: raised on every rollup change, it keys the cache of heavy models."""

    id = fields.UUIDField(primary_key=True)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "insights_rollup_state"
        unique_together = (("tenant",),)


class StatementRollup(TenantModel):
    """Answer histogram of one statement per tenant, store, zone, channel and local day (values 0 to 10)."""

    id = fields.UUIDField(primary_key=True)
    store: Any = fields.ForeignKeyField(
        "tenants.Store", related_name="insight_statement_rollups", on_delete=fields.CASCADE
    )
    store_id: UUID
    zone_id = fields.UUIDField()
    channel = fields.CharField(max_length=16)
    day = fields.DateField()
    statement_id = fields.CharField(max_length=100)
    c0 = fields.IntField(default=0)
    c1 = fields.IntField(default=0)
    c2 = fields.IntField(default=0)
    c3 = fields.IntField(default=0)
    c4 = fields.IntField(default=0)
    c5 = fields.IntField(default=0)
    c6 = fields.IntField(default=0)
    c7 = fields.IntField(default=0)
    c8 = fields.IntField(default=0)
    c9 = fields.IntField(default=0)
    c10 = fields.IntField(default=0)

    class Meta:
        table = "insights_statement_daily"
        unique_together = (("tenant", "store", "zone_id", "channel", "day", "statement_id"),)
        indexes = (("tenant_id", "store_id", "day"),)


class DailyRollup(TenantModel):
    """Sums of the responses of one tenant, store, zone, channel, local day and goal mask. Flagged ones only counted."""

    id = fields.UUIDField(primary_key=True)
    store: Any = fields.ForeignKeyField("tenants.Store", related_name="insight_rollups", on_delete=fields.CASCADE)
    store_id: UUID
    zone_id = fields.UUIDField()
    channel = fields.CharField(max_length=16)
    day = fields.DateField()
    mask = fields.IntField()
    n = fields.IntField(default=0)
    n_flagged = fields.IntField(default=0)
    # outcome histogram: responses answering 0 .. 10
    o0 = fields.IntField(default=0)
    o1 = fields.IntField(default=0)
    o2 = fields.IntField(default=0)
    o3 = fields.IntField(default=0)
    o4 = fields.IntField(default=0)
    o5 = fields.IntField(default=0)
    o6 = fields.IntField(default=0)
    o7 = fields.IntField(default=0)
    o8 = fields.IntField(default=0)
    o9 = fields.IntField(default=0)
    o10 = fields.IntField(default=0)
    # security: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    security_n = fields.IntField(default=0)
    security_s = fields.FloatField(default=0)
    security_ss = fields.FloatField(default=0)
    security_cn = fields.IntField(default=0)
    security_cs = fields.FloatField(default=0)
    security_css = fields.FloatField(default=0)
    security_ws = fields.FloatField(default=0)
    security_w = fields.FloatField(default=0)
    # ease: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    ease_n = fields.IntField(default=0)
    ease_s = fields.FloatField(default=0)
    ease_ss = fields.FloatField(default=0)
    ease_cn = fields.IntField(default=0)
    ease_cs = fields.FloatField(default=0)
    ease_css = fields.FloatField(default=0)
    ease_ws = fields.FloatField(default=0)
    ease_w = fields.FloatField(default=0)
    # autonomy: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    autonomy_n = fields.IntField(default=0)
    autonomy_s = fields.FloatField(default=0)
    autonomy_ss = fields.FloatField(default=0)
    autonomy_cn = fields.IntField(default=0)
    autonomy_cs = fields.FloatField(default=0)
    autonomy_css = fields.FloatField(default=0)
    autonomy_ws = fields.FloatField(default=0)
    autonomy_w = fields.FloatField(default=0)
    # recognition: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    recognition_n = fields.IntField(default=0)
    recognition_s = fields.FloatField(default=0)
    recognition_ss = fields.FloatField(default=0)
    recognition_cn = fields.IntField(default=0)
    recognition_cs = fields.FloatField(default=0)
    recognition_css = fields.FloatField(default=0)
    recognition_ws = fields.FloatField(default=0)
    recognition_w = fields.FloatField(default=0)
    # enjoyment: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    enjoyment_n = fields.IntField(default=0)
    enjoyment_s = fields.FloatField(default=0)
    enjoyment_ss = fields.FloatField(default=0)
    enjoyment_cn = fields.IntField(default=0)
    enjoyment_cs = fields.FloatField(default=0)
    enjoyment_css = fields.FloatField(default=0)
    enjoyment_ws = fields.FloatField(default=0)
    enjoyment_w = fields.FloatField(default=0)
    # discovery: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    discovery_n = fields.IntField(default=0)
    discovery_s = fields.FloatField(default=0)
    discovery_ss = fields.FloatField(default=0)
    discovery_cn = fields.IntField(default=0)
    discovery_cs = fields.FloatField(default=0)
    discovery_css = fields.FloatField(default=0)
    discovery_ws = fields.FloatField(default=0)
    discovery_w = fields.FloatField(default=0)
    # value: explicit n, sum, sum of squares, conviction n, sum, sum of squares, Σ w·a, Σ w
    value_n = fields.IntField(default=0)
    value_s = fields.FloatField(default=0)
    value_ss = fields.FloatField(default=0)
    value_cn = fields.IntField(default=0)
    value_cs = fields.FloatField(default=0)
    value_css = fields.FloatField(default=0)
    value_ws = fields.FloatField(default=0)
    value_w = fields.FloatField(default=0)
    # driver moments of z = (goal scores..., outcome) over the responses of the row (they share one mask)
    x_n = fields.IntField(default=0)
    x_s0 = fields.FloatField(default=0)
    x_s1 = fields.FloatField(default=0)
    x_s2 = fields.FloatField(default=0)
    x_s3 = fields.FloatField(default=0)
    x_s4 = fields.FloatField(default=0)
    x_s5 = fields.FloatField(default=0)
    x_s6 = fields.FloatField(default=0)
    x_s7 = fields.FloatField(default=0)
    x_0_0 = fields.FloatField(default=0)
    x_0_1 = fields.FloatField(default=0)
    x_0_2 = fields.FloatField(default=0)
    x_0_3 = fields.FloatField(default=0)
    x_0_4 = fields.FloatField(default=0)
    x_0_5 = fields.FloatField(default=0)
    x_0_6 = fields.FloatField(default=0)
    x_0_7 = fields.FloatField(default=0)
    x_1_1 = fields.FloatField(default=0)
    x_1_2 = fields.FloatField(default=0)
    x_1_3 = fields.FloatField(default=0)
    x_1_4 = fields.FloatField(default=0)
    x_1_5 = fields.FloatField(default=0)
    x_1_6 = fields.FloatField(default=0)
    x_1_7 = fields.FloatField(default=0)
    x_2_2 = fields.FloatField(default=0)
    x_2_3 = fields.FloatField(default=0)
    x_2_4 = fields.FloatField(default=0)
    x_2_5 = fields.FloatField(default=0)
    x_2_6 = fields.FloatField(default=0)
    x_2_7 = fields.FloatField(default=0)
    x_3_3 = fields.FloatField(default=0)
    x_3_4 = fields.FloatField(default=0)
    x_3_5 = fields.FloatField(default=0)
    x_3_6 = fields.FloatField(default=0)
    x_3_7 = fields.FloatField(default=0)
    x_4_4 = fields.FloatField(default=0)
    x_4_5 = fields.FloatField(default=0)
    x_4_6 = fields.FloatField(default=0)
    x_4_7 = fields.FloatField(default=0)
    x_5_5 = fields.FloatField(default=0)
    x_5_6 = fields.FloatField(default=0)
    x_5_7 = fields.FloatField(default=0)
    x_6_6 = fields.FloatField(default=0)
    x_6_7 = fields.FloatField(default=0)
    x_7_7 = fields.FloatField(default=0)

    class Meta:
        table = "insights_daily"
        unique_together = (("tenant", "store", "zone_id", "channel", "day", "mask"),)
        indexes = (("tenant_id", "day"), ("tenant_id", "store_id", "day"))


class StoreDailyRollup(TenantModel):
    """The chain view: sums of one tenant store and local day (all zones, channels and masks together)."""

    id = fields.UUIDField(primary_key=True)
    store: Any = fields.ForeignKeyField(
        "tenants.Store", related_name="insight_store_rollups", on_delete=fields.CASCADE
    )
    store_id: UUID
    day = fields.DateField()
    n = fields.IntField(default=0)
    n_flagged = fields.IntField(default=0)
    o0 = fields.IntField(default=0)
    o1 = fields.IntField(default=0)
    o2 = fields.IntField(default=0)
    o3 = fields.IntField(default=0)
    o4 = fields.IntField(default=0)
    o5 = fields.IntField(default=0)
    o6 = fields.IntField(default=0)
    o7 = fields.IntField(default=0)
    o8 = fields.IntField(default=0)
    o9 = fields.IntField(default=0)
    o10 = fields.IntField(default=0)
    security_n = fields.IntField(default=0)
    security_s = fields.FloatField(default=0)
    security_ss = fields.FloatField(default=0)
    ease_n = fields.IntField(default=0)
    ease_s = fields.FloatField(default=0)
    ease_ss = fields.FloatField(default=0)
    autonomy_n = fields.IntField(default=0)
    autonomy_s = fields.FloatField(default=0)
    autonomy_ss = fields.FloatField(default=0)
    recognition_n = fields.IntField(default=0)
    recognition_s = fields.FloatField(default=0)
    recognition_ss = fields.FloatField(default=0)
    enjoyment_n = fields.IntField(default=0)
    enjoyment_s = fields.FloatField(default=0)
    enjoyment_ss = fields.FloatField(default=0)
    discovery_n = fields.IntField(default=0)
    discovery_s = fields.FloatField(default=0)
    discovery_ss = fields.FloatField(default=0)
    value_n = fields.IntField(default=0)
    value_s = fields.FloatField(default=0)
    value_ss = fields.FloatField(default=0)

    class Meta:
        table = "insights_store_daily"
        unique_together = (("tenant", "store", "day"),)
        indexes = (("tenant_id", "day"),)
