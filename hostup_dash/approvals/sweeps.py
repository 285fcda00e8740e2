"""The worker's sweeps of change requests: overdue ones expire, and approved ones whose execution was cut
off, or whose outcome was unknown, are settled from the audit log. Neither ever sends anything to HostUp.

Several workers may sweep at once: each row is taken under its lock, and one another transaction
holds is left for the next tick (SKIP LOCKED).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hostup_dash.audit.models import AuditRecord

from .models import ChangeRequest
from .records import change_request_body, change_request_mark_expired, change_request_record

Status = ChangeRequest.Status
Outcome = AuditRecord.Outcome


def change_requests_expire() -> int:
    """Expire every pending request past its time; returns how many. Safe on several workers at once:
    each row is taken under its lock, and one another transaction holds is left for the next tick."""
    expired = 0
    while True:
        with transaction.atomic():
            overdue = ChangeRequest.objects.select_for_update(skip_locked=True).filter(
                status=Status.PENDING, expires_at__lte=timezone.now()
            )
            request = overdue.order_by("expires_at").first()
            if request is None:
                return expired
            change_request_mark_expired(request)
        expired += 1


# An approved request is carried out by its approver's click within seconds; one still "approved" this
# long after was cut off (the web process died) and is settled from the audit log by the worker.
INTERRUPTED_AFTER = timedelta(minutes=10)
# An unknown outcome is looked up again this long: the outcome check or the trail's reconciliation
# later records what HostUp shows, and the request then says so too.
UNKNOWN_FOLLOWED_FOR = timedelta(days=1)
# How the executed action's outcome record ends the request.
OUTCOME_STATUS = {Outcome.SUCCEEDED: Status.EXECUTED, Outcome.FAILED: Status.FAILED, Outcome.UNKNOWN: Status.UNKNOWN}


def _unsettled() -> Q:
    now = timezone.now()
    cut_off = Q(status=Status.APPROVED, decided_at__lte=now - INTERRUPTED_AFTER)
    return cut_off | Q(status=Status.UNKNOWN, decided_at__gte=now - UNKNOWN_FOLLOWED_FOR)


def change_requests_settle() -> int:
    """End approved requests whose execution was cut off: by their action's outcome record when the action
    was sent (unknown while it has none), failed when it never was; and end unknown ones once a worker has
    found their outcome. Never sends anything. Returns how many changed."""
    settled = 0
    for request_id in list(ChangeRequest.objects.filter(_unsettled()).values_list("id", flat=True)):
        with transaction.atomic():
            unsettled = ChangeRequest.objects.select_for_update(skip_locked=True).filter(_unsettled())
            request = unsettled.filter(id=request_id).first()
            if request is not None and _settle(request):
                settled += 1
    return settled


def _settle(request: ChangeRequest) -> bool:
    """Settle one locked request from the audit log; False when there is nothing new to say."""
    intent = AuditRecord.objects.filter(
        vps_id=request.vps_id, change_request_id=request.id, action=request.action, outcome=Outcome.PENDING
    ).first()
    # The action's own outcome, or a worker's later finding about it (which carries no request id).
    outcome = AuditRecord.objects.filter(intent=intent).order_by("-id").first() if intent else None
    if intent is None:
        request.status, record_outcome = Status.FAILED, Outcome.FAILED
        request.status_detail = "Cut off after the approval, before anything was sent; ask again if still needed."
    else:
        record_outcome = outcome.outcome if outcome else Outcome.UNKNOWN
        status = OUTCOME_STATUS.get(record_outcome, Status.UNKNOWN)
        if request.status == Status.UNKNOWN and status == Status.UNKNOWN:
            return False
        request.status = status
        request.outcome_record_id = outcome.id if outcome else None
        request.status_detail = "Its outcome was settled afterwards; see the audit log."
    request.save(update_fields=["status", "status_detail", "outcome_record_id"])
    change_request_record(
        request,
        actor=None,
        action=AuditRecord.Action.CHANGE_EXECUTE,
        client_ip=None,
        body=change_request_body(request, approved_by=request.decided_by_name),
        outcome=record_outcome,
    )
    return True
