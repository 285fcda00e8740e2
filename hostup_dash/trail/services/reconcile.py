"""Unknown outcomes settled by HostUp's own log: a `reconcile` record appended for each.

The request of an action whose reply never reached us is found by what HostUp logged: the same
method, path and action, from our key, arriving inside the action's window. When the log has
been read past that window with nothing found, the request never arrived. Either way a new
record points at the intent; the intent and its unknown outcome stay as they were.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord

from ..models import EventImport, HostupEvent
from .ownership import (
    ACTION_EVENTS,
    API_ACTOR,
    CLOCK_SLACK,
    HOSTUP_KEEPS,
    VPS_ACTION_EVENTS,
    Action,
    Outcome,
    carried_out,
    event_settle,
    own_keys,
    request_window,
    unsettled_intents,
)

logger = logging.getLogger(__name__)

RECONCILE_ACTOR = "hostup-log"
IN_HOSTUP_LOG = "in_hostup_log"
NOT_IN_HOSTUP_LOG = "not_in_hostup_log"
NO_RECORD = "HostUp has no record of this request"
# HostUp keeps about 12 hours: an older unknown outcome can no longer be found in its log.
LOOKBACK = timedelta(days=1)


def reconcile_unknown() -> int:
    """Append a reconcile record for each unknown outcome HostUp's imported log now settles; returns how many.

    Called by the import, under its lock: one reconcile record per intent.
    """
    unknown = AuditRecord.objects.filter(intent=OuterRef("pk"), action=OuterRef("action"), outcome=Outcome.UNKNOWN)
    reconciled = AuditRecord.objects.filter(intent=OuterRef("pk"), action=Action.RECONCILE)
    intents = (
        unsettled_intents()
        .filter(Exists(unknown), created_at__gte=timezone.now() - LOOKBACK)
        .exclude(Exists(reconciled))
        .order_by("id")
    )
    keys = own_keys()
    appended = 0
    for intent in intents:
        start, end = intent.created_at - CLOCK_SLACK, intent.created_at + request_window()
        event = _logged_request(intent, start=start, end=end, keys=keys)
        if event is not None:
            _append(intent, event=event)
        elif window_fully_imported(start=start, end=end):
            _append(intent, event=None)
        else:
            continue
        appended += 1
    return appended


def _logged_request(intent: AuditRecord, *, start: datetime, end: datetime, keys: set[str]) -> HostupEvent | None:
    """The last request HostUp logged that matches the intent (an earlier one may have been a 429)."""
    method, action = ACTION_EVENTS[intent.action]
    events = HostupEvent.objects.filter(
        method=method, action=action, actor_type=API_ACTOR, occurred_at__range=(start, end)
    )
    if intent.action in VPS_ACTION_EVENTS:
        events = events.filter(vps_id=intent.vps_id)
    if keys:
        events = events.filter(actor_id__in=keys)
    # A request another record of ours names was that action's, not this one's.
    named = AuditRecord.objects.filter(created_at__gte=start, hostup_request_id=OuterRef("request_id"))
    return events.exclude(Exists(named)).order_by("-occurred_at", "-id").first()


def window_fully_imported(*, start: datetime, end: datetime) -> bool:
    """One succeeded import read the whole window, while HostUp still kept it, late enough for its events to be written.

    "Late enough": HostUp writes an event when it has finished the request, which can be after our
    client gave up; twice the settle time leaves it that long again.
    """
    return EventImport.objects.filter(
        status=EventImport.Status.SUCCEEDED,
        start_at__lte=start,
        end_at__gte=end + 2 * event_settle(),
        started_at__lte=start + HOSTUP_KEEPS,
    ).exists()


def _append(intent: AuditRecord, *, event: HostupEvent | None) -> AuditRecord:
    if event is None:
        fields = {
            "outcome": Outcome.FAILED,
            "problem_code": NOT_IN_HOSTUP_LOG,
            "problem_detail": f"{NO_RECORD}: it never arrived, so it did not take effect.",
            "request_body": {},
        }
    else:
        fields = {
            "outcome": Outcome.SUCCEEDED if carried_out(event.success, event.status_code) else Outcome.FAILED,
            "http_status": event.status_code,
            "hostup_request_id": event.request_id,
            "problem_code": IN_HOSTUP_LOG,
            "problem_detail": f"HostUp's log shows this request answered {event.status_code or 'without a status'} "
            f"(event {event.id}): {event.summary or event.error_message or 'no summary'}",
            "request_body": {"hostup_event_id": event.id, "occurred_at": event.occurred_at.isoformat()},
        }
    record = audit.audit_follow_up_record(intent=intent, actor_name=RECONCILE_ACTOR, action=Action.RECONCILE, **fields)
    logger.info(
        "unknown outcome of audit record %s reconciled from HostUp's log: %s",
        intent.id,
        record.problem_code,
        extra={"event": "outcome_reconciled", "vps_id": intent.vps_id, "intent": intent.id, "audit_record": record.id},
    )
    return record
