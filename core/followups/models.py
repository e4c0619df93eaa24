"""Alerts and the closed loop: alert rules, the follow-ups they open, notes, replies to shoppers and exports.

Every model here belongs to one tenant (see :mod:`pejling.tenants.scope`).
"""

from __future__ import annotations

import enum
from typing import Any
from uuid import UUID

from tortoise import fields

from pejling.tenants.scope import TenantModel


class RuleKind(enum.StrEnum):
    """What an alert rule watches."""

    OUTCOME_AT_MOST = "outcome_at_most"
    GOAL_STRONGLY_NEGATIVE = "goal_strongly_negative"
    COMMENT_WORDS = "comment_words"
    STORE_SCORE_FALLING = "store_score_falling"


class FollowUpStatus(enum.StrEnum):
    """Where a follow-up is in the closed loop."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ExportFormat(enum.StrEnum):
    """File formats of an export: responses as CSV or JSON, or everything of the tenant as a ZIP."""

    CSV = "csv"
    JSON = "json"
    ZIP = "zip"


class ExportStatus(enum.StrEnum):
    """Where an export job is."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AlertRule(TenantModel):
    """A tenant rule that opens follow-ups: low outcome, strongly negative goal, watched words, falling store score."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(RuleKind, max_length=32)
    threshold = fields.FloatField(null=True)
    goal = fields.CharField(max_length=20, null=True)
    words: Any = fields.JSONField(default=list)
    min_responses = fields.IntField(default=5)
    store_ids: Any = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    notify_roles: Any = fields.JSONField(default=list)
    notify_emails: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "followup_alert_rule"


class FollowUp(TenantModel):
    """An item a store manager works from open through acknowledged to resolved, opened by an alert rule."""

    id = fields.UUIDField(primary_key=True)
    rule: Any = fields.ForeignKeyField(
        "followups.AlertRule", related_name="follow_ups", on_delete=fields.SET_NULL, null=True
    )
    rule_id: UUID | None
    response: Any = fields.ForeignKeyField(
        "surveys.Response", related_name="follow_ups", on_delete=fields.CASCADE, null=True
    )
    response_id: UUID | None
    store: Any = fields.ForeignKeyField("tenants.Store", related_name="follow_ups", on_delete=fields.CASCADE)
    store_id: UUID
    status = fields.CharEnumField(FollowUpStatus, max_length=16, default=FollowUpStatus.OPEN)
    reason = fields.CharField(max_length=500, default="")
    details: Any = fields.JSONField(default=dict)
    dedupe_key = fields.CharField(max_length=200)
    assignee: Any = fields.ForeignKeyField(
        "tenants.User", related_name="assigned_follow_ups", on_delete=fields.SET_NULL, null=True
    )
    assignee_id: UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    acknowledged_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "followup"
        unique_together = (("tenant", "dedupe_key"),)
        indexes = (("tenant_id", "status", "created_at"),)


class FollowUpNote(TenantModel):
    """A note written on a follow-up by a member."""

    id = fields.UUIDField(primary_key=True)
    follow_up: Any = fields.ForeignKeyField("followups.FollowUp", related_name="notes", on_delete=fields.CASCADE)
    follow_up_id: UUID
    author: Any = fields.ForeignKeyField(
        "tenants.User", related_name="follow_up_notes", on_delete=fields.SET_NULL, null=True
    )
    author_id: UUID | None
    text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "followup_note"


class Reply(TenantModel):
    """A message sent to a shopper who agreed to be contacted. The address stays on the response only."""

    id = fields.UUIDField(primary_key=True)
    response: Any = fields.ForeignKeyField("surveys.Response", related_name="replies", on_delete=fields.CASCADE)
    response_id: UUID
    follow_up: Any = fields.ForeignKeyField(
        "followups.FollowUp", related_name="replies", on_delete=fields.SET_NULL, null=True
    )
    follow_up_id: UUID | None
    author: Any = fields.ForeignKeyField(
        "tenants.User", related_name="shopper_replies", on_delete=fields.SET_NULL, null=True
    )
    author_id: UUID | None
    subject = fields.CharField(max_length=200)
    text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "followup_reply"


class Export(TenantModel):
    """A CSV or JSON file of responses made by a job, with its progress, kept under the var directory."""

    id = fields.UUIDField(primary_key=True)
    format = fields.CharEnumField(ExportFormat, max_length=8)
    status = fields.CharEnumField(ExportStatus, max_length=16, default=ExportStatus.QUEUED)
    filters: Any = fields.JSONField(default=dict)
    include_contact = fields.BooleanField(default=False)
    rows_done = fields.IntField(default=0)
    rows_total = fields.IntField(null=True)
    file_name = fields.CharField(max_length=200, default="")
    error = fields.CharField(max_length=500, null=True)
    requested_by: Any = fields.ForeignKeyField(
        "tenants.User", related_name="response_exports", on_delete=fields.SET_NULL, null=True
    )
    requested_by_id: UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "followup_export"
