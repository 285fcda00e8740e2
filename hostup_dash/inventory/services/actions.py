"""The routed-IPv6 actions: allocate, refresh next hop, release.

Every action follows one path (`_run_action`): validate (`action_checks`), take the per-VPS advisory
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
from hostup_dash.core.reasons import ChangeReason
from hostup_dash.hostup import HostupClient, HostupError, Reply, RoutedIpv6State

from .action_checks import confirm_live_check, input_checked
from .outcomes import outcome_check_queue
from .snapshot import vps_state_forget, vps_state_store

logger = logging.getLogger(__name__)

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome

VPS_BUSY = "vps_busy"
VPS_BUSY_DETAIL = "Another action on this VPS is still running. Wait for it to finish, then try again."


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
    refusal = input_checked(
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
                confirm_live_check(client, vps_id=vps_id, confirm=confirm, refusal=refusal)
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


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
