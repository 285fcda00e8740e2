"""Account-level routed IPv6 (/api/v2/routed-ipv6): the account's /48 pool, its routes and the eligible VPSes.

Read-only for now: the pool and routes are seeded, and mirror mode adds every active VPS allocation as a route.
"""

import ipaddress
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hostup_dash.simulator.formats import iso, new_id
from hostup_dash.simulator.inventory import Fleet, Vps
from hostup_dash.simulator.routed import PARENT_CIDR, RoutedIpv6, subnet

ACCOUNT_POOL_CIDR = ipaddress.IPv6Network("2001:db8:1000::/48")
ALLOWED_PREFIX_LENGTHS = (48, 56, 64)
# Account routes seeded into the pool: (prefix length, index of the first /64, label).
SEEDED_ROUTES = ((64, 0x10, "web subnet"), (56, 0x100, None), (64, 0x11, "monitoring"))

REASON_POOL_EXISTS = "The account already holds a routed /48 pool."
REASON_MIRRORED_ROUTE = "This route is a VPS allocation; release it on the VPS's routed IPv6 page."


def _gate(reason: str | None, code: str | None = None) -> dict[str, object]:
    """HostUp's action-gate shape: allowed unless there is a reason; the code only names a refusal."""
    return {"allowed": reason is None, "reason": reason, "code": None if reason is None else code}


@dataclass(frozen=True)
class AccountRoute:
    id: str
    prefix: ipaddress.IPv6Network
    next_hop: str
    label: str | None
    vps_id: str
    allocated_at: datetime
    updated_at: datetime
    delete_refusal: str | None = None  # set on mirrored VPS allocations, which are released per VPS


class Account:
    """The pool and its routes, seeded at start-up. Not locked: call it with SimState's lock held."""

    def __init__(self, rng: random.Random, *, fleet: Fleet, started_at: datetime) -> None:
        self._started_at = started_at
        self._pool_id = new_id(rng, "ripv6_")
        self._pool_allocated_at = started_at - timedelta(days=60)
        self._routes = self._seed_routes(rng, fleet)
        self._mirror_pool_id = new_id(rng, "ripv6_")

    def state_json(self, fleet: Fleet, routed: RoutedIpv6, *, mirror_allocations: bool) -> dict[str, object]:
        """GET /api/v2/routed-ipv6; mirror mode adds every active VPS allocation as a route."""
        routes = [self._route_json(route, fleet) for route in self._routes]
        pools = [self._pool_json(self._pool_id, ACCOUNT_POOL_CIDR, self._pool_allocated_at, routes)]
        if mirror_allocations:
            mirrored = [self._route_json(route, fleet) for route in self._mirrored_routes(fleet, routed)]
            pools.append(self._pool_json(self._mirror_pool_id, PARENT_CIDR, self._started_at, mirrored))
        return {
            "available": True,
            "reason": None,
            "allowedPrefixLengths": list(ALLOWED_PREFIX_LENGTHS),
            "pools": pools,
            "destinations": [self._destination_json(vps) for vps in fleet],
            "actions": {
                "canAllocatePool": _gate(REASON_POOL_EXISTS, "pool_exists"),
                "canCreateRoute": _gate(None),
            },
        }

    def _seed_routes(self, rng: random.Random, fleet: Fleet) -> list[AccountRoute]:
        eligible = [vps for vps in fleet if vps.not_ready_reason() is None]
        chosen = rng.sample(eligible, min(len(SEEDED_ROUTES), len(eligible)))
        routes = []
        pairs = zip(chosen, SEEDED_ROUTES, strict=False)  # a tiny fleet may have fewer eligible VPSes than routes
        for minute, (vps, (length, first_subnet, label)) in enumerate(pairs, start=1):
            assert vps.net0_ipv6 is not None  # eligible VPSes have one
            routed_at = self._pool_allocated_at + timedelta(minutes=minute)
            routes.append(
                AccountRoute(
                    id=new_id(rng, "ripv6rt_"),
                    prefix=subnet(ACCOUNT_POOL_CIDR, first_subnet, length),
                    next_hop=vps.net0_ipv6,
                    label=label,
                    vps_id=vps.id,
                    allocated_at=routed_at,
                    updated_at=routed_at,
                )
            )
        return routes

    def _mirrored_routes(self, fleet: Fleet, routed: RoutedIpv6) -> list[AccountRoute]:
        """Every active VPS allocation, seen as a route of the per-VPS parent."""
        return [
            AccountRoute(
                id=allocation.route_id,
                prefix=allocation.prefix,
                next_hop=allocation.next_hop,
                label=None,
                vps_id=vps.id,
                allocated_at=allocation.allocated_at,
                updated_at=allocation.updated_at,
                delete_refusal=REASON_MIRRORED_ROUTE,
            )
            for vps in fleet
            if (allocation := routed.active(vps.id)) is not None
        ]

    def _route_json(self, route: AccountRoute, fleet: Fleet) -> dict[str, object]:
        return {
            "id": route.id,
            "prefix": str(route.prefix),
            "prefixLength": route.prefix.prefixlen,
            "nextHop": route.next_hop,
            "label": route.label,
            "vpsId": route.vps_id,
            "vpsName": fleet.find(route.vps_id).name,
            "status": "active",
            "allocatedAt": iso(route.allocated_at),
            "updatedAt": iso(route.updated_at),
            "actions": {"canDelete": _gate(route.delete_refusal, "per_vps_allocation")},
        }

    def _destination_json(self, vps: Vps) -> dict[str, object]:
        return {
            "vpsId": vps.id,
            "vpsName": vps.name,
            "actions": {"canReceiveRoute": _gate(vps.not_ready_reason(), "vps_not_ready")},
        }

    def _pool_json(
        self, pool_id: str, cidr: ipaddress.IPv6Network, allocated_at: datetime, routes: list[dict[str, object]]
    ) -> dict[str, object]:
        return {
            "id": pool_id,
            "parentCidr": str(cidr),
            "prefixLength": cidr.prefixlen,
            "status": "active",
            "allocatedAt": iso(allocated_at),
            "updatedAt": iso(allocated_at),
            "routes": routes,
        }
