"""Bulk runs: create one, work through its items, cancel it.

`bulk_run_process` is the one way a run's items get done, by the worker's job and by the
bulk_action command alike. It holds a per-run advisory lock, so two processes never work
on one run. Each item reads its VPS's state live, is skipped when the action is no longer
due, and otherwise goes through the action service a click uses (per-VPS lock, audit
intent before the call, outcome after), tagged with the run's id. Reads and writes alike
are paced by the rate-limit budget the state pass spends (inventory/services/budget.py).

An item is `running` only while its write may be on the way. A run picked up after its
worker died finds such an item and marks it unknown, never sending it again: HostUp may
or may not have acted, and a second write would act twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from hostup_dash.accounts import roles
from hostup_dash.accounts.decorators import PERMISSION_DENIED
from hostup_dash.approvals.services import approval_is_required
from hostup_dash.audit import services as audit
from hostup_dash.core.clients import hostup_client
from hostup_dash.core.errors import Refusal
from hostup_dash.core.jobs import job_defer
from hostup_dash.core.locks import advisory_lock
from hostup_dash.core.reasons import ChangeReason, reason_check, reason_required
from hostup_dash.hostup import HostupClient, HostupError, RoutedIpv6State, is_valid_vps_id
from hostup_dash.inventory import services as inventory
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.budget import budget_observe, budget_pause, budget_take
from hostup_dash.inventory.services.snapshot import vps_state_store
from hostup_dash.inventory.services.state_pass import problem_in_words

from .models import BulkItem, BulkRun
from .selectors import bulk_item_last_record_id

Action = BulkRun.Action
State = BulkItem.State

BULK_RUN_PROCESS = "bulk_run_process"  # the task's name (tasks.py), deferred by name
ACTIONS_QUEUE = "actions"
MAX_ITEMS = 10_000
PERMISSIONS = {Action.REFRESH_NEXT_HOP: roles.REFRESH_NEXT_HOP, Action.ALLOCATE: roles.ALLOCATE_IPV6}
ACTION_SERVICES = {Action.REFRESH_NEXT_HOP: inventory.ipv6_next_hop_refresh, Action.ALLOCATE: inventory.ipv6_allocate}

NOTHING_SELECTED = "Select at least one VPS."
NEEDS_APPROVAL = "needs_approval"
NEEDS_APPROVAL_DETAIL = (
    "This action needs a second person's approval (APPROVAL_REQUIRED_FOR): ask for it on each VPS's page."
)
TOO_MANY = f"A bulk run covers at most {MAX_ITEMS:,} VPSes; narrow the selection."
NOT_A_VPS_ID = "Not a VPS id: {vps_id}"
LOST_DETAIL = "The worker stopped while HostUp was being asked; HostUp may or may not have acted."
CANCELLED_DETAIL = "Cancelled before it started."
ACTOR_GONE_DETAIL = "The user who asked for this run no longer exists."
ACTOR_NOT_ALLOWED_DETAIL = "{user} may no longer do this."
RATE_LIMITED_DETAIL = "HostUp asked us to wait; this VPS is tried again after its Retry-After."
READ_FAILED_DETAIL = "Could not read its state, so nothing was sent: {problem}"
SKIP_NOT_ALLOCATED = "HostUp shows no active allocation to refresh."
SKIP_NOT_AVAILABLE = "HostUp says routed IPv6 is not available: {reason}"
SKIP_NEXT_HOP_RIGHT = "The next hop already is HostUp's suggestion, {next_hop}."
SKIP_ALREADY_ALLOCATED = "Already allocated: {prefix}."


@dataclass(frozen=True)
class ProcessResult:
    retry_after: float = 0.0  # HostUp rate-limited us: process the run again after this many seconds
    busy: bool = False  # another process holds the run


def bulk_run_create(
    *,
    actor: AbstractBaseUser,
    action: str,
    vps_ids: Iterable[str],
    client_ip: str | None = None,
    queue: bool = True,
    reason: str = "",
    ticket: str = "",
) -> BulkRun:
    """A run with one pending item per VPS (in the order given), queued for the worker unless `queue` is False;
    its reason and ticket go into every item's audit records.

    Raises Refusal (audited when it is about permission, reason, ticket or approval) for a user without the action's
    permission, a reason or ticket against the rules, an action that needs approval (APPROVAL_REQUIRED_FOR), an
    empty or oversized selection, or text that is not a VPS id.
    """
    _permission_check(actor=actor, action=action, client_ip=client_ip)
    change = ChangeReason.of(reason, ticket)
    try:
        reason_check(change, required=reason_required())
        if approval_is_required(action):  # four eyes: a run of many would go round them
            raise Refusal(code=NEEDS_APPROVAL, title="Needs approval", detail=NEEDS_APPROVAL_DETAIL, status=403)
    except Refusal as problem:
        audit.audit_refusal_record(
            actor=actor, action=action, client_ip=client_ip, problem=problem, reason=change.reason, ticket=change.ticket
        )
        raise
    wanted = list(dict.fromkeys(vps_ids))
    if not wanted:
        raise Refusal(code="nothing_selected", title="Nothing selected", detail=NOTHING_SELECTED)
    if len(wanted) > MAX_ITEMS:
        raise Refusal(code="too_many", title="Too many VPSes", detail=TOO_MANY)
    for vps_id in wanted:
        if not is_valid_vps_id(vps_id):
            raise Refusal(code="invalid_vps_id", title="Not a VPS", detail=NOT_A_VPS_ID.format(vps_id=vps_id[:80]))
    names = dict(VpsSnapshot.objects.filter(vps_id__in=wanted).values_list("vps_id", "name"))
    with transaction.atomic():  # the job is deferred in the same transaction: it never sees half a run
        run = BulkRun.objects.create(
            action=action,
            requested_by=actor,
            requested_by_name=actor.get_username(),
            requested_by_role=roles.user_role(actor),
            client_ip=client_ip or "",
            reason=change.reason,
            ticket=change.ticket,
        )
        BulkItem.objects.bulk_create(
            (BulkItem(run=run, vps_id=vps_id, vps_name=names.get(vps_id, "")) for vps_id in wanted), batch_size=1000
        )
        if queue:
            job_defer(BULK_RUN_PROCESS, queueing_lock=_queueing_lock(run.id), run_id=run.id)
    return run


def bulk_run_cancel(*, run: BulkRun, actor: AbstractBaseUser, client_ip: str | None = None) -> BulkRun:
    """Skip every item not yet started; the one in flight finishes. Raises Refusal (audited) without permission."""
    _permission_check(actor=actor, action=run.action, client_ip=client_ip, bulk_run_id=run.id)
    now = timezone.now()
    BulkRun.objects.filter(pk=run.pk, cancel_requested_at=None, finished_at=None).update(
        cancel_requested_at=now, cancelled_by_name=actor.get_username()
    )
    _pending_skip(run_id=run.pk, detail=CANCELLED_DETAIL)
    _finish_if_done(run_id=run.pk)
    run.refresh_from_db()
    return run


def bulk_run_process(*, run_id: int, on_item: Callable[[BulkItem], None] | None = None) -> ProcessResult:
    """Work through a run's pending items in order until none is left or HostUp rate-limits us.

    Idempotent: a finished run, or one another process holds, is left alone. `on_item` hears
    of each item as it ends. Returns how long to wait after a 429 (the item stays pending).
    """
    with advisory_lock(f"bulk-run:{run_id}") as acquired:
        if not acquired:
            return ProcessResult(busy=True)
        run = BulkRun.objects.select_related("requested_by").filter(pk=run_id).first()
        if run is None or run.is_done:
            return ProcessResult()
        _lost_items_settle(run)
        BulkRun.objects.filter(pk=run_id).update(
            status=BulkRun.Status.RUNNING, started_at=Coalesce(F("started_at"), timezone.now()), paused_until=None
        )
        actor = run.requested_by
        if actor is None:
            _pending_skip(run_id=run_id, detail=ACTOR_GONE_DETAIL)
        elif not actor.has_perm(PERMISSIONS[run.action]):
            _pending_skip(run_id=run_id, detail=ACTOR_NOT_ALLOWED_DETAIL.format(user=run.requested_by_name))
        client = hostup_client(actor=run.requested_by_name, max_retry_wait=0)  # a 429 comes back to us at once
        try:
            while (item := BulkItem.objects.filter(run_id=run_id, state=State.PENDING).first()) is not None:
                retry_after = _item_process(run, actor, item, client)
                if retry_after:
                    BulkRun.objects.filter(pk=run_id).update(
                        paused_until=timezone.now() + timedelta(seconds=retry_after)
                    )
                    return ProcessResult(retry_after=retry_after)
                if on_item is not None:
                    item.refresh_from_db()
                    on_item(item)
        finally:
            client.close()
        _finish_if_done(run_id=run_id)
    return ProcessResult()


def bulk_run_queue_again(*, run_id: int, schedule_in_s: float) -> None:
    """Ask the worker to carry on with a run later (after HostUp's Retry-After)."""
    job_defer(BULK_RUN_PROCESS, schedule_in_s=schedule_in_s, queueing_lock=_queueing_lock(run_id), run_id=run_id)


def _queueing_lock(run_id: int) -> str:
    """At most one job per run waits; the advisory lock in bulk_run_process keeps one at work."""
    return f"bulk-run-{run_id}"


def _item_process(run: BulkRun, actor: AbstractBaseUser, item: BulkItem, client: HostupClient) -> float:
    """Read the VPS's state, then skip the item or act; returns Retry-After seconds after a 429, else 0."""
    _budget_wait()
    try:
        state = client.get_routed_ipv6(item.vps_id)
    except HostupError as problem:
        budget_observe(client)
        if problem.is_rate_limited:
            return _rate_limited(problem)
        _item_end(item, State.FAILED, READ_FAILED_DETAIL.format(problem=problem_in_words(problem)))
        return 0.0
    budget_observe(client)
    vps_state_store(vps_id=item.vps_id, state=state)
    skip = _skip_reason(run.action, state)
    if skip:
        _item_end(item, State.SKIPPED, skip)
        return 0.0
    _budget_wait()
    # Only a pending item starts: a cancel may have skipped it since it was read.
    if not BulkItem.objects.filter(pk=item.pk, state=State.PENDING).update(
        state=State.RUNNING, started_at=timezone.now()
    ):
        return 0.0
    act = ACTION_SERVICES[run.action]
    try:
        result = act(
            actor=actor,
            vps_id=item.vps_id,
            client_ip=run.client_ip or None,
            bulk_run_id=run.id,
            reason=run.reason,
            ticket=run.ticket,
        )
    except Refusal as refusal:  # the VPS is busy with another action: nothing was sent
        _item_end(item, State.FAILED, f"{refusal.title}. {refusal.detail}", was=State.RUNNING, run=run)
    except HostupError as problem:
        if problem.is_rate_limited:  # HostUp refused it unseen: sending it again later is safe
            _item_end(item, State.PENDING, RATE_LIMITED_DETAIL, was=State.RUNNING, run=run)
            return _rate_limited(problem)
        outcome = State.UNKNOWN if problem.is_outcome_unknown else State.FAILED
        _item_end(item, outcome, problem_in_words(problem), was=State.RUNNING, run=run)
    else:
        _item_end(item, State.SUCCEEDED, result.message, was=State.RUNNING, record_id=result.record.id)
    return 0.0


def _skip_reason(action: str, state: RoutedIpv6State) -> str:
    """Why the action is no longer due for this VPS, in words; blank when it is."""
    active = state.active_allocation
    if action == Action.ALLOCATE and active is not None:
        return SKIP_ALREADY_ALLOCATED.format(prefix=active.prefix)
    if action == Action.REFRESH_NEXT_HOP and active is None:
        return SKIP_NOT_ALLOCATED
    if not state.available:
        return SKIP_NOT_AVAILABLE.format(reason=state.reason or "no reason given.")
    if action == Action.REFRESH_NEXT_HOP and not state.is_next_hop_stale:
        return SKIP_NEXT_HOP_RIGHT.format(next_hop=active.next_hop)
    return ""


def _item_end(
    item: BulkItem,
    state: str,
    detail: str,
    *,
    was: str = State.PENDING,
    run: BulkRun | None = None,
    record_id: int | None = None,
) -> None:
    """Move an item on from `was` (a cancel may have moved it first); with `run`, link its last audit record."""
    if run is not None:
        record_id = bulk_item_last_record_id(run_id=run.id, vps_id=item.vps_id)
    finished_at = None if state == State.PENDING else timezone.now()
    BulkItem.objects.filter(pk=item.pk, state=was).update(
        state=state, detail=detail, finished_at=finished_at, audit_record_id=record_id
    )


def _lost_items_settle(run: BulkRun) -> None:
    """Items left running by a worker that died: unknown, never sent again."""
    for item in BulkItem.objects.filter(run_id=run.id, state=State.RUNNING):
        _item_end(item, State.UNKNOWN, LOST_DETAIL, was=State.RUNNING, run=run)


def _pending_skip(*, run_id: int, detail: str) -> None:
    BulkItem.objects.filter(run_id=run_id, state=State.PENDING).update(
        state=State.SKIPPED, detail=detail, finished_at=timezone.now()
    )


def _finish_if_done(*, run_id: int) -> None:
    """End the run once no item is pending or running (cancelled if a cancel was asked for)."""
    if BulkItem.objects.filter(run_id=run_id, state__in=[State.PENDING, State.RUNNING]).exists():
        return
    BulkRun.objects.filter(pk=run_id, finished_at=None).update(
        status=Case(
            When(cancel_requested_at=None, then=Value(BulkRun.Status.FINISHED)),
            default=Value(BulkRun.Status.CANCELLED),
        ),
        finished_at=timezone.now(),
    )


def _budget_wait() -> None:
    """Take one request from the background share of HostUp's window, sleeping until there is one."""
    while wait := budget_take():
        time.sleep(wait)


def _rate_limited(problem: HostupError) -> float:
    """Hold every background caller until HostUp's Retry-After; returns it."""
    retry_after = problem.retry_after or 1.0
    budget_pause(seconds=retry_after)
    return retry_after


def _permission_check(
    *, actor: AbstractBaseUser, action: str, client_ip: str | None, bulk_run_id: int | None = None
) -> None:
    """Raises Refusal (403, audited) unless `actor` may run `action`; the views' decorator says the same."""
    permission = PERMISSIONS[action]
    if actor.has_perm(permission):
        return
    problem = Refusal(
        code=PERMISSION_DENIED,
        title="Not allowed",
        status=403,
        detail=f"The {roles.user_role(actor) or 'no role'} role may not do this ({permission}).",
    )
    audit.audit_refusal_record(
        actor=actor, action=action, client_ip=client_ip, problem=problem, bulk_run_id=bulk_run_id
    )
    raise problem
