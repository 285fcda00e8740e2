"""Run one action over many VPSes from a script, audited as a named user, without a worker."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from hostup_dash.bulk import selectors, services
from hostup_dash.bulk.models import BulkItem, BulkRun
from hostup_dash.core.errors import Refusal
from hostup_dash.inventory.selectors import VpsState

ACTIONS = {"refresh-next-hop": BulkRun.Action.REFRESH_NEXT_HOP, "allocate": BulkRun.Action.ALLOCATE}
NO_SUCH_USER = "No user named {username}."
NOTHING_DRIFTED = "No VPS's snapshot says its next hop differs; nothing to do."


class Command(BaseCommand):
    help = (
        "Refresh the next hop of, or allocate routed IPv6 for, many VPSes as one bulk run, in this process, audited "
        "as --as. One line per VPS, then a summary. Exits non-zero when any VPS failed or its outcome is unknown."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=sorted(ACTIONS))
        parser.add_argument("--as", dest="username", required=True, help="The user the audit log names.")
        targets = parser.add_mutually_exclusive_group(required=True)
        targets.add_argument("--drifted", action="store_true", help="Every VPS whose next hop differs.")
        targets.add_argument("--vps", nargs="+", metavar="ID", help="These VPS ids, in this order.")
        parser.add_argument(
            "--reason", default="", help="Why (at most 500 characters; required by REQUIRE_CHANGE_REASON)."
        )
        parser.add_argument("--ticket", default="", help="The ticket the change belongs to (at most 100 characters).")

    def handle(
        self,
        *args,
        action: str,
        username: str,
        drifted: bool,
        vps: list[str] | None,
        reason: str,
        ticket: str,
        **options,
    ) -> str:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(NO_SUCH_USER.format(username=username))
        vps_ids = selectors.bulk_targets(state=VpsState.DRIFTED, limit=services.MAX_ITEMS + 1) if drifted else vps or []
        if drifted and not vps_ids:
            return NOTHING_DRIFTED
        try:
            run = services.bulk_run_create(
                actor=user, action=ACTIONS[action], vps_ids=vps_ids, queue=False, reason=reason, ticket=ticket
            )
        except Refusal as refusal:
            raise CommandError(f"{refusal.title}: {refusal.detail}") from None
        while (result := services.bulk_run_process(run_id=run.id, on_item=self._item_line)).retry_after:
            self.stdout.write(f"HostUp is rate-limiting us; carrying on in {result.retry_after:.0f} s.")
            time.sleep(result.retry_after)
        counts = selectors.bulk_counts(run_id=run.id)
        summary = (
            f"Bulk run #{run.id}: {counts.succeeded} succeeded, {counts.skipped} skipped, {counts.failed} failed, "
            f"{counts.unknown} unknown, of {counts.total}."
        )
        if counts.has_trouble:
            raise CommandError(summary)
        return summary

    def _item_line(self, item: BulkItem) -> None:
        self.stdout.write(f"{item.vps_name or '?'} {item.vps_id}: {item.state} — {item.detail}")
