"""The state pass: each VPS's own routed-IPv6 state, never-read and oldest-checked first.

Two drivers share the per-VPS rules: `state_pass_batch` inside a sync run (the
`sync_inventory` command) and `state_pass_run`, one worker's slice of the continuous
pass. Both spend only the background share of HostUp's rate-limit window (budget.py),
which every worker shares through Postgres. A failure of one VPS is kept on its row,
which then waits at the back of the queue; only failures that say HostUp as a whole is
unusable stop the pass.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hostup_dash.core.clients import hostup_client
from hostup_dash.hostup import HostupClient, HostupError
from hostup_dash.hostup.errors import CONNECT_TIMEOUT, CONNECTION_DROPPED, CONNECTION_FAILED, TIMEOUT

from ..models import STATE_ERROR_MAX_LENGTH, SyncRun, VpsSnapshot
from ..selectors import STATE_QUEUE_ORDER, state_claimable
from .budget import budget_observe, budget_pause, budget_take
from .snapshot import vps_state_store

logger = logging.getLogger(__name__)

STATE_PASS_ACTOR = "state-pass"  # names the worker's HostUp calls in the logs
# One VPS answering 5xx or timing out is that VPS's problem; this many in a row is HostUp's.
MAX_FAILURES_IN_A_ROW = 5
KEY_REFUSED_STATUSES = (401, 403)
# A sync run inside a command gives up rather than wait longer than this for the next window.
MAX_PACING_WAIT_S = 30.0
# A worker's slice reads for this long, then ends; the next tick starts another.
SLICE_S = 50.0
CLAIM_BATCH = 10
PACING_NOTE = "Paused reading routed-IPv6 states to stay within HostUp's rate limit."
RATE_LIMITED_NOTE = "Paused reading routed-IPv6 states: HostUp is rate-limiting us."
FAILING_NOTE = f"HostUp failed {MAX_FAILURES_IN_A_ROW} VPSes in a row, so the state pass stopped; the last:"


@dataclass
class StateTally:
    """What a pass did so far, and why it must stop (a SyncRun.StateStop value; blank: go on)."""

    read: int = 0
    failed: int = 0
    failures_in_a_row: int = 0
    stop: str = ""
    problem: HostupError | None = None
    retry_after: float = 0.0  # after a 429: seconds HostUp asked us to wait


def state_pass_batch(client: HostupClient, run: SyncRun, *, limit: int | None) -> str:
    """The state pass of one sync run, at most once per VPS; returns a note for the run.

    Counts onto `run`, also when it stops early. Raises HostupError when HostUp as a whole
    is unusable: our key refused, HostUp unreachable, or failing VPS after VPS.
    """
    rows = VpsSnapshot.objects.order_by(*STATE_QUEUE_ORDER).values_list("vps_id", flat=True)
    if limit is not None:
        rows = rows[:limit]
    tally = StateTally()
    try:
        for vps_id in list(rows):
            if not _wait_for_budget(deadline=time.monotonic() + MAX_PACING_WAIT_S):
                tally.stop = SyncRun.StateStop.PACING
                break
            _read_one(client, vps_id, tally)
            if tally.stop:
                break
    finally:
        run.states_checked, run.states_failed, run.state_stop = tally.read, tally.failed, tally.stop
    if tally.stop == SyncRun.StateStop.PACING:
        return PACING_NOTE
    if tally.stop == SyncRun.StateStop.RATE_LIMITED:
        return RATE_LIMITED_NOTE
    if tally.problem is not None:
        raise tally.problem
    return ""


def state_pass_run(*, seconds: float = SLICE_S) -> StateTally:
    """One worker's slice of the continuous pass: claim the oldest due rows, read them, repeat.

    Waits for the next rate-limit window rather than giving up; ends after `seconds`, when
    nothing is due, or when HostUp is unusable. Rows are claimed with SKIP LOCKED and a
    lease, so workers running side by side never read the same VPS twice in one cycle.
    """
    deadline = time.monotonic() + seconds
    client = hostup_client(actor=STATE_PASS_ACTOR)
    tally = StateTally()
    claim = Claim()
    try:
        while not tally.stop:
            if not claim.vps_ids:
                claim = _claim_batch()
                if not claim.vps_ids:
                    break
            if not _wait_for_budget(deadline=deadline, client=client):
                break
            _read_one(client, claim.vps_ids.pop(0), tally, observe=False, claimed_at=claim.at)
    finally:
        budget_observe(client)
        client.close()
        # Claimed but not read (the slice's time is up): back in the queue at once, not after the lease.
        _claim_end(claim.vps_ids, claimed_at=claim.at)
    logger.info(
        "state pass slice: %s read, %s failed%s",
        tally.read,
        tally.failed,
        f", stopped: {tally.stop}" if tally.stop else "",
        extra={"event": "state_pass_slice", "read": tally.read, "failed": tally.failed, "stop": tally.stop},
    )
    return tally


def _wait_for_budget(*, deadline: float, client: HostupClient | None = None) -> bool:
    """Take one request from the background share, sleeping for the next window; False past the deadline.

    Checked before each read, not only while waiting: with budget to spare, a slice must still
    end on time, well within its rows' CLAIM_LEASE.
    """
    while True:
        if time.monotonic() >= deadline:
            return False
        wait = budget_take(client=client)
        if not wait:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)


@dataclass
class Claim:
    """Rows one slice claimed and has not read yet, and the claim's time, which tells our claim from a later one."""

    at: datetime | None = None
    vps_ids: list[str] = field(default_factory=list)


def _claim_batch() -> Claim:
    """The oldest due rows no other worker holds, marked as ours for CLAIM_LEASE (a few per round trip)."""
    claimed_at = timezone.now()
    with transaction.atomic():
        vps_ids = list(
            state_claimable()
            .select_for_update(skip_locked=True)
            .order_by(*STATE_QUEUE_ORDER)
            .values_list("vps_id", flat=True)[:CLAIM_BATCH]
        )
        VpsSnapshot.objects.filter(vps_id__in=vps_ids).update(state_claimed_at=claimed_at)
    return Claim(at=claimed_at, vps_ids=vps_ids)


def _claim_end(vps_ids: list[str], *, claimed_at: datetime | None) -> None:
    """End our claim on these rows. Once our lease ran out another worker may hold them: its
    claim (a later claimed_at) stays. Without a claim (the sync command's batch) there is none to end."""
    if claimed_at is not None and vps_ids:
        VpsSnapshot.objects.filter(vps_id__in=vps_ids, state_claimed_at=claimed_at).update(state_claimed_at=None)


def _read_one(
    client: HostupClient,
    vps_id: str,
    tally: StateTally,
    *,
    observe: bool = True,
    claimed_at: datetime | None = None,
) -> None:
    """Read and store one VPS's state, or keep its failure on its row; sets `tally.stop` when HostUp is unusable.

    `observe=False` when the caller's next budget_take corrects the budget from this answer;
    `claimed_at` when this slice claimed the row then: the stored read ends that claim.
    """
    read_started = timezone.now()
    try:
        state = client.get_routed_ipv6(vps_id)
    except HostupError as problem:
        budget_observe(client)  # a 429's pause must reach the row before anyone takes again
        _count_failure(vps_id, problem, tally, claimed_at=claimed_at)
        return
    if observe:
        budget_observe(client)
    vps_state_store(vps_id=vps_id, state=state, read_started=read_started)
    # Read: the row is due again after STATE_PASS_MIN_AGE, not after the lease. Killed
    # between the store and this, the claim merely lasts its lease.
    _claim_end([vps_id], claimed_at=claimed_at)
    tally.read += 1
    tally.failures_in_a_row = 0


def _count_failure(vps_id: str, problem: HostupError, tally: StateTally, *, claimed_at: datetime | None) -> None:
    tally.stop = _stop_reason(problem)
    if tally.stop:
        # Nothing was learned of this VPS: it stays first in the queue for whoever reads next.
        _claim_end([vps_id], claimed_at=claimed_at)
    if tally.stop == SyncRun.StateStop.RATE_LIMITED:
        tally.retry_after = problem.retry_after or 1.0
        budget_pause(seconds=tally.retry_after)
        return
    if tally.stop:
        tally.problem = problem
        return
    if problem.status == 404:  # gone upstream
        VpsSnapshot.objects.filter(vps_id=vps_id).delete()
        tally.failures_in_a_row = 0
        return
    _state_error_store(vps_id=vps_id, problem=problem, claimed_at=claimed_at)
    tally.failed += 1
    tally.failures_in_a_row = tally.failures_in_a_row + 1 if _is_outage_sign(problem) else 0
    if tally.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
        tally.stop, tally.problem = SyncRun.StateStop.FAILING, problem


def _stop_reason(problem: HostupError) -> str:
    """The StateStop this failure calls for when it says HostUp as a whole is unusable; blank when it is one VPS's."""
    if problem.status in KEY_REFUSED_STATUSES:
        return SyncRun.StateStop.KEY_REFUSED
    if problem.is_rate_limited:
        return SyncRun.StateStop.RATE_LIMITED
    if problem.code in (CONNECTION_FAILED, CONNECT_TIMEOUT):
        return SyncRun.StateStop.UNREACHABLE
    return ""


def _is_outage_sign(problem: HostupError) -> bool:
    """A 5xx, a timeout or a broken connection: once, it may be that VPS; in a row, it is HostUp."""
    return (problem.status or 0) >= 500 or problem.code in (TIMEOUT, CONNECTION_DROPPED)


def _state_error_store(*, vps_id: str, problem: HostupError, claimed_at: datetime | None) -> None:
    """Keep the failure on the row and count it as checked, so the next pass reads the others first.

    The state columns keep what was last known: a failed read says nothing new about them. Our
    claim on the row ends with it, as after a good read: the row was just checked.
    """
    now = timezone.now()
    VpsSnapshot.objects.filter(vps_id=vps_id).update(
        state_checked_at=now,
        state_error=problem_in_words(problem)[:STATE_ERROR_MAX_LENGTH],
        state_error_at=now,
    )
    _claim_end([vps_id], claimed_at=claimed_at)


def problem_in_words(problem: HostupError) -> str:
    return f"{problem.title}. {problem.detail}".strip()
