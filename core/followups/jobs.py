"""Importing this module registers every job kind of the closed loop (listed in ``JOB_MODULES``)."""

from __future__ import annotations

from pejling.core.followups import exports, notifications, replies, rules, status_changes

JOB_KINDS = (
    rules.STORE_SCORES_JOB, rules.SWEEP_JOB, notifications.NOTIFY_JOB, notifications.MAIL_JOB, replies.REPLY_JOB,
    exports.EXPORT_JOB, status_changes.STATUS_CHANGED_JOB,
)
