"""The worker's minute checks: sync.failing once per failing spell (and once when it ends), and the end of drifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from hostup_dash.inventory.selectors import VpsState, state_filters

from .models import DriftNotice, Event, SyncAlarm
from .payloads import clip, dashboard_link
from .services import notify

SYNC_FAILING_AFTER = timedelta(minutes=15)
SYNC_ALARM_KEY = "inventory"
FAILING = "failing"
RECOVERED = "recovered"


def sync_health_check(*, now: datetime | None = None) -> str | None:
    """Raise the alarm when no inventory pass succeeded for SYNC_FAILING_AFTER, or end it when one has;
    returns FAILING or RECOVERED when it notified, None otherwise. Safe on several workers at once:
    the alarm's one row decides who notifies."""
    now = now or timezone.now()
    last_success = SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).aggregate(at=Max("finished_at"))["at"]
    # Never succeeded: failing since the first try (no try at all: nothing has been asked of HostUp yet).
    since = last_success or SyncRun.objects.aggregate(at=Min("started_at"))["at"]
    if since is None:
        return None
    link = dashboard_link()
    with transaction.atomic():
        if now - since > SYNC_FAILING_AFTER:
            _, is_new = SyncAlarm.objects.get_or_create(key=SYNC_ALARM_KEY, defaults={"last_success_at": last_success})
            if not is_new:
                return None
            notify(Event.SYNC_FAILING, action="inventory_pass", outcome=FAILING, link=link, text=_failing_text(since))
            return FAILING
        if not SyncAlarm.objects.filter(key=SYNC_ALARM_KEY).delete()[0]:
            return None
        text = f"The inventory sync works again: the last pass succeeded at {_at(last_success)}. {link}"
        notify(Event.SYNC_FAILING, action="inventory_pass", outcome=RECOVERED, link=link, text=text)
        return RECOVERED


def _failing_text(since: datetime) -> str:
    last = SyncRun.objects.exclude(status=SyncRun.Status.SUCCEEDED).order_by("-started_at").first()
    error = f" The last pass: {clip(last.message)}" if last and last.message else ""
    minutes = round(SYNC_FAILING_AFTER.total_seconds() / 60)
    return f"No inventory pass has succeeded for {minutes} minutes (since {_at(since)}).{error} {dashboard_link()}"


def _at(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "an unknown time"


def drift_notices_prune() -> int:
    """Forget the drifts that ended, so the next drift of that VPS is told of again; returns how many."""
    drifted = VpsSnapshot.objects.filter(state_filters()[VpsState.DRIFTED]).values("vps_id")
    return DriftNotice.objects.exclude(vps_id__in=drifted).delete()[0]
