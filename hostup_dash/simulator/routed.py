"""Per-VPS routed IPv6 (/api/v2/vps/{id}/routed-ipv6): at most one /64 per VPS, kept through its cooldown."""

import ipaddress
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hostup_dash.simulator.formats import iso, iso_or_none, new_id, now
from hostup_dash.simulator.inventory import Vps
from hostup_dash.simulator.problems import ApiProblem

# Per-VPS allocations and the account pool come from different parents, as in the docs' examples.
PARENT_CIDR = ipaddress.IPv6Network("2001:db8:42::/48")
ALLOCATION_PREFIX_LENGTH = 64
# Subnet 0 of the parent is the link network that holds every VPS's net0 address (the docs'
# next hop 2001:db8:42::1 lives there); routed /64s start at :100:, like the docs' example prefix.
FIRST_ALLOCATION_SUBNET = 0x100
SUBNETS_IN_PARENT = 1 << (ALLOCATION_PREFIX_LENGTH - PARENT_CIDR.prefixlen)
COOLDOWN_DAYS = 30
MAX_PER_VM = 1

REASON_COOLDOWN = "The released routed IPv6 prefix is in cooldown until {until}; allocate again after that."


def subnet(parent: ipaddress.IPv6Network, index: int, length: int) -> ipaddress.IPv6Network:
    """The prefix of `length` bits that starts at the index-th /64 of `parent`."""
    return ipaddress.IPv6Network((parent.network_address + (index << (128 - ALLOCATION_PREFIX_LENGTH)), length))


@dataclass
class Allocation:
    """A VPS's routed /64; it stays attached during its cooldown."""

    id: str
    prefix: ipaddress.IPv6Network
    next_hop: str
    allocated_at: datetime
    updated_at: datetime
    route_id: str  # its id when mirror mode lists it among the account routes
    status: str = "active"
    released_at: datetime | None = None
    cooldown_until: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def release(self, at: datetime) -> None:
        self.status = "cooldown"
        self.released_at = at
        self.cooldown_until = at + timedelta(days=COOLDOWN_DAYS)
        self.updated_at = at

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "prefix": str(self.prefix),
            "prefixLength": self.prefix.prefixlen,
            "nextHop": self.next_hop,
            "status": self.status,
            "allocatedAt": iso(self.allocated_at),
            "releasedAt": iso_or_none(self.released_at),
            "cooldownUntil": iso_or_none(self.cooldown_until),
            "createdAt": iso(self.allocated_at),
            "updatedAt": iso(self.updated_at),
        }


class RoutedIpv6:
    """Each VPS's allocation by VPS id. Not locked: call it with SimState's lock held."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._allocations: dict[str, Allocation] = {}
        self._next_subnet = FIRST_ALLOCATION_SUBNET

    def seed(self, vps: Vps, *, started_at: datetime, is_stale: bool, is_in_cooldown: bool) -> None:
        """Give a seeded VPS an allocation made long enough ago that its own cooldown is over."""
        assert vps.net0_ipv6 is not None  # only VPSes with net0 IPv6 are seeded with allocations
        allocated_at = started_at - timedelta(
            days=self._rng.randint(COOLDOWN_DAYS + 1, 400), seconds=self._rng.randint(0, 86_399)
        )
        next_hop = vps.net0_ipv6
        if is_stale:
            # The address net0 had before it was renumbered.
            next_hop = str(ipaddress.IPv6Address(vps.net0_ipv6) + (1 << 32))
        allocation = self._new_allocation(next_hop=next_hop, at=allocated_at)
        if is_in_cooldown:
            allocation.release(started_at - timedelta(days=self._rng.randint(1, COOLDOWN_DAYS - 1)))
        self._allocations[vps.id] = allocation

    def active(self, vps_id: str) -> Allocation | None:
        allocation = self._allocations.get(vps_id)
        return allocation if allocation is not None and allocation.is_active else None

    def state_json(self, vps: Vps, *, created: bool | None) -> dict[str, object]:
        """GET's routed-IPv6 state of the VPS; POST answers the same shape with `created` set."""
        allocation = self._current(vps)
        blocker = self._blocker(vps)
        return {
            "available": blocker is None,
            "reason": None if blocker is None else blocker.detail,
            "parentCidr": str(PARENT_CIDR),
            # The docs show 48 and 64 here without saying what it measures; we report the size a VPS gets.
            "prefixLength": ALLOCATION_PREFIX_LENGTH,
            "cooldownDays": COOLDOWN_DAYS,
            "maxPerVm": MAX_PER_VM,
            "suggestedNextHop": vps.net0_ipv6,
            "created": created,
            "allocation": None if allocation is None else allocation.to_json(),
        }

    def allocate(self, vps: Vps) -> tuple[bool, dict[str, object]]:
        """Allocate a /64, or hand back the active one; says whether it is new. Raises 409 problems."""
        if self.active(vps.id) is not None:
            return False, self.state_json(vps, created=False)
        blocker = self._blocker(vps)
        if blocker is not None:
            raise blocker
        assert vps.net0_ipv6 is not None  # _blocker refuses VPSes without one
        self._allocations[vps.id] = self._new_allocation(next_hop=vps.net0_ipv6, at=now())
        return True, self.state_json(vps, created=True)

    def refresh_next_hop(self, vps: Vps) -> dict[str, object]:
        """Point the active allocation at the current suggested next hop. Raises 409 problems."""
        allocation = self.active(vps.id)
        if allocation is None:
            raise ApiProblem(
                409, "routed_ipv6_not_allocated", "This VPS has no active routed IPv6 allocation to refresh."
            )
        blocker = self._blocker(vps)
        if blocker is not None:
            raise blocker
        assert vps.net0_ipv6 is not None  # _blocker refuses VPSes without one
        allocation.next_hop = vps.net0_ipv6
        # Always move forward, so a refresh within the allocation's millisecond still shows.
        allocation.updated_at = max(now(), allocation.updated_at + timedelta(milliseconds=1))
        return self.state_json(vps, created=False)

    def release(self, vps: Vps) -> dict[str, object]:
        """Release the active allocation into cooldown; `released` false when there is none."""
        allocation = self.active(vps.id)
        if allocation is None:
            return {"released": False, "cooldownDays": COOLDOWN_DAYS, "cooldownUntil": None, "allocation": None}
        allocation.release(now())
        return {
            "released": True,
            "cooldownDays": COOLDOWN_DAYS,
            "cooldownUntil": iso_or_none(allocation.cooldown_until),
            "allocation": allocation.to_json(),
        }

    def expire_cooldowns(self) -> None:
        self._allocations = {vps_id: kept for vps_id, kept in self._allocations.items() if kept.is_active}

    def _current(self, vps: Vps) -> Allocation | None:
        """The VPS's allocation, with a finished cooldown already dropped."""
        allocation = self._allocations.get(vps.id)
        if allocation and allocation.cooldown_until is not None and allocation.cooldown_until <= now():
            del self._allocations[vps.id]
            return None
        return allocation

    def _blocker(self, vps: Vps) -> ApiProblem | None:
        """The 409 an allocation would get now; its detail doubles as GET's `reason`."""
        reason = vps.not_ready_reason()
        if reason is not None:
            return ApiProblem(409, "vps_not_ready", reason)
        allocation = self._current(vps)
        if allocation and allocation.cooldown_until is not None:
            until = iso(allocation.cooldown_until)
            return ApiProblem(
                409, "routed_ipv6_cooldown", REASON_COOLDOWN.format(until=until), extensions={"cooldownUntil": until}
            )
        return None

    def _new_allocation(self, *, next_hop: str, at: datetime) -> Allocation:
        if self._next_subnet >= SUBNETS_IN_PARENT:
            raise ApiProblem(500, "internal_error", "The simulator has no free /64 left in its parent prefix.")
        # Prefixes are never reused, so every allocation a VPS gets is a distinct /64.
        prefix = subnet(PARENT_CIDR, self._next_subnet, ALLOCATION_PREFIX_LENGTH)
        self._next_subnet += 1
        return Allocation(
            id=new_id(self._rng, "ripv6_"),
            prefix=prefix,
            next_hop=next_hop,
            allocated_at=at,
            updated_at=at,
            route_id=new_id(self._rng, "ripv6rt_"),
        )
