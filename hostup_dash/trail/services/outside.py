"""Acting on a change made outside the dashboard: the VPS is flagged and its state read again."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db.models import Q

from hostup_dash.core.jobs import job_defer
from hostup_dash.hostup import HostupError
from hostup_dash.hostup.audit_log import AuditEvent, vps_id_of
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.budget import budget_take
from hostup_dash.inventory.services.snapshot import vps_state_refresh
from hostup_dash.notifications.models import Event
from hostup_dash.notifications.services import notify

logger = logging.getLogger(__name__)

VPS_REREAD_TASK = "trail_vps_reread"


def outside_changes_act(events: Iterable[AuditEvent]) -> int:
    """Send each change to the webhooks (change.outside), flag its VPS on the list and queue a live read of its
    state; returns how many changes. Joins the caller's transaction, so a change is acted on exactly when its
    event is stored."""
    count = 0
    for event in events:
        count += 1
        vps_id = vps_id_of(event)
        actor = " ".join(part for part in (event.actor_type, event.actor_id) if part) or "unknown actor"
        notify(
            Event.CHANGE_OUTSIDE,
            vps_id=vps_id or "",
            vps_name=event.resource_label or "",
            actor=actor,
            action=event.action or "",
            outcome="succeeded",
            time=event.occurred_at,
        )
        if vps_id is None:
            continue  # an account-level pool or route: no VPS row to flag
        newer = Q(outside_changed_at__isnull=True) | Q(outside_changed_at__lt=event.occurred_at)
        VpsSnapshot.objects.filter(newer, vps_id=vps_id).update(outside_changed_at=event.occurred_at)
        job_defer(VPS_REREAD_TASK, queueing_lock=f"{VPS_REREAD_TASK}:{vps_id}", vps_id=vps_id)
    return count


def vps_reread(*, vps_id: str) -> None:
    """Read a VPS's state live after an outside change, within the background share of the rate limit."""
    wait = budget_take()
    if wait:
        job_defer(VPS_REREAD_TASK, schedule_in_s=wait, queueing_lock=f"{VPS_REREAD_TASK}:{vps_id}", vps_id=vps_id)
        return
    try:
        vps_state_refresh(vps_id=vps_id)
    except HostupError as problem:
        # The state pass reads every VPS again in turn; this read was only to be sooner.
        logger.warning("re-read of %s after an outside change failed: %s", vps_id, problem.code)
