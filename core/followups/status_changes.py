"""Telling plugins that a follow-up changed status (hook ``follow_up_updated``), through the job queue.

:func:`pejling.core.followups.workflow.move` queues ``followups.status_changed`` in the transaction of the change,
so the plugins hear of a change exactly when it was committed; the job builds the notice and calls the hook.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pejling.core.jobs import PermanentJobError, enqueue, register_job

if TYPE_CHECKING:
    from pejling.core.loaded_plugins import Plugins

log = logging.getLogger(__name__)

STATUS_CHANGED_JOB = "followups.status_changed"


async def queue_status_change(follow_up_id: UUID, tenant_id: UUID, previous_status: str, status: str) -> None:
    """Queue the ``follow_up_updated`` call for a change of status (call it inside the change's transaction)."""
    await enqueue(STATUS_CHANGED_JOB, {"follow_up_id": str(follow_up_id), "previous_status": previous_status,
                                       "status": status}, tenant_id=tenant_id)


@register_job(STATUS_CHANGED_JOB, timeout_seconds=120, needs_plugins=True)
async def tell_status_change(payload: dict[str, Any], plugins: Plugins) -> None:
    """Job: call ``follow_up_updated`` on the plugins enabled for the follow-up's tenant."""
    from pejling.core.followups.models import FollowUp
    from pejling.core.followups.notifications import notice_for

    try:
        follow_up = await FollowUp.get_or_none(id=UUID(str(payload.get("follow_up_id"))))
    except ValueError:
        follow_up = None
    if follow_up is None:
        raise PermanentJobError("the follow-up no longer exists")
    notice = await notice_for(follow_up)
    enabled = await plugins.plugins_for_tenant(notice.tenant_id)
    await enabled.call_hook("follow_up_updated", tenant_id=notice.tenant_id, follow_up=notice,
                            status=str(payload.get("status")), previous_status=str(payload.get("previous_status")))
