"""Reads of the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditRecord

VPS_HISTORY_LIMIT = 50


def audit_for_vps(*, vps_id: str, limit: int = VPS_HISTORY_LIMIT) -> list[AuditRecord]:
    """A VPS's own action history, newest first."""
    return list(AuditRecord.objects.filter(vps_id=vps_id).order_by("-created_at", "-id")[:limit])


def audit_list(*, vps: str = "", actor: str = "", action: str = "", outcome: str = "") -> QuerySet[AuditRecord]:
    """Audit records matching the filters, newest first. `vps` matches an id or a name."""
    records = AuditRecord.objects.order_by("-created_at", "-id")
    if vps:
        records = records.filter(vps_id=vps) if vps.startswith("vps_") else records.filter(vps_name__iexact=vps)
    if actor:
        records = records.filter(actor_name=actor)
    if action:
        records = records.filter(action=action)
    if outcome:
        records = records.filter(outcome=outcome)
    return records
