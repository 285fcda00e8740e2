"""Reads of change requests: the /approvals/ page's three lists, one request, the top bar's count."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from hostup_dash.audit.models import AuditRecord

from .models import ChangeRequest

Status = ChangeRequest.Status
# Each of the decided and expired lists shows this many, newest first.
LIST_LIMIT = 50


def _expired() -> Q:
    """Expired, or past its time and not yet marked by the expiry job (it can no longer be approved)."""
    return Q(status=Status.EXPIRED) | Q(status=Status.PENDING, expires_at__lte=timezone.now())


def _open() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(status=Status.PENDING, expires_at__gt=timezone.now())


@dataclass(frozen=True)
class ChangeRequestLists:
    pending: list[ChangeRequest]  # oldest first: the next to expire on top
    decided: list[ChangeRequest]
    expired: list[ChangeRequest]


def change_request_lists() -> ChangeRequestLists:
    """The requests waiting for a decision, and the newest decided and expired ones."""
    return ChangeRequestLists(
        pending=list(_open().order_by("expires_at", "id")),
        decided=list(ChangeRequest.objects.exclude(status=Status.PENDING).exclude(_expired())[:LIST_LIMIT]),
        expired=list(ChangeRequest.objects.filter(_expired())[:LIST_LIMIT]),
    )


def change_request_get(*, change_request_id: int) -> ChangeRequest | None:
    return ChangeRequest.objects.filter(id=change_request_id).first()


def change_requests_waiting(*, vps_id: str) -> list[ChangeRequest]:
    """A VPS's requests still waiting for a decision, for its page (the VPS's index serves it)."""
    return list(_open().filter(vps_id=vps_id).order_by("-id"))


def change_request_pending_count() -> int:
    """Requests waiting for a decision: one COUNT over the pending index, for the top bar."""
    return _open().count()


def change_request_trail(request: ChangeRequest) -> list[AuditRecord]:
    """The audit records of one request, oldest first: its transitions and the executed action's own records.

    Filtered by the VPS too, so the VPS's index serves the read.
    """
    return list(AuditRecord.objects.filter(vps_id=request.vps_id, change_request_id=request.id).order_by("id"))
