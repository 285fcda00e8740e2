"""Where events come from: audit records as they are appended, VPS states as they are stored, and
audit checkpoints as they are signed.

Both signals are sent inside the writer's transaction, so the deliveries commit with the record
or state they tell of, or not at all. A failure here is logged and never fails the audit record:
the trail matters more than a message about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from hostup_dash.audit.models import AuditRecord
from hostup_dash.checkpoints.models import Checkpoint
from hostup_dash.hostup import RoutedIpv6State
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.outcomes import NOT_TAKEN, TOOK_EFFECT
from hostup_dash.inventory.signals import state_stored

from .models import DriftNotice, Event
from .payloads import clip, dashboard_link, page_link, vps_link, vps_words
from .services import notify

logger = logging.getLogger(__name__)

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome
# The changes an action.* event tells of: the VPS's own routed IPv6 and the account's pools and routes.
ACTIONS = {
    Action.ALLOCATE,
    Action.REFRESH_NEXT_HOP,
    Action.RELEASE,
    Action.POOL_ALLOCATE,
    Action.POOL_RELEASE,
    Action.ROUTE_CREATE,
    Action.ROUTE_DELETE,
}
ACTION_EVENTS = {
    Outcome.SUCCEEDED: Event.ACTION_SUCCEEDED,
    Outcome.FAILED: Event.ACTION_FAILED,
    Outcome.UNKNOWN: Event.ACTION_UNKNOWN,
}
# A follow-up check settles an unknown outcome: the action took effect or it did not.
FOLLOW_UP_CODES = (TOOK_EFFECT, NOT_TAKEN)
# A change request's end, as approval.decided's outcome names it.
DECISIONS = {
    Action.CHANGE_APPROVE: "approved",
    Action.CHANGE_REJECT: "rejected",
    Action.CHANGE_EXPIRE: "expired",
    Action.CHANGE_INVALIDATE: "invalidated",
}


@receiver(post_save, sender=AuditRecord, dispatch_uid="notifications-audit-record")
def _audit_recorded(sender, instance: AuditRecord, created: bool, **kwargs: Any) -> None:
    # audit_append saves each record once, inside its transaction (the table refuses updates);
    # a fixture being loaded (raw) is history, not news.
    if not created or kwargs.get("raw"):
        return
    notice = audit_notice(instance)
    if notice is not None:
        _notify_safely(partial(notify, **notice), about=f"audit record {instance.id}")


def audit_notice(record: AuditRecord) -> dict[str, Any] | None:
    """The event an audit record tells of, as notify's arguments; None when it tells of none."""
    if record.outcome in (Outcome.PENDING, Outcome.REFUSED):
        return None  # an intent (its outcome follows) or an attempt turned down before anything changed
    for notice in (_action_notice, _follow_up_notice, _approval_notice, _break_glass_notice):
        found = notice(record)
        if found is not None:
            link = found.pop("link", None) or (vps_link(record.vps_id) if record.vps_id else dashboard_link())
            common = {
                "vps_id": record.vps_id,
                "vps_name": record.vps_name,
                "actor": record.actor_name,
                "action": record.action,
                "outcome": record.outcome,
                "reason": record.reason,
                "ticket": record.ticket,
                "audit_record": record.id,
                "time": record.created_at,
            }
            return common | found | {"link": link, "text": f"{found['text']}{_why(record)} {link}"}
    return None


def _action_notice(record: AuditRecord) -> dict[str, Any] | None:
    if record.action not in ACTIONS or record.outcome not in ACTION_EVENTS:
        return None
    what = f"{Action(record.action).label}{_where(record)} by {clip(record.actor_name)}"
    return {"event": ACTION_EVENTS[record.outcome], "text": f"{what} {_outcome_words(record)}."}


def _follow_up_notice(record: AuditRecord) -> dict[str, Any] | None:
    """An unknown outcome settled, by the worker's check of HostUp's state or by HostUp's own log
    (reconcile): the intent's action, as if it had just ended."""
    if not record.intent_id:
        return None
    if record.action == Action.RESOLVE_OUTCOME and record.problem_code in FOLLOW_UP_CODES:
        outcome = Outcome.SUCCEEDED if record.problem_code == TOOK_EFFECT else Outcome.FAILED
    elif record.action == Action.RECONCILE and record.outcome in (Outcome.SUCCEEDED, Outcome.FAILED):
        # The worker's state check may have settled it first and told the webhooks: they hear of it once.
        checked = AuditRecord.objects.filter(
            intent_id=record.intent_id, action=Action.RESOLVE_OUTCOME, problem_code__in=FOLLOW_UP_CODES
        )
        if checked.exists():
            return None
        outcome = record.outcome
    else:
        return None
    intent = record.intent
    text = f"{Action(intent.action).label}{_where(record)} by {clip(intent.actor_name)}, checked after an "
    text += f"unknown outcome: {clip(record.problem_detail)}"
    return {
        "event": ACTION_EVENTS[outcome],
        "actor": intent.actor_name,
        "action": intent.action,
        "outcome": outcome,
        "text": text,
    }


def _approval_notice(record: AuditRecord) -> dict[str, Any] | None:
    if record.action != Action.CHANGE_REQUEST and record.action not in DECISIONS:
        return None
    asked = _asked_for(record)
    if record.action == Action.CHANGE_REQUEST:
        text = f"{clip(record.actor_name)} asks for approval to {asked} on {_vps(record)}."
        return {"event": Event.APPROVAL_REQUESTED, "link": _request_link(record), "text": text}
    decision = DECISIONS[record.action]
    requester = record.request_body.get("requested_by") if isinstance(record.request_body, dict) else None
    whose = f" of {clip(requester)}" if requester else ""
    by = f" by {clip(record.actor_name)}" if record.actor_id else ""  # the system expires requests
    detail = f" {clip(record.problem_detail)}" if record.problem_detail else ""
    text = f"The request{whose} to {asked} on {_vps(record)} was {decision}{by}.{detail}"
    return {"event": Event.APPROVAL_DECIDED, "outcome": decision, "link": _request_link(record), "text": text}


def _break_glass_notice(record: AuditRecord) -> dict[str, Any] | None:
    if record.action == Action.BREAK_GLASS:
        text = f"{clip(record.actor_name)} made an emergency change ({_asked_for(record)}) on {_vps(record)} "
        return {"event": Event.BREAK_GLASS, "text": text + "without approval."}
    if record.action == Action.LOGIN_BREAK_GLASS:
        went = "logged in" if record.outcome == Outcome.SUCCEEDED else f"tried to log in ({record.outcome})"
        text = f"{clip(record.actor_name)} {went} with a break-glass account, past single sign-on."
        return {"event": Event.BREAK_GLASS, "text": text}
    return None


def _vps(record: AuditRecord) -> str:
    return vps_words(record.vps_id, record.vps_name)


def _where(record: AuditRecord) -> str:
    """on <the VPS> (with its leading space), or nothing: the account's pools and routes have no VPS."""
    return f" on {_vps(record)}" if record.vps_id or record.vps_name else ""


def _request_link(record: AuditRecord) -> str:
    """The change request's page, or the list of requests."""
    if record.change_request_id:
        return page_link("approvals:request-detail", record.change_request_id)
    return page_link("approvals:request-list")


def _asked_for(record: AuditRecord) -> str:
    """The action a change request asks for, in words ("release"), from what its records carry."""
    asked = record.request_body.get("action") if isinstance(record.request_body, dict) else None
    return Action(asked).label.lower() if asked in Action.values else "make a change"


def _outcome_words(record: AuditRecord) -> str:
    if record.outcome == Outcome.SUCCEEDED:
        return f"succeeded: {clip(record.result_prefix)}" if record.result_prefix else "succeeded"
    if record.outcome == Outcome.UNKNOWN:
        return "has an unknown outcome; the dashboard checks what HostUp shows"
    return f"failed: {clip(record.problem_detail)}" if record.problem_detail else "failed"


def _why(record: AuditRecord) -> str:
    """Reason: …, ticket …. (with its leading space), or nothing."""
    parts = [f"Reason: {clip(record.reason)}" if record.reason else "", clip(record.ticket)]
    said = ", ".join(part for part in parts if part)
    return f" {said}." if said else ""


@receiver(state_stored, dispatch_uid="notifications-drift")
def _state_stored(sender, vps_id: str, state: RoutedIpv6State, **kwargs: Any) -> None:
    # Only a drifted state costs a query: the notices of drifts that ended are swept every minute.
    if state.is_next_hop_stale:
        _notify_safely(partial(drift_notify, vps_id=vps_id, state=state), about=f"the drift of {vps_id}")


def drift_notify(*, vps_id: str, state: RoutedIpv6State) -> int:
    """drift.found, once per drift: the first read that finds it notifies, later reads find the notice."""
    _, is_new = DriftNotice.objects.get_or_create(vps_id=vps_id)
    if not is_new:
        return 0
    name = VpsSnapshot.objects.filter(vps_id=vps_id).values_list("name", flat=True).first() or ""
    active = state.active_allocation
    prefix, hop, suggested = (active.prefix or "", active.next_hop or "", state.suggested_next_hop or "")
    link = vps_link(vps_id)
    text = (
        f"The next hop of {vps_words(vps_id, name)} differs from HostUp's suggestion: {clip(prefix)} routes to "
        f"{clip(hop)}, HostUp suggests {clip(suggested)}. {link}"
    )
    return notify(
        Event.DRIFT_FOUND,
        vps_id=vps_id,
        vps_name=name,
        action="refresh_next_hop",
        outcome="drifted",
        link=link,
        text=text,
    )


@receiver(post_save, sender=Checkpoint, dispatch_uid="notifications-checkpoint")
def _checkpoint_signed(sender, instance: Checkpoint, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        _notify_safely(partial(checkpoint_notify, instance), about=f"checkpoint {instance.number}")


def checkpoint_notify(checkpoint: Checkpoint) -> int:
    """audit.checkpoint with the whole signed statement, so a receiver holds a copy a verifier can use."""
    statement = {
        name: getattr(checkpoint, name)
        for name in ("number", "chain_length", "head_id", "head_hash", "prev_hash", "key_id", "signature", "hash")
    }
    link = page_link("checkpoints:checkpoint-list")
    text = f"Audit checkpoint #{checkpoint.number} signed the chain up to record #{checkpoint.head_id}. {link}"
    return notify(
        Event.AUDIT_CHECKPOINT,
        actor="system",
        action="audit_checkpoint",
        outcome="signed",
        link=link,
        text=text,
        time=checkpoint.created_at,
        details=statement | {"created_at": checkpoint.created_at.isoformat()},
    )


def _notify_safely(queue: Callable[[], int], *, about: str) -> None:
    """Queue in a savepoint: a failure rolls back only the deliveries, and is logged."""
    try:
        with transaction.atomic():
            queue()
    except DatabaseError:
        logger.exception("webhook deliveries for %s could not be queued", about)
