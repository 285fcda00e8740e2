"""Reads of the inventory snapshot. The list page never calls HostUp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import AllocationStatus, SyncRun, VpsSnapshot

PAGE_SIZE = 50


def vps_list(*, query: str = "", power_state: str = "", has_routed_ipv6: bool | None = None) -> QuerySet[VpsSnapshot]:
    """Snapshot rows matching a search (name, IP or prefix) and filters, by name."""
    rows = VpsSnapshot.objects.all()
    if query:
        rows = rows.filter(
            Q(name__icontains=query)
            | Q(primary_ip__icontains=query)
            | Q(vps_id=query)
            | Q(routed_prefix__icontains=query)
            | Q(account_route_prefixes__icontains=query)
        )
    if power_state:
        rows = rows.filter(power_state=power_state)
    if has_routed_ipv6 is not None:
        has = Q(allocation_status=AllocationStatus.ACTIVE) | ~Q(account_route_prefixes="")
        rows = rows.filter(has if has_routed_ipv6 else ~has)
    return rows


def vps_page(rows: QuerySet[VpsSnapshot], *, number: int | str | None) -> Page:
    """One page of 50 rows; an out-of-range number gives the last page."""
    return Paginator(rows, PAGE_SIZE).get_page(number)


def vps_get(*, vps_id: str) -> VpsSnapshot | None:
    return VpsSnapshot.objects.filter(vps_id=vps_id).first()


def power_states() -> list[str]:
    """Power states present in the snapshot, for the filter's choices."""
    return list(
        VpsSnapshot.objects.exclude(power_state="")
        .order_by("power_state")
        .values_list("power_state", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class SyncStatus:
    last_run: SyncRun | None  # the newest run, whatever its outcome
    last_success: SyncRun | None

    @property
    def data_age(self) -> timedelta | None:
        if self.last_success is None or self.last_success.finished_at is None:
            return None
        return timezone.now() - self.last_success.finished_at

    @property
    def is_stale(self) -> bool:
        age = self.data_age
        return age is None or age > timedelta(seconds=settings.INVENTORY_MAX_AGE)


def sync_status() -> SyncStatus:
    return SyncStatus(
        last_run=SyncRun.objects.first(),
        last_success=SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).first(),
    )


def stale_vps_ids(vps_ids: list[str], *, now: datetime | None = None) -> list[str]:
    """Of these VPSes, those whose routed-IPv6 state is older than INVENTORY_MAX_AGE or never read."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.INVENTORY_MAX_AGE)
    return list(
        VpsSnapshot.objects.filter(vps_id__in=vps_ids)
        .filter(Q(state_checked_at__isnull=True) | Q(state_checked_at__lt=cutoff))
        .values_list("vps_id", flat=True)
    )


def last_sync_finished_at() -> datetime | None:
    """When the newest successful inventory sync finished, None before the first."""
    return SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).values_list("finished_at", flat=True).first()


def newest_state_checked_at() -> datetime | None:
    """When HostUp last answered for a routed-IPv6 state: every stored state came from an answer."""
    checked = VpsSnapshot.objects.exclude(state_checked_at=None).order_by("-state_checked_at")
    return checked.values_list("state_checked_at", flat=True).first()


# The state pass's order: never-read rows first (Postgres sorts NULLs last), then the oldest (vps_state_queue_idx).
STATE_QUEUE_ORDER = (F("state_checked_at").asc(nulls_first=True), "vps_id")


def state_queue() -> Q:
    """Rows due for a state read: never read, or read longer than STATE_PASS_MIN_AGE ago."""
    cutoff = timezone.now() - timedelta(seconds=settings.STATE_PASS_MIN_AGE)
    return Q(state_checked_at__isnull=True) | Q(state_checked_at__lt=cutoff)


def state_pass_has_work() -> bool:
    return VpsSnapshot.objects.filter(state_queue()).exists()


def inventory_pass_is_due() -> bool:
    """No inventory sync succeeded within the last INVENTORY_SYNC_EVERY seconds."""
    last = last_sync_finished_at()
    return last is None or timezone.now() - last >= timedelta(seconds=settings.INVENTORY_SYNC_EVERY)
