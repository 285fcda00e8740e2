"""The only code that changes state: HostUp writes, the inventory sync, the snapshot.

Routed-IPv6 actions follow one path (`_run_action`): validate, take the per-VPS
advisory lock, commit an audit intent, call HostUp, record the outcome, update the
snapshot. Nothing here runs inside `atomic()` around a HostUp call: the intent
must be committed before the call leaves.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.locks import advisory_lock
from hostup_dash.hostup import (
    AccountRoutedIpv6,
    FieldError,
    HostupClient,
    HostupError,
    RoutedIpv6State,
    Vps,
    check_rack_id,
    check_vps_id,
)

from .models import SyncRun, VpsSnapshot

logger = logging.getLogger(__name__)

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome

VPS_BUSY = "vps_busy"
VPS_BUSY_DETAIL = "Another action on this VPS is still running. Wait for it to finish, then try again."
NOT_CONFIRMED = "not_confirmed"
NOT_CONFIRMED_DETAIL = "Releasing starts a cooldown; confirm that you mean it."
SYNC_LOCK = "inventory-sync"
SYNC_ACTOR = "inventory-sync"  # names the sync's HostUp calls in the logs
# Requests per rate-limit window the state pass leaves for people using the dashboard.
RATE_LIMIT_RESERVE_MIN = 5
RATE_LIMIT_RESERVE_SHARE = 0.2
# Longest the state pass waits for a rate-limit window to reset before it stops.
MAX_PACING_WAIT_S = 30.0
SNAPSHOT_BATCH = 1000


# A person is waiting on a page: never hold a web worker long on a 429's Retry-After.
INTERACTIVE_RETRY_WAIT_S = 1.0


def hostup_client(*, actor: str = "", max_retry_wait: float = 10.0) -> HostupClient:
    """A client configured from settings; one per unit of work (a Session is not thread-safe)."""
    return HostupClient(
        base_url=settings.HOSTUP_API_URL,
        token=settings.HOSTUP_API_TOKEN,
        timeout=settings.HOSTUP_TIMEOUT,
        actor=actor,
        max_retry_wait=max_retry_wait,
    )


# --- routed-IPv6 actions --------------------------------------------------


@dataclass(frozen=True)
class ActionResult:
    """What an action did: its audit record and a sentence for the user."""

    record: AuditRecord
    message: str


@dataclass(frozen=True)
class _Answer:
    """What one action's HostUp call gave: the state after it, a sentence, and the write's own status and id."""

    state: RoutedIpv6State | None
    message: str
    http_status: int | None
    request_id: str | None


def _answer(client: HostupClient, state: RoutedIpv6State | None, message: str) -> _Answer:
    """Capture the status and request id of the call just made, before any other call replaces them."""
    return _Answer(state=state, message=message, http_status=client.last_status, request_id=client.last_request_id)


def ipv6_allocate(
    *, actor: AbstractBaseUser, vps_id: str, rack_id: str | None = None, client_ip: str | None = None
) -> ActionResult:
    """Allocate a routed prefix for a VPS. Raises HostupError (also for local refusals)."""
    body = {"action": "allocate", **({"rackId": rack_id} if rack_id else {})}

    def call(client: HostupClient) -> _Answer:
        state = client.allocate_routed_ipv6(vps_id, rack_id=rack_id or None)
        prefix = state.allocation.prefix if state.allocation else "?"
        return _answer(client, state, f"Allocated {prefix}." if state.created else f"{prefix} was already allocated.")

    return _run_action(actor=actor, action=Action.ALLOCATE, vps_id=vps_id, rack_id=rack_id, body=body,
                       client_ip=client_ip, call=call)


def ipv6_next_hop_refresh(
    *, actor: AbstractBaseUser, vps_id: str, rack_id: str | None = None, client_ip: str | None = None
) -> ActionResult:
    """Point a VPS's routed prefix at HostUp's suggested next hop. Raises HostupError."""
    body = {"action": "refresh_next_hop", **({"rackId": rack_id} if rack_id else {})}

    def call(client: HostupClient) -> _Answer:
        state = client.refresh_next_hop(vps_id, rack_id=rack_id or None)
        next_hop = state.allocation.next_hop if state.allocation else "?"
        return _answer(client, state, f"Next hop is now {next_hop}.")

    return _run_action(actor=actor, action=Action.REFRESH_NEXT_HOP, vps_id=vps_id, rack_id=rack_id, body=body,
                       client_ip=client_ip, call=call)


def ipv6_release(
    *, actor: AbstractBaseUser, vps_id: str, confirmed: bool, client_ip: str | None = None
) -> ActionResult:
    """Release a VPS's routed prefix; it goes into cooldown. Refused unless confirmed. Raises HostupError."""

    def call(client: HostupClient) -> _Answer:
        release = client.release_routed_ipv6(vps_id)
        if not release.released:
            message = "There was nothing to release."
        else:
            prefix = release.allocation.prefix if release.allocation else "The prefix"
            until = f" until {release.cooldown_until:%Y-%m-%d %H:%M} UTC" if release.cooldown_until else ""
            message = f"Released {prefix}; it is in cooldown{until}."
        answer = _answer(client, None, message)  # the DELETE's own status and request id
        # DELETE answers with the release only; re-read the state to show the panel as it now is.
        try:
            return replace(answer, state=client.get_routed_ipv6(vps_id))
        except HostupError:
            logger.warning("could not re-read routed IPv6 of %s after release", vps_id)
            return answer

    return _run_action(actor=actor, action=Action.RELEASE, vps_id=vps_id, rack_id=None, body={},
                       client_ip=client_ip, call=call, confirmed=confirmed)


def _run_action(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_id: str,
    rack_id: str | None,
    body: dict[str, Any],
    client_ip: str | None,
    call: Callable[[HostupClient], _Answer],
    confirmed: bool = True,
) -> ActionResult:
    snapshot = VpsSnapshot.objects.filter(vps_id=vps_id).first()
    vps_name = snapshot.name if snapshot else ""
    refusal = {"actor": actor, "action": action, "vps_id": vps_id, "vps_name": vps_name,
               "request_body": body, "client_ip": client_ip}
    try:
        check_vps_id(vps_id)
        check_rack_id(rack_id)
        if not confirmed:
            raise HostupError(code=NOT_CONFIRMED, title="Not confirmed", detail=NOT_CONFIRMED_DETAIL,
                              errors=(FieldError(pointer="/confirm", detail=NOT_CONFIRMED_DETAIL, code="required"),))
    except HostupError as problem:
        audit.audit_refusal_record(**refusal, problem=problem)
        raise

    with advisory_lock(f"vps-action:{vps_id}") as acquired:
        if not acquired:
            busy = HostupError(code=VPS_BUSY, title="This VPS is busy", detail=VPS_BUSY_DETAIL, status=409)
            audit.audit_refusal_record(**refusal, problem=busy)
            raise busy

        intent = audit.audit_intent_record(actor=actor, action=action, vps_id=vps_id, vps_name=vps_name,
                                           request_body=body, client_ip=client_ip)
        client = hostup_client(actor=actor.get_username(), max_retry_wait=INTERACTIVE_RETRY_WAIT_S)
        started = time.monotonic()
        try:
            answer = call(client)
        except HostupError as problem:
            outcome = Outcome.UNKNOWN if problem.is_outcome_unknown else Outcome.FAILED
            record = audit.audit_outcome_record(intent=intent, outcome=outcome, duration_ms=_ms_since(started),
                                                problem=problem)
            _log_outcome(record)
            if outcome == Outcome.UNKNOWN:
                _forget_state(vps_id)
            raise
        finally:
            client.close()

        allocation = answer.state.allocation if answer.state else None
        record = audit.audit_outcome_record(
            intent=intent,
            outcome=Outcome.SUCCEEDED,
            duration_ms=_ms_since(started),
            http_status=answer.http_status,
            hostup_request_id=answer.request_id,
            result_prefix=(allocation.prefix or "") if allocation else "",
            result_next_hop=(allocation.next_hop or "") if allocation else "",
        )
        _log_outcome(record)
    if answer.state is not None:
        _store_state(vps_id, answer.state)
    else:
        _forget_state(vps_id)
    return ActionResult(record=record, message=answer.message)


def _log_outcome(record: AuditRecord) -> None:
    logger.info(
        "routed-ipv6 %s on %s: %s", record.action, record.vps_id, record.outcome,
        extra={"event": "action_outcome", "action": record.action, "vps_id": record.vps_id,
               "actor": record.actor_name, "outcome": record.outcome, "status": record.http_status,
               "problem_code": record.problem_code, "hostup_request_id": record.hostup_request_id,
               "duration_ms": record.duration_ms, "audit_record": record.id},
    )


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- live state of one VPS ------------------------------------------------


def vps_state_refresh(*, vps_id: str, actor: str = "") -> RoutedIpv6State:
    """Read one VPS's routed-IPv6 state live and store it in its snapshot row. Raises HostupError.

    One upstream call when the VPS is in the snapshot; a VPS not yet synced costs a second
    call for its name and addresses.
    """
    check_vps_id(vps_id)
    client = hostup_client(actor=actor, max_retry_wait=INTERACTIVE_RETRY_WAIT_S)
    try:
        routed = client.get_routed_ipv6(vps_id)
        if not VpsSnapshot.objects.filter(vps_id=vps_id).exists():
            snapshot = _snapshot_from_vps(client.get_vps(vps_id), timezone.now())
            _apply_state(snapshot, routed, timezone.now())
            snapshot.save()
            return routed
    finally:
        client.close()
    _store_state(vps_id, routed)
    return routed


def _snapshot_from_vps(vps: Vps, now: datetime) -> VpsSnapshot:
    return VpsSnapshot(
        vps_id=vps.id,
        name=vps.name,
        primary_ip=vps.primary_ip or "",
        service_status=vps.service_status,
        power_state=vps.power_state or "",
        synced_at=now,
    )


# The columns a routed-IPv6 state fills: the only ones an action or a live read may write,
# so a concurrent inventory pass's names, addresses and routes are never overwritten.
STATE_FIELDS = (
    "state_checked_at", "routed_available", "routed_reason", "parent_cidr", "max_per_vm", "cooldown_days",
    "suggested_next_hop", "routed_prefix", "allocation_status", "next_hop", "allocated_at", "released_at",
    "cooldown_until",
)


def _store_state(vps_id: str, state: RoutedIpv6State) -> None:
    """Write a VPS's state columns; a row the inventory pass removed meanwhile stays removed."""
    fields = VpsSnapshot(vps_id=vps_id)
    _apply_state(fields, state, timezone.now())
    VpsSnapshot.objects.filter(vps_id=vps_id).update(**{name: getattr(fields, name) for name in STATE_FIELDS})


def _forget_state(vps_id: str) -> None:
    """The state is no longer known (outcome unknown): the list and the page offer to re-check."""
    VpsSnapshot.objects.filter(vps_id=vps_id).update(state_checked_at=None)


def _apply_state(snapshot: VpsSnapshot, state: RoutedIpv6State, now: datetime) -> None:
    allocation = state.allocation
    snapshot.state_checked_at = now
    snapshot.routed_available = state.available
    snapshot.routed_reason = state.reason or ""
    snapshot.parent_cidr = state.parent_cidr or ""
    snapshot.max_per_vm = state.max_per_vm
    snapshot.cooldown_days = state.cooldown_days
    snapshot.suggested_next_hop = state.suggested_next_hop or ""
    snapshot.routed_prefix = (allocation.prefix or "") if allocation else ""
    snapshot.allocation_status = (allocation.status or "") if allocation else ""
    snapshot.next_hop = (allocation.next_hop or "") if allocation else ""
    snapshot.allocated_at = allocation.allocated_at if allocation else None
    snapshot.released_at = allocation.released_at if allocation else None
    snapshot.cooldown_until = allocation.cooldown_until if allocation else None


# --- the inventory sync ---------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    run: SyncRun | None  # None when nothing ran
    fresh: bool = False  # nothing ran because the last sync is recent enough

    @property
    def skipped(self) -> bool:
        """Nothing ran because another sync held the lock."""
        return self.run is None and not self.fresh


def inventory_sync(
    *,
    quick: bool = False,
    limit: int | None = None,
    only: Callable[[], Iterable[str]] | None = None,
    fresh_for: timedelta | None = None,
) -> SyncResult:
    """Refresh the snapshot: the inventory pass, then (unless quick) the state pass.

    `limit` bounds the state pass; `only`, called once the inventory pass is done, names
    the VPSes the state pass may read (the stale rows on a user's screen, which may be
    new rows). With `fresh_for`, a sync that succeeded less than that long ago is enough:
    nothing is done (`fresh`), so tabs polling after someone else's sync cost HostUp nothing. Only one sync runs at a time across all workers; a second
    caller returns at once with `skipped`. HostUp failures end the run as failed
    with the reason in words; they are not raised.
    """
    last = SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).values_list("finished_at", flat=True).first()
    if fresh_for is not None and last is not None and timezone.now() - last < fresh_for:
        return SyncResult(run=None, fresh=True)
    with advisory_lock(SYNC_LOCK) as acquired:
        if not acquired:
            return SyncResult(run=None)
        run = SyncRun.objects.create()
        client = hostup_client(actor=SYNC_ACTOR)
        try:
            run.vps_count, account_note = _inventory_pass(client, run.started_at)
            notes = [account_note] if account_note else []
            if not quick:
                vps_ids = None if only is None else only()
                run.states_checked, state_note = _state_pass(client, limit=limit, vps_ids=vps_ids)
                notes += [state_note] if state_note else []
            run.status = SyncRun.Status.SUCCEEDED
            run.message = " ".join(notes)
        except HostupError as problem:
            run.status = SyncRun.Status.FAILED
            run.message = f"{problem.title}. {problem.detail}".strip()
            logger.warning("inventory sync failed: %s (%s)", problem.code, problem.status)
        except Exception:
            # A bug must not leave the run "running" for ever; say so, then let it surface.
            run.status, run.message = SyncRun.Status.FAILED, "The sync stopped on an internal error (see the logs)."
            raise
        finally:
            client.close()
            run.upstream_calls = client.calls_made
            run.finished_at = timezone.now()
            run.save()
    return SyncResult(run=run)


def _inventory_pass(client: HostupClient, started_at: datetime) -> tuple[int, str]:
    """Every page of GET /api/v2/vps plus one account-level GET: ceil(N/100) + 1 calls."""
    vpses = client.list_vps()
    try:
        account: AccountRoutedIpv6 | None = client.get_account_routed_ipv6()
        note = ""
    except HostupError as problem:
        # Names and states are still worth having when the account routes are not readable.
        if problem.status not in (401, 403, 404):
            raise
        account, note = None, f"Account routes could not be read: {problem.title}."

    routes_by_vps: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for route in account.routes if account else ():
        if route.vps_id:
            routes_by_vps[route.vps_id].append(
                {"id": route.id, "prefix": route.prefix, "next_hop": route.next_hop or "", "label": route.label or ""}
            )
    now = timezone.now()
    rows = []
    for vps in vpses:
        row = _snapshot_from_vps(vps, now)
        row.account_routes = routes_by_vps.get(vps.id, [])
        row.account_route_prefixes = " ".join(route["prefix"] for route in row.account_routes)
        rows.append(row)
    update_fields = ["name", "primary_ip", "service_status", "power_state", "synced_at"]
    if account is not None:
        update_fields += ["account_routes", "account_route_prefixes"]
    VpsSnapshot.objects.bulk_create(
        rows, batch_size=SNAPSHOT_BATCH, update_conflicts=True, unique_fields=["vps_id"], update_fields=update_fields
    )
    # A VPS the pass did not see again is gone upstream.
    VpsSnapshot.objects.filter(synced_at__lt=started_at).delete()
    return len(rows), note


def _state_pass(client: HostupClient, *, limit: int | None, vps_ids: Iterable[str] | None) -> tuple[int, str]:
    """Each VPS's own routed-IPv6 state, oldest-checked first, at most once per VPS.

    Paced by the rate-limit headers so that people clicking in the dashboard keep
    a share of the window; a 429 or a long wait ends the pass early (the next sync
    continues where this one stopped, since it reads the oldest first).
    """
    # Never-read rows first: Postgres would sort NULLs last.
    rows = VpsSnapshot.objects.order_by(F("state_checked_at").asc(nulls_first=True), "vps_id")
    if vps_ids is not None:
        rows = rows.filter(vps_id__in=list(vps_ids))
    if limit is not None:
        rows = rows[:limit]
    checked = 0
    for snapshot in list(rows):
        if not _pace(client):
            return checked, "Paused reading routed-IPv6 states to stay within HostUp's rate limit."
        try:
            state = client.get_routed_ipv6(snapshot.vps_id)
        except HostupError as problem:
            if problem.status == 404:
                snapshot.delete()
                continue
            if problem.is_rate_limited:
                return checked, "Paused reading routed-IPv6 states: HostUp is rate-limiting us."
            raise
        _store_state(snapshot.vps_id, state)
        checked += 1
    return checked, ""


def _pace(client: HostupClient) -> bool:
    """Wait for the next rate-limit window when our share of this one is used; False if that is too long."""
    remaining, limit = client.rate_limit_remaining, client.rate_limit_limit
    if remaining is None:
        return True
    reserve = max(RATE_LIMIT_RESERVE_MIN, int((limit or 0) * RATE_LIMIT_RESERVE_SHARE))
    if remaining > reserve:
        return True
    reset = client.rate_limit_reset
    wait = (reset - timezone.now()).total_seconds() if reset else 1.0
    if wait > MAX_PACING_WAIT_S:
        return False
    time.sleep(max(wait, 0.0) + 0.05)
    client.rate_limit_remaining = None  # unknown until the next answer
    return True

