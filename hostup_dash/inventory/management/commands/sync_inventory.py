"""Refresh the inventory snapshot from HostUp."""

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.inventory.models import SyncRun
from hostup_dash.inventory.services import inventory_sync


class Command(BaseCommand):
    help = (
        "Sync VPSes and their routed-IPv6 state from HostUp into the snapshot. Exits non-zero only when the sync "
        "failed: HostUp as a whole was unusable. VPSes whose state could not be read are counted and flagged."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quick", action="store_true", help="Only the inventory pass (no per-VPS state calls).")
        parser.add_argument("--limit", type=int, help="Read at most this many VPS states (oldest first).")

    def handle(self, *args, quick: bool, limit: int | None, **options) -> str:
        result = inventory_sync(quick=quick, limit=limit)
        run = result.run
        if run is None:
            return "Another sync is running; nothing done."
        stopped = f" The state pass stopped early: {run.get_state_stop_display()}." if run.state_stop else ""
        summary = (
            f"{run.vps_count} VPSes, {run.states_checked} routed-IPv6 states read, "
            f"{run.states_failed} could not be read (flagged on their rows), "
            f"{run.upstream_calls} upstream calls.{stopped} {run.message}"
        ).strip()
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(f"Sync failed: {summary}")
        return summary
