"""One JSON log line per finished HostUp write, per-VPS action or account route alike, for log searches."""

from __future__ import annotations

import logging

from .models import AuditRecord

logger = logging.getLogger(__name__)


def action_outcome_log(record: AuditRecord) -> None:
    """Log an outcome record's facts (never its request body: a reason is free text)."""
    logger.info(
        "routed-ipv6 %s on %s: %s",
        record.action,
        record.vps_id or "the account",
        record.outcome,
        extra={
            "event": "action_outcome",
            "action": record.action,
            "vps_id": record.vps_id,
            "actor": record.actor_name,
            "outcome": record.outcome,
            "status": record.http_status,
            "problem_code": record.problem_code,
            "hostup_request_id": record.hostup_request_id,
            "duration_ms": record.duration_ms,
            "result_prefix": record.result_prefix,
            "audit_record": record.id,
        },
    )
