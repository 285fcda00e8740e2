"""The inventory sync: the inventory pass (every VPS, the account routes) and the paced state pass."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from hostup_dash.core.clients import hostup_client
from hostup_dash.core.jobs import job_defer
from hostup_dash.core.locks import advisory_lock
from hostup_dash.hostup import HostupClient, HostupError
from hostup_dash.hostup.account_routes import AccountRoutes

from ..models import SyncRun, VpsSnapshot
from .snapshot import snapshot_from_vps
from .state_pass import FAILING_NOTE, problem_in_words, state_pass_batch

logger = logging.getLogger(__name__)

SYNC_LOCK = "inventory-sync"
SYNC_ACTOR = "inventory-sync"  # names the sync's HostUp calls in the logs
SNAPSHOT_BATCH = 1000
INVENTORY_PASS_TASK = "inventory_pass"


@dataclass(frozen=True)
class SyncResult:
    run: SyncRun | None  # None when nothing ran

    @property
    def skipped(self) -> bool:
        """Nothing ran because another sync held the lock."""
        return self.run is None


def inventory_sync(*, quick: bool = False, limit: int | None = None) -> SyncResult:
    """Refresh the snapshot: the inventory pass, then (unless quick) the state pass.

    `limit` bounds the state pass. Only one sync runs at a time across all workers and
    hosts; a second caller returns at once with `skipped`. HostUp failures end the run
    as failed with the reason in words; they are not raised.
    """
    with advisory_lock(SYNC_LOCK) as acquired:
        if not acquired:
            return SyncResult(run=None)
        run = SyncRun.objects.create()
        client = hostup_client(actor=SYNC_ACTOR)
        try:
            run.vps_count, account_note = _inventory_pass(client, run.started_at)
            notes = [account_note] if account_note else []
            if not quick:
                state_note = state_pass_batch(client, run, limit=limit)
                notes += [state_note] if state_note else []
            run.status = SyncRun.Status.SUCCEEDED
            run.message = " ".join(notes)
        except HostupError as problem:
            run.status = SyncRun.Status.FAILED
            run.message = problem_in_words(problem)
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


def inventory_refresh_request() -> bool:
    """Ask a worker for an inventory pass now; False when one is already waiting (the request is shared)."""
    return job_defer(INVENTORY_PASS_TASK)


def _inventory_pass(client: HostupClient, started_at: datetime) -> tuple[int, str]:
    """Every page of GET /api/v2/vps plus one account-level GET: ceil(N/100) + 1 calls."""
    vpses = client.list_vps()
    try:
        account: AccountRoutes | None = client.get_account_routes()
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
