"""Insights storage: stored scores, rollups kept up to date as responses arrive, and the store change log.

Dashboards read rollups only, never raw responses. ``DailyRollup`` holds, per tenant, store, zone, channel, local day
and goal mask (which goals and whether the outcome were answered), the sums every insight is built from: response
counts, the outcome histogram, per goal the explicit and conviction sums with their squares, and the moments of the
vector of goal scores and outcome (for the correlation matrix, R squared and the linear model of the key drivers).
``StatementRollup`` holds answer histograms per statement (for the summaries of scoring plugins). Column meanings are
in ``pejling.core.insights.columns`` and ``docs/insights.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from tortoise import fields

from pejling.core.insights.columns import HISTOGRAM_COLUMNS, INTEGER_COLUMNS, STORE_COLUMNS, SUM_COLUMNS
from pejling.tenants.scope import TenantModel


def summed_fields(names: Iterable[str], integers: frozenset[str]) -> dict[str, fields.Field[Any]]:
    """One summed column per name, 0 by default: whole numbers for counts, floats for sums."""
    return {name: fields.IntField(default=0) if name in integers else fields.FloatField(default=0) for name in names}


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
    # The summed columns are named and typed once, in pejling.core.insights.columns.
    locals().update(summed_fields(HISTOGRAM_COLUMNS, frozenset(HISTOGRAM_COLUMNS)))

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
    # The summed columns are named and typed once, in pejling.core.insights.columns.
    locals().update(summed_fields(SUM_COLUMNS, INTEGER_COLUMNS))

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
    # The summed columns are named and typed once, in pejling.core.insights.columns.
    locals().update(summed_fields(STORE_COLUMNS, INTEGER_COLUMNS))

    class Meta:
        table = "insights_store_daily"
        unique_together = (("tenant", "store", "day"),)
        indexes = (("tenant_id", "day"),)
