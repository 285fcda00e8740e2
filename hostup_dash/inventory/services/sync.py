"""The inventory sync: the inventory pass (every VPS, the account routes) and the paced state pass."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from hostup_dash.core.clients import hostup_client
from hostup_dash.core.locks import advisory_lock
from hostup_dash.hostup import AccountRoutedIpv6, HostupClient, HostupError
from hostup_dash.hostup.errors import CONNECT_TIMEOUT, CONNECTION_DROPPED, CONNECTION_FAILED, TIMEOUT

from ..models import STATE_ERROR_MAX_LENGTH, SyncRun, VpsSnapshot
from .snapshot import snapshot_from_vps, vps_state_store

logger = logging.getLogger(__name__)

SYNC_LOCK = "inventory-sync"
SYNC_ACTOR = "inventory-sync"  # names the sync's HostUp calls in the logs
# Requests per rate-limit window the state pass leaves for people using the dashboard.
RATE_LIMIT_RESERVE_MIN = 5
RATE_LIMIT_RESERVE_SHARE = 0.2
# Longest the state pass waits for a rate-limit window to reset before it stops.
MAX_PACING_WAIT_S = 30.0
SNAPSHOT_BATCH = 1000
# One VPS answering 5xx or timing out is that VPS's problem; this many in a row is HostUp's.
MAX_FAILURES_IN_A_ROW = 5
KEY_REFUSED_STATUSES = (401, 403)
PACING_NOTE = "Paused reading routed-IPv6 states to stay within HostUp's rate limit."
RATE_LIMITED_NOTE = "Paused reading routed-IPv6 states: HostUp is rate-limiting us."
FAILING_NOTE = f"HostUp failed {MAX_FAILURES_IN_A_ROW} VPSes in a row, so the state pass stopped; the last:"


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
    nothing is done (`fresh`), so tabs polling after someone else's sync cost HostUp nothing.
    Only one sync runs at a time across all workers; a second
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
                state_note = _state_pass(client, run, limit=limit, vps_ids=vps_ids)
                notes += [state_note] if state_note else []
            run.status = SyncRun.Status.SUCCEEDED
            run.message = " ".join(notes)
        except HostupError as problem:
            run.status = SyncRun.Status.FAILED
            run.message = _in_words(problem)
            if run.state_stop == SyncRun.StateStop.FAILING:
                run.message = f"{FAILING_NOTE} {run.message}"
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
        row = snapshot_from_vps(vps, now)
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


def _state_pass(client: HostupClient, run: SyncRun, *, limit: int | None, vps_ids: Iterable[str] | None) -> str:
    """Each VPS's own routed-IPv6 state, oldest-checked first, at most once per VPS; returns a note.

    Paced by the rate-limit headers so that people clicking in the dashboard keep
    a share of the window; a 429 or a long wait ends the pass early (the next sync
    continues where this one stopped, since it reads the oldest first). A failure of
    one VPS is kept on its row, which then waits at the back of the queue. Counts onto
    `run` as it goes, so a pass that stops still says what it read. Raises HostupError
    when HostUp as a whole is unusable: our key refused, HostUp unreachable, or failing
    VPS after VPS.
    """
    # Never-read rows first: Postgres would sort NULLs last.
    rows = VpsSnapshot.objects.order_by(F("state_checked_at").asc(nulls_first=True), "vps_id")
    if vps_ids is not None:
        rows = rows.filter(vps_id__in=list(vps_ids))
    if limit is not None:
        rows = rows[:limit]
    failures_in_a_row = 0
    for snapshot in list(rows):
        if not _pace(client):
            run.state_stop = SyncRun.StateStop.PACING
            return PACING_NOTE
        try:
            state = client.get_routed_ipv6(snapshot.vps_id)
        except HostupError as problem:
            run.state_stop = _stop_reason(problem)
            if run.state_stop == SyncRun.StateStop.RATE_LIMITED:
                return RATE_LIMITED_NOTE
            if run.state_stop:
                raise
            if problem.status == 404:
                snapshot.delete()
                failures_in_a_row = 0
                continue
            _state_error_store(vps_id=snapshot.vps_id, problem=problem)
            run.states_failed += 1
            failures_in_a_row = failures_in_a_row + 1 if _is_outage_sign(problem) else 0
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                run.state_stop = SyncRun.StateStop.FAILING
                raise
            continue
        vps_state_store(vps_id=snapshot.vps_id, state=state)
        run.states_checked += 1
        failures_in_a_row = 0
    return ""


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


def _state_error_store(*, vps_id: str, problem: HostupError) -> None:
    """Keep the failure on the row and count it as checked, so the next pass reads the others first.

    The state columns keep what was last known: a failed read says nothing new about them.
    """
    now = timezone.now()
    VpsSnapshot.objects.filter(vps_id=vps_id).update(
        state_checked_at=now, state_error=_in_words(problem)[:STATE_ERROR_MAX_LENGTH], state_error_at=now
    )


def _in_words(problem: HostupError) -> str:
    return f"{problem.title}. {problem.detail}".strip()


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
