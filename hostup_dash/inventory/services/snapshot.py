"""The snapshot's routed-IPv6 state columns, and the live read of one VPS that fills them."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hostup_dash.core.clients import INTERACTIVE_RETRY_WAIT_S, hostup_client
from hostup_dash.hostup import RoutedIpv6State, Vps

from ..models import VpsSnapshot

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


def vps_state_refresh(*, vps_id: str, actor: str = "") -> RoutedIpv6State:
    """Read one VPS's routed-IPv6 state live and store it in its snapshot row. Raises HostupError.

    One upstream call when the VPS is in the snapshot; a VPS not yet synced costs a second
    call for its name and addresses.
    """
    client = hostup_client(actor=actor, max_retry_wait=INTERACTIVE_RETRY_WAIT_S)
    try:
        routed = client.get_routed_ipv6(vps_id)
        # The UPDATE's row count says whether the row exists: one query on every VPS page view.
        if not vps_state_store(vps_id=vps_id, state=routed):
            snapshot = snapshot_from_vps(client.get_vps(vps_id), timezone.now())
            state_apply(snapshot, routed, timezone.now())
            snapshot.save()
    finally:
        client.close()
    return routed


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


def vps_state_store(*, vps_id: str, state: RoutedIpv6State) -> bool:
    """Write a VPS's state columns; says whether its row exists (one the inventory pass removed stays removed)."""
    fields = VpsSnapshot(vps_id=vps_id)
    state_apply(fields, state, timezone.now())
    updated = VpsSnapshot.objects.filter(vps_id=vps_id).update(**{name: getattr(fields, name) for name in STATE_FIELDS})
    return updated > 0


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
