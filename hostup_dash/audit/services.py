"""Writing audit records. Called only by other services, never by views.

Each function writes in autocommit mode: the record is committed when it returns,
so an intent survives a timeout or a killed worker.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from hostup_dash.accounts.roles import user_role
from hostup_dash.hostup import HostupError

from .models import AuditRecord

Outcome = AuditRecord.Outcome


def _actor_fields(actor: AbstractBaseUser | AnonymousUser) -> dict[str, Any]:
    return {
        "actor": actor if actor.is_authenticated else None,
        "actor_name": actor.get_username() if actor.is_authenticated else "anonymous",
        "actor_role": user_role(actor),
    }


def audit_intent_record(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    vps_name: str,
    request_body: dict[str, Any],
    client_ip: str | None,
) -> AuditRecord:
    """Record that an action is about to be sent upstream (outcome unknown until finished)."""
    return AuditRecord.objects.create(
        **_actor_fields(actor),
        action=action,
        vps_id=vps_id,
        vps_name=vps_name,
        request_body=request_body,
        client_ip=client_ip,
        outcome=Outcome.UNKNOWN,
    )


def audit_outcome_record(
    *,
    record: AuditRecord,
    outcome: str,
    duration_ms: int,
    http_status: int | None = None,
    problem: HostupError | None = None,
    hostup_request_id: str | None = None,
    result_prefix: str = "",
    result_next_hop: str = "",
) -> AuditRecord:
    """Move an intent record to its final outcome: the one update a record ever gets."""
    record.outcome = outcome
    record.completed_at = timezone.now()
    record.duration_ms = duration_ms
    record.http_status = problem.status if problem else http_status
    record.problem_code = problem.code if problem else ""
    record.problem_detail = _problem_text(problem) if problem else ""
    record.hostup_request_id = (problem.request_id if problem else hostup_request_id) or ""
    record.result_prefix = result_prefix
    record.result_next_hop = result_next_hop
    record.save(
        update_fields=[
            "outcome",
            "completed_at",
            "duration_ms",
            "http_status",
            "problem_code",
            "problem_detail",
            "hostup_request_id",
            "result_prefix",
            "result_next_hop",
        ]
    )
    return record


def audit_refusal_record(
    *,
    actor: AbstractBaseUser | AnonymousUser,
    action: str,
    vps_id: str = "",
    vps_name: str = "",
    request_body: dict[str, Any] | None = None,
    client_ip: str | None,
    code: str,
    detail: str,
) -> AuditRecord:
    """Record an attempt refused before reaching HostUp (permission, busy VPS, bad input)."""
    now = timezone.now()
    return AuditRecord.objects.create(
        **_actor_fields(actor),
        action=action,
        vps_id=vps_id,
        vps_name=vps_name,
        request_body=request_body or {},
        client_ip=client_ip,
        outcome=Outcome.REFUSED,
        created_at=now,
        completed_at=now,
        duration_ms=0,
        problem_code=code,
        problem_detail=detail,
    )


def _problem_text(problem: HostupError) -> str:
    parts = [problem.title, problem.detail] + [f"{e.pointer}: {e.detail}" for e in problem.errors]
    return " — ".join(part for part in parts if part)
