"""The routed-IPv6 actions: allocate, refresh next hop, release.

Every action follows one path (`_run_action`): validate, take the per-VPS advisory
lock, check the live state (an approved change request only), commit an audit intent,
call HostUp, then update the snapshot and record the outcome in one transaction. Nothing
here runs inside `atomic()` around a HostUp call: the intent must be committed before the
call leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.outcome_log import action_outcome_log as _log_outcome
from hostup_dash.core.clients import INTERACTIVE_RETRY_WAIT_S, hostup_client
from hostup_dash.core.errors import Refusal
from hostup_dash.core.locks import advisory_lock
from hostup_dash.core.problems import SERVICE_UNAVAILABLE
from hostup_dash.core.reasons import REASON_INVALID, ChangeReason, reason_errors, reason_refusal, reason_required
from hostup_dash.hostup import (
    FieldError,
    HostupClient,
    HostupError,
    InvalidRequest,
    Reply,
    RoutedIpv6State,
    check_rack_id,
    check_vps_id,
)

from ..models import VpsSnapshot
from .outcomes import outcome_check_queue
from .snapshot import vps_state_forget, vps_state_refresh, vps_state_store

logger = logging.getLogger(__name__)

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome

VPS_BUSY = "vps_busy"
VPS_BUSY_DETAIL = "Another action on this VPS is still running. Wait for it to finish, then try again."
NOT_CONFIRMED = "not_confirmed"
# A release is confirmed by typing the prefix it gives up, compared on the server with the one on record.
NOT_CONFIRMED_DETAIL = "Releasing starts a cooldown: type the prefix being released, {prefix}, exactly."
NO_PREFIX_DETAIL = "No prefix of this VPS is on record to confirm: re-check its state first."
# The record can be older than HostUp: the typed prefix is also compared with HostUp's live one before sending.
LIVE_MISMATCH_DETAIL = (
    "HostUp now shows {live} for this VPS, not {typed} as the page did; the page is updated. "
    "Nothing was sent: type {live} to release it."
)
LIVE_NONE_DETAIL = "HostUp shows no routed prefix on this VPS any more; the page is updated. Nothing was sent."
CONFIRM_UNREAD = "confirm_unread"
CONFIRM_UNREAD_DETAIL = "The prefix could not be checked against HostUp ({title}). Nothing was sent; try again."


@dataclass(frozen=True)
class ActionResult:
    """What an action did: its audit record and a sentence for the user."""

    record: AuditRecord
    message: str


# What one action's HostUp write gave: the state to show (with the write's own status and
# request id) and a sentence for the user.
_Answer = tuple[Reply[RoutedIpv6State | None], str]
# An approved change request's check that HostUp still shows what its requester saw: called with the
# action's client under the VPS's lock, before the intent. It raises Refusal only (never HostupError);
# its caller records why, and nothing is sent.
StateCheck = Callable[[HostupClient], None]


def ipv6_allocate(
    *,
    actor: AbstractBaseUser,
    vps_id: str,
    rack_id: str | None = None,
    client_ip: str | None = None,
    bulk_run_id: int | None = None,
    reason: str = "",
    ticket: str = "",
    change_request_id: int | None = None,
    state_check: StateCheck | None = None,
) -> ActionResult:
    """Allocate a routed prefix for a VPS. Raises Refusal (nothing sent) or HostupError."""
    body = {"action": "allocate", **({"rackId": rack_id} if rack_id else {})}

    def call(client: HostupClient) -> _Answer:
        reply = client.allocate_routed_ipv6(vps_id, rack_id=rack_id or None)
        state = reply.value
        prefix = state.allocation.prefix if state.allocation else "?"
        return reply, f"Allocated {prefix}." if state.created else f"{prefix} was already allocated."

    return _run_action(
        actor=actor,
        action=Action.ALLOCATE,
        vps_id=vps_id,
        rack_id=rack_id,
        body=body,
        client_ip=client_ip,
        call=call,
        bulk_run_id=bulk_run_id,
        change=ChangeReason.of(reason, ticket),
        change_request_id=change_request_id,
        state_check=state_check,
    )


def ipv6_next_hop_refresh(
    *,
    actor: AbstractBaseUser,
    vps_id: str,
    rack_id: str | None = None,
    client_ip: str | None = None,
    bulk_run_id: int | None = None,
    reason: str = "",
    ticket: str = "",
    change_request_id: int | None = None,
    state_check: StateCheck | None = None,
) -> ActionResult:
    """Point a VPS's routed prefix at HostUp's suggested next hop. Raises Refusal or HostupError."""
    body = {"action": "refresh_next_hop", **({"rackId": rack_id} if rack_id else {})}

    def call(client: HostupClient) -> _Answer:
        reply = client.refresh_next_hop(vps_id, rack_id=rack_id or None)
        next_hop = reply.value.allocation.next_hop if reply.value.allocation else "?"
        return reply, f"Next hop is now {next_hop}."

    return _run_action(
        actor=actor,
        action=Action.REFRESH_NEXT_HOP,
        vps_id=vps_id,
        rack_id=rack_id,
        body=body,
        client_ip=client_ip,
        call=call,
        bulk_run_id=bulk_run_id,
        change=ChangeReason.of(reason, ticket),
        change_request_id=change_request_id,
        state_check=state_check,
    )


def ipv6_release(
    *,
    actor: AbstractBaseUser,
    vps_id: str,
    confirm: str,
    reason: str,
    ticket: str = "",
    client_ip: str | None = None,
    change_request_id: int | None = None,
    state_check: StateCheck | None = None,
) -> ActionResult:
    """Release a VPS's routed prefix; it goes into cooldown. Refused (nothing sent) without a reason, or unless
    `confirm` is exactly the prefix on record for the VPS. Raises Refusal or HostupError."""

    def call(client: HostupClient) -> _Answer:
        reply = client.release_routed_ipv6(vps_id)
        release = reply.value
        if not release.released:
            message = "There was nothing to release."
        else:
            prefix = release.allocation.prefix if release.allocation else "The prefix"
            until = f" until {release.cooldown_until:%Y-%m-%d %H:%M} UTC" if release.cooldown_until else ""
            message = f"Released {prefix}; it is in cooldown{until}."
        # DELETE answers with the release only; re-read the state to show the panel as it now is.
        try:
            state: RoutedIpv6State | None = client.get_routed_ipv6(vps_id)
        except HostupError:
            logger.warning("could not re-read routed IPv6 of %s after release", vps_id)
            state = None
        return Reply(state, reply.status, reply.request_id), message  # the DELETE's own status and id

    return _run_action(
        actor=actor,
        action=Action.RELEASE,
        vps_id=vps_id,
        rack_id=None,
        body={},
        client_ip=client_ip,
        call=call,
        confirm=confirm,
        change=ChangeReason.of(reason, ticket),
        change_request_id=change_request_id,
        state_check=state_check,
    )


def _check_input(*, vps_id: str, rack_id: str | None, change: ChangeReason, confirm: str | None, prefix: str) -> None:
    """Raises Refusal for input that must not reach HostUp: every field error at once, so the form shows them all."""
    try:
        check_vps_id(vps_id)
        check_rack_id(rack_id)
    except InvalidRequest as invalid:
        raise Refusal(code=invalid.code, title=invalid.title, detail=invalid.detail, errors=invalid.errors) from None
    # A release (the one action with a confirmation) always needs a reason.
    errors = reason_errors(change, required=reason_required(always=confirm is not None))
    unconfirmed = confirm is not None and (not prefix or confirm != prefix)
    if unconfirmed:
        detail = NOT_CONFIRMED_DETAIL.format(prefix=prefix) if prefix else NO_PREFIX_DETAIL
        errors = (FieldError(pointer="/confirm", detail=detail, code="not_confirmed"), *errors)
    if errors:
        raise reason_refusal(errors, code=NOT_CONFIRMED if unconfirmed else REASON_INVALID)


def ipv6_input_check(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    client_ip: str | None,
    change: ChangeReason,
    rack_id: str | None = None,
    confirm: str | None = None,
) -> None:
    """An action's checks before sending, alone (a change request holds only what its action would accept).
    Raises Refusal, audited as the action refused; nothing is ever sent."""
    body = {} if action == Action.RELEASE else {"action": action, **({"rackId": rack_id} if rack_id else {})}
    why = {"reason": change.reason, "ticket": change.ticket, "change_request_id": None}
    _input_checked(actor, action, vps_id, body, client_ip, None, why, rack_id=rack_id, change=change, confirm=confirm)


def _input_checked(
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    body: dict[str, Any],
    client_ip: str | None,
    bulk_run_id: int | None,
    why: dict[str, Any],
    /,
    *,
    rack_id: str | None,
    change: ChangeReason,
    confirm: str | None,
) -> dict[str, Any]:
    """Check the input against the VPS on record; returns the fields a refusal of this attempt records
    (its VPS name among them): who, what, where from, and `why` (reason, ticket, change request).
    Raises Refusal, audited."""
    snapshot = VpsSnapshot.objects.filter(vps_id=vps_id).values_list("name", "routed_prefix").first()
    vps_name, prefix = snapshot or ("", "")
    if snapshot is not None and confirm is not None and confirm != prefix:
        prefix = _prefix_reread(vps_id, on_record=prefix)
    refusal = {
        "actor": actor,
        "action": action,
        "vps_id": vps_id,
        "vps_name": vps_name,
        "request_body": body,
        "client_ip": client_ip,
        "bulk_run_id": bulk_run_id,
        **why,
    }
    try:
        _check_input(vps_id=vps_id, rack_id=rack_id, change=change, confirm=confirm, prefix=prefix)
    except Refusal as problem:
        audit.audit_refusal_record(**refusal, problem=problem)
        raise
    return refusal


def _prefix_reread(vps_id: str, *, on_record: str) -> str:
    """A typed prefix the record does not hold may be HostUp's newer one: read the state live (stored, so the
    page shows it) and confirm against that; the record's prefix stands when HostUp cannot be read."""
    try:
        vps_state_refresh(vps_id=vps_id)
    except HostupError:
        return on_record
    return VpsSnapshot.objects.filter(vps_id=vps_id).values_list("routed_prefix", flat=True).first() or ""


def _run_action(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    rack_id: str | None,
    body: dict[str, Any],
    client_ip: str | None,
    call: Callable[[HostupClient], _Answer],
    change: ChangeReason,
    change_request_id: int | None,
    confirm: str | None = None,  # a release's typed prefix; None for an action without confirmation
    bulk_run_id: int | None = None,  # the bulk run this action is an item of; its records carry it
    state_check: StateCheck | None = None,
) -> ActionResult:
    # Every record of the attempt carries why it was made, valid or not (a refusal records what was typed).
    why = {"reason": change.reason, "ticket": change.ticket, "change_request_id": change_request_id}
    refusal = _input_checked(
        actor, action, vps_id, body, client_ip, bulk_run_id, why, rack_id=rack_id, change=change, confirm=confirm
    )
    vps_name = refusal["vps_name"]

    with advisory_lock(f"vps-action:{vps_id}") as acquired:
        if not acquired:
            busy = Refusal(code=VPS_BUSY, title="This VPS is busy", detail=VPS_BUSY_DETAIL, status=409)
            audit.audit_refusal_record(**refusal, problem=busy)
            raise busy

        try:  # a click holds one of the process's slots for waiting on HostUp; a bulk item (a job) does not
            client = hostup_client(
                actor=actor.get_username(), max_retry_wait=INTERACTIVE_RETRY_WAIT_S, interactive=bulk_run_id is None
            )
        except HostupError as slow:  # no slot: nothing is sent, so the attempt is a refusal, not an intent
            busy = Refusal(code=slow.code, title=slow.title, detail=slow.detail, status=SERVICE_UNAVAILABLE)
            audit.audit_refusal_record(**refusal, problem=busy)
            raise busy from None
        try:
            if state_check is not None:  # an approved release's check compares the prefix its requester saw
                state_check(client)
            elif confirm is not None:
                _confirm_live_check(client, vps_id=vps_id, confirm=confirm, refusal=refusal)
            intent = audit.audit_intent_record(
                actor=actor,
                action=action,
                vps_id=vps_id,
                vps_name=vps_name,
                request_body=body,
                client_ip=client_ip,
                bulk_run_id=bulk_run_id,
                **why,
            )
            started = time.monotonic()
            reply, message = call(client)
        except HostupError as problem:
            outcome = Outcome.UNKNOWN if problem.is_outcome_unknown else Outcome.FAILED
            duration_ms = _ms_since(started)
            # The snapshot first: the outcome's append holds the audit chain's lock until the commit.
            with transaction.atomic():
                if outcome == Outcome.UNKNOWN:
                    vps_state_forget(vps_id=vps_id)
                record = audit.audit_outcome_record(
                    intent=intent, outcome=outcome, duration_ms=duration_ms, problem=problem
                )
            _log_outcome(record)
            if outcome == Outcome.UNKNOWN:
                outcome_check_queue(intent_id=intent.id)  # a job reads what HostUp shows and records it
            raise
        finally:
            client.close()

        duration_ms = _ms_since(started)
        allocation = reply.value.allocation if reply.value else None
        with transaction.atomic():
            if reply.value is not None:
                vps_state_store(vps_id=vps_id, state=reply.value)
            else:
                vps_state_forget(vps_id=vps_id)
            record = audit.audit_outcome_record(
                intent=intent,
                outcome=Outcome.SUCCEEDED,
                duration_ms=duration_ms,
                http_status=reply.status,
                hostup_request_id=reply.request_id,
                result_prefix=(allocation.prefix or "") if allocation else "",
                result_next_hop=(allocation.next_hop or "") if allocation else "",
            )
        _log_outcome(record)
    return ActionResult(record=record, message=message)


def _confirm_live_check(client: HostupClient, *, vps_id: str, confirm: str, refusal: dict[str, Any]) -> None:
    """A release's typed prefix against HostUp's live state, under the VPS's lock, before the intent: a record
    older than HostUp must not let another prefix than the one typed be released. Raises Refusal (audited),
    after storing the live state so the form shown again names the prefix there is."""
    try:
        live = client.get_routed_ipv6(vps_id)
    except HostupError as unread:
        detail = CONFIRM_UNREAD_DETAIL.format(title=unread.title)
        problem = Refusal(code=CONFIRM_UNREAD, title="State not read", detail=detail, status=502)
    else:
        active = live.active_allocation
        if active is not None and active.prefix == confirm:
            return
        vps_state_store(vps_id=vps_id, state=live)
        detail = LIVE_MISMATCH_DETAIL.format(live=active.prefix, typed=confirm) if active else LIVE_NONE_DETAIL
        errors = (FieldError(pointer="/confirm", detail=detail, code=NOT_CONFIRMED),)
        problem = Refusal(code=NOT_CONFIRMED, title="The VPS changed", detail=detail, status=409, errors=errors)
    audit.audit_refusal_record(**refusal, problem=problem)
    raise problem


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
