"""The snapshot's routed-IPv6 state columns, and the live read of one VPS that fills them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from hostup_dash.core.clients import INTERACTIVE_RETRY_WAIT_S, hostup_client
from hostup_dash.hostup import RoutedIpv6State, Vps

from ..models import VpsSnapshot
from ..signals import state_stored
from .live_reads import live_read_take

LIVE_READS_SPENT = (
    "You have re-checked HostUp as often as one person may in a minute, so this is the state as last read. "
    "It is read live again from the next minute on."
)

# The columns a routed-IPv6 state fills: the only ones an action or a live read may write,
# so a concurrent inventory pass's names, addresses and routes are never overwritten.
STATE_FIELDS = (
    "state_checked_at",
    "routed_available",
    "routed_reason",
    "parent_cidr",
    "max_per_vm",
    "cooldown_days",
    "suggested_next_hop",
    "routed_prefix",
    "allocation_status",
    "next_hop",
    "allocated_at",
    "released_at",
    "cooldown_until",
    "state_error",
    "state_error_at",
)


@dataclass(frozen=True)
class LiveRead:
    """What a VPS page's live read did."""

    is_live: bool  # HostUp was asked; otherwise the snapshot's state stands
    note: str = ""  # why the page shows the snapshot instead, when the user should know


def vps_state_refresh(*, vps_id: str, user: AbstractBaseUser | None = None) -> LiveRead:
    """Read one VPS's routed-IPv6 state live and store it in its snapshot row. Raises HostupError.

    One upstream call when the VPS is in the snapshot; a VPS not yet synced costs a second
    call for its name and addresses. For a person's page view (`user`), a state read in the last
    LIVE_STATE_MAX_AGE seconds stands, and so does any state once the user's minute budget is spent:
    every reload would otherwise be a call on the team's one API key.
    """
    if user is not None:
        recent = timezone.now() - timedelta(seconds=settings.LIVE_STATE_MAX_AGE)
        if VpsSnapshot.objects.filter(vps_id=vps_id, state_checked_at__gte=recent, state_error="").exists():
            return LiveRead(is_live=False)
        if not live_read_take(user_id=user.pk):
            return LiveRead(is_live=False, note=LIVE_READS_SPENT)
    actor = user.get_username() if user is not None else ""
    client = hostup_client(actor=actor, max_retry_wait=INTERACTIVE_RETRY_WAIT_S, interactive=user is not None)
    try:
        routed = client.get_routed_ipv6(vps_id)
        # The UPDATE's row count says whether the row exists: one query on every VPS page view.
        if not vps_state_store(vps_id=vps_id, state=routed):
            snapshot = snapshot_from_vps(client.get_vps(vps_id), timezone.now())
            state_apply(snapshot, routed, timezone.now())
            snapshot.save()
    finally:
        client.close()
    return LiveRead(is_live=True)


def snapshot_from_vps(vps: Vps, now: datetime) -> VpsSnapshot:
    """A snapshot row (unsaved) from the inventory facts of one VPS."""
    return VpsSnapshot(
        vps_id=vps.id,
        name=vps.name,
        primary_ip=vps.primary_ip or "",
        service_status=vps.service_status,
        power_state=vps.power_state or "",
        synced_at=now,
    )


def vps_state_store(*, vps_id: str, state: RoutedIpv6State, read_started: datetime | None = None) -> bool:
    """Write a VPS's state columns; says whether its row was written (one the inventory pass removed stays removed).

    With `read_started`, a state stored since that read began (an action's, a page's live read) wins:
    a background read that overlapped them must not put the older state back.
    """
    fields = VpsSnapshot(vps_id=vps_id)
    state_apply(fields, state, timezone.now())
    rows = VpsSnapshot.objects.filter(vps_id=vps_id)
    if read_started is not None:
        rows = rows.filter(Q(state_checked_at__isnull=True) | Q(state_checked_at__lt=read_started))
    stored = rows.update(**{name: getattr(fields, name) for name in STATE_FIELDS}) > 0
    if stored:
        state_stored.send(sender=VpsSnapshot, vps_id=vps_id, state=state)
    return stored


def vps_state_forget(*, vps_id: str) -> None:
    """The state is no longer known (outcome unknown): the list and the page offer to re-check."""
    VpsSnapshot.objects.filter(vps_id=vps_id).update(state_checked_at=None)


def state_apply(snapshot: VpsSnapshot, state: RoutedIpv6State, now: datetime) -> None:
    """Copy a routed-IPv6 state onto a row's state columns (not saved)."""
    allocation = state.allocation
    snapshot.state_checked_at = now
    snapshot.state_error, snapshot.state_error_at = "", None  # a good read ends the last failure
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
