"""The audit records of a change request's steps: each carries the request's id, reason and ticket."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.hostup import HostupError

from .models import ChangeRequest

Outcome = AuditRecord.Outcome


def change_request_body(request: ChangeRequest, **extra: Any) -> dict[str, Any]:
    """What every record of a request says: the action asked for, who asked, and until when."""
    return {
        "action": request.action,
        **({"rackId": request.rack_id} if request.rack_id else {}),
        "requested_by": request.requested_by_name,
        "expires_at": request.expires_at.isoformat(),
        **extra,
    }


def change_request_record(
    request: ChangeRequest,
    *,
    actor: AbstractBaseUser | None,
    action: str,
    client_ip: str | None,
    body: dict[str, Any] | None = None,
    outcome: str = Outcome.SUCCEEDED,
    problem: HostupError | Refusal | None = None,
) -> AuditRecord:
    """Append one step of the request to the audit chain (`actor` None: the system)."""
    return audit.audit_change_record(
        actor=actor,
        action=action,
        change_request_id=request.id,
        vps_id=request.vps_id,
        vps_name=request.vps_name,
        request_body=body or change_request_body(request),
        client_ip=client_ip,
        reason=request.reason,
        ticket=request.ticket,
        outcome=outcome,
        problem=problem,
    )


def change_request_mark_expired(request: ChangeRequest) -> None:
    """Mark a locked, overdue request expired, with its audit record (the system's: nobody decided)."""
    request.status = ChangeRequest.Status.EXPIRED
    request.status_detail = "Nobody decided before it expired."
    request.save(update_fields=["status", "status_detail"])
    change_request_record(request, actor=None, action=AuditRecord.Action.CHANGE_EXPIRE, client_ip=None)
