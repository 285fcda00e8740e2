"""Four-eyes approval: change requests made, decided and carried out (the worker's sweeps: sweeps.py).

A request is decided under its row lock (SELECT ... FOR UPDATE): of two approvers clicking at
once, one approves and the other is told it is decided already, so it runs once. The approved
action then runs through the inventory's action service as the approver's click, outside any
transaction (its intent must be committed before HostUp is called), and only if a live read,
made under the VPS's action lock, still shows the state the requester saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from hostup_dash.accounts import roles
from hostup_dash.accounts.roles import user_role
from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.locks import lock_key
from hostup_dash.core.reasons import ChangeReason
from hostup_dash.hostup import HostupClient, HostupError, RoutedIpv6State
from hostup_dash.inventory import selectors as inventory_selectors
from hostup_dash.inventory import services as inventory
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.action_checks import NOT_CONFIRMED

from .models import ChangeRequest, seen_state_hash
from .records import change_request_body, change_request_mark_expired, change_request_record

Status = ChangeRequest.Status
AuditAction = AuditRecord.Action
Outcome = AuditRecord.Outcome

NOT_FOUND = "change_request_not_found"
NOT_FOUND_DETAIL = "There is no such change request."
SELF_DECISION = "self_decision"
SELF_DECISION_DETAIL = "You asked for this change: another person must approve or reject it."
NOT_APPROVER = "not_approver"
NOT_APPROVER_DETAIL = "Only a holder of approve_change (admin or approver) decides change requests."
DECIDED = "change_request_decided"
EXPIRED_DETAIL = "This request expired at {at:%Y-%m-%d %H:%M} UTC without a decision; ask again if it is still needed."
DECIDED_DETAIL = "This request is already decided: {status}."
ALREADY_WAITING = "change_request_waiting"
ALREADY_WAITING_DETAIL = "Request #{id} for this change is already waiting for approval."
REQUESTED = (
    "Request #{id} is waiting for approval by another admin or approver, until {until:%Y-%m-%d %H:%M} UTC. "
    "Nothing is sent to HostUp before then."
)
NO_SUCH_VPS = "vps_unknown"
NO_SUCH_VPS_DETAIL = "This VPS is not in the inventory yet; wait for the next sync."
# Raised by the state check under the VPS's lock, caught here: nothing was sent.
STATE_CHANGED = "state_changed"
STATE_UNREAD = "state_unread"
PREFIX_CHANGED_DETAIL = (
    "The VPS changed since the request: the prefix on record is no longer {prefix}, the one the requester saw. "
    "Nothing was sent to HostUp."
)


def approval_is_required(action: str) -> bool:
    """Whether `action`, asked for on a VPS page, waits for a second person (APPROVAL_REQUIRED_FOR)."""
    return action in settings.APPROVAL_REQUIRED_FOR


@dataclass(frozen=True)
class Requested:
    """What asking did, shown where an action's own result would be."""

    change_request: ChangeRequest
    message: str


def change_request_create(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    change: ChangeReason,
    client_ip: str | None,
    rack_id: str | None = None,
    confirm: str | None = None,
) -> Requested:
    """Ask for `action` on a VPS instead of doing it, keeping the state the requester saw (the snapshot the page
    showed). Raises Refusal (audited): what the action itself would refuse (a missing reason, a wrong typed
    prefix), a VPS not in the inventory, or the same change already waiting."""
    inventory.ipv6_input_check(
        actor=actor, action=action, vps_id=vps_id, client_ip=client_ip, change=change, rack_id=rack_id, confirm=confirm
    )
    vps = inventory_selectors.vps_get(vps_id=vps_id)
    waiting, request = None, None
    if vps is not None:
        with transaction.atomic():  # the request and its first audit record, or neither
            # Two clicks at once must not make two requests for one change: they wait for each other here.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(f"change-request:{vps_id}:{action}")])
            waiting = ChangeRequest.objects.filter(
                vps_id=vps_id, action=action, status=Status.PENDING, expires_at__gt=timezone.now()
            ).first()
            if waiting is None:
                request = _request_store(
                    vps, actor=actor, action=action, change=change, client_ip=client_ip, rack_id=rack_id
                )
    if request is None:
        if vps is None:
            problem = Refusal(code=NO_SUCH_VPS, title="Unknown VPS", detail=NO_SUCH_VPS_DETAIL, status=404)
        else:
            detail = ALREADY_WAITING_DETAIL.format(id=waiting.id)
            problem = Refusal(code=ALREADY_WAITING, title="Already requested", detail=detail, status=409)
        audit.audit_refusal_record(
            actor=actor,
            action=AuditAction.CHANGE_REQUEST,
            vps_id=vps_id,
            vps_name=vps.name if vps else "",
            request_body={"action": action},
            client_ip=client_ip,
            problem=problem,
            reason=change.reason,
            ticket=change.ticket,
            change_request_id=waiting.id if waiting else None,
        )
        raise problem
    return Requested(change_request=request, message=REQUESTED.format(id=request.id, until=request.expires_at))


def _request_store(
    vps: VpsSnapshot,
    *,
    actor: AbstractBaseUser,
    action: str,
    change: ChangeReason,
    client_ip: str | None,
    rack_id: str | None,
) -> ChangeRequest:
    """Create the request with the state the requester saw, and its first audit record (inside the caller's
    transaction)."""
    active = vps.has_active_allocation
    prefix, next_hop = (vps.routed_prefix, vps.next_hop) if active else ("", "")
    now = timezone.now()
    request = ChangeRequest.objects.create(
        created_at=now,
        action=action,
        vps_id=vps.vps_id,
        vps_name=vps.name,
        rack_id=rack_id or "",
        reason=change.reason,
        ticket=change.ticket,
        requested_by=actor,
        requested_by_name=actor.get_username(),
        requested_by_role=user_role(actor),
        client_ip=client_ip or "",
        seen_prefix=prefix,
        seen_next_hop=next_hop,
        seen_hash=seen_state_hash(action=action, vps_id=vps.vps_id, prefix=prefix, next_hop=next_hop),
        expires_at=now + timedelta(seconds=settings.APPROVAL_TTL),
    )
    body = change_request_body(request) | {
        "seen": {"prefix": prefix, "next_hop": next_hop},
        "seen_hash": request.seen_hash,
    }
    change_request_record(request, actor=actor, action=AuditAction.CHANGE_REQUEST, client_ip=client_ip, body=body)
    return request


def _decision_problem(request: ChangeRequest, actor: AbstractBaseUser) -> Refusal | None:
    """Why `actor` may not decide the (locked) request now; None when they may."""
    if not actor.has_perm(roles.APPROVE_CHANGE):
        return Refusal(code=NOT_APPROVER, title="Not allowed", detail=NOT_APPROVER_DETAIL, status=403)
    if request.is_requested_by(actor):
        return Refusal(code=SELF_DECISION, title="Four eyes", detail=SELF_DECISION_DETAIL, status=403)
    if request.status == Status.EXPIRED:
        detail = EXPIRED_DETAIL.format(at=request.expires_at)
        return Refusal(code=DECIDED, title="Expired", detail=detail, status=409)
    if request.status != Status.PENDING:
        detail = DECIDED_DETAIL.format(status=request.get_status_display().lower())
        return Refusal(code=DECIDED, title="Already decided", detail=detail, status=409)
    return None


def _decide(*, actor: AbstractBaseUser, change_request_id: int, client_ip: str | None, to: str) -> ChangeRequest:
    """Approve or reject (`to`) under the request's row lock. Raises Refusal (audited)."""
    action = AuditAction.CHANGE_APPROVE if to == Status.APPROVED else AuditAction.CHANGE_REJECT
    with transaction.atomic():
        request = ChangeRequest.objects.select_for_update().filter(id=change_request_id).first()
        if request is None:
            problem: Refusal | None = Refusal(code=NOT_FOUND, title="Not found", detail=NOT_FOUND_DETAIL, status=404)
        else:
            if request.is_expired and request.status == Status.PENDING:
                change_request_mark_expired(request)  # the job has not come round yet; it would find it expired too
            problem = _decision_problem(request, actor)
            if problem is None:
                request.status = to
                request.decided_by = actor
                request.decided_by_name = actor.get_username()
                request.decided_by_role = user_role(actor)
                request.decided_at = timezone.now()
                request.save(update_fields=["status", "decided_by", "decided_by_name", "decided_by_role", "decided_at"])
                change_request_record(request, actor=actor, action=action, client_ip=client_ip)
    if problem is not None:  # recorded after the decision's transaction, which an expiry may have needed
        audit.audit_refusal_record(
            actor=actor,
            action=action,
            vps_id=request.vps_id if request else "",
            vps_name=request.vps_name if request else "",
            request_body={"action": request.action} if request else {},
            client_ip=client_ip,
            problem=problem,
            change_request_id=change_request_id,
        )
        raise problem
    return request


def change_request_reject(*, actor: AbstractBaseUser, change_request_id: int, client_ip: str | None) -> ChangeRequest:
    """Reject a waiting request: nothing is sent. Raises Refusal (audited): own request, decided, expired."""
    return _decide(actor=actor, change_request_id=change_request_id, client_ip=client_ip, to=Status.REJECTED)


def change_request_approve(*, actor: AbstractBaseUser, change_request_id: int, client_ip: str | None) -> ChangeRequest:
    """Approve a waiting request and carry it out as `actor`'s click. Raises Refusal (audited) when it may
    not be approved; what the action then did (done, failed, the VPS changed) is in the returned status."""
    request = _decide(actor=actor, change_request_id=change_request_id, client_ip=client_ip, to=Status.APPROVED)
    return _execute(request, actor=actor, client_ip=client_ip)


def _state_difference(request: ChangeRequest, live: RoutedIpv6State) -> str:
    """How HostUp's live state differs from what the requester saw, in words; "" when it matches (by hash)."""
    active = live.active_allocation
    prefix, next_hop = ((active.prefix or ""), (active.next_hop or "")) if active else ("", "")
    now = seen_state_hash(action=request.action, vps_id=request.vps_id, prefix=prefix, next_hop=next_hop)
    if now == request.seen_hash:
        return ""
    changes = [
        f"the {name} is now {current or 'none'} (the requester saw {seen or 'none'})"
        for name, current, seen in (
            ("prefix", prefix, request.seen_prefix),
            ("next hop", next_hop, request.seen_next_hop),
        )
        if current != seen
    ]
    return f"The VPS changed since the request: {'; '.join(changes)}. Nothing was sent to HostUp."


def _state_check(request: ChangeRequest) -> inventory.StateCheck:
    """The action service calls this under the VPS's lock, before its intent: a mismatch sends nothing."""

    def check(client: HostupClient) -> None:
        try:
            live = client.get_routed_ipv6(request.vps_id)
        except HostupError as problem:
            detail = f"The VPS's state could not be read from HostUp ({problem.title}). Nothing was sent."
            raise Refusal(code=STATE_UNREAD, title="State not read", detail=detail, status=502) from problem
        difference = _state_difference(request, live)
        if difference:
            raise Refusal(code=STATE_CHANGED, title="The VPS changed", detail=difference, status=409)

    return check


def _run(request: ChangeRequest, *, actor: AbstractBaseUser, client_ip: str | None) -> inventory.ActionResult:
    """The requested action through the action service, tagged with the request, its reason and ticket."""
    common = {
        "actor": actor,
        "vps_id": request.vps_id,
        "client_ip": client_ip,
        "reason": request.reason,
        "ticket": request.ticket,
        "change_request_id": request.id,
        "state_check": _state_check(request),
    }
    if request.action == ChangeRequest.Action.RELEASE:
        return inventory.ipv6_release(**common, confirm=request.seen_prefix)
    if request.action == ChangeRequest.Action.ALLOCATE:
        return inventory.ipv6_allocate(**common, rack_id=request.rack_id or None)
    return inventory.ipv6_next_hop_refresh(**common, rack_id=request.rack_id or None)


def _execute(request: ChangeRequest, *, actor: AbstractBaseUser, client_ip: str | None) -> ChangeRequest:
    """Carry out an approved request and record how it ended; never raises for the action's own failure."""
    record_outcome, problem = Outcome.SUCCEEDED, None
    try:
        result = _run(request, actor=actor, client_ip=client_ip)
    except Refusal as refusal:
        problem = refusal
        request.status_detail = refusal.detail or refusal.title
        # The typed prefix no longer matching the one on record is the VPS having changed, too.
        if refusal.code in (STATE_CHANGED, NOT_CONFIRMED):
            status, action, record_outcome = Status.INVALIDATED, AuditAction.CHANGE_INVALIDATE, Outcome.SUCCEEDED
            if refusal.code == NOT_CONFIRMED:
                request.status_detail = PREFIX_CHANGED_DETAIL.format(prefix=request.seen_prefix)
        else:  # the VPS busy, the state unreadable: nothing was sent
            status, action, record_outcome = Status.FAILED, AuditAction.CHANGE_EXECUTE, Outcome.REFUSED
    except HostupError as failure:
        problem = failure
        unknown = failure.is_outcome_unknown
        status, action = (Status.UNKNOWN if unknown else Status.FAILED), AuditAction.CHANGE_EXECUTE
        record_outcome = Outcome.UNKNOWN if unknown else Outcome.FAILED
        request.status_detail = " — ".join(part for part in (failure.title, failure.detail) if part)
    else:
        status, action = Status.EXECUTED, AuditAction.CHANGE_EXECUTE
        request.status_detail = result.message
        request.outcome_record_id = result.record.id
    request.status = status
    with transaction.atomic():
        request.save(update_fields=["status", "status_detail", "outcome_record_id"])
        body = change_request_body(request, approved_by=request.decided_by_name)
        if request.outcome_record_id:
            body["outcome_record"] = request.outcome_record_id
        change_request_record(
            request, actor=actor, action=action, client_ip=client_ip, body=body, outcome=record_outcome, problem=problem
        )
    return request
