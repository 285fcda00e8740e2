"""Account-level routed IPv6 (/api/v2/routed-ipv6): the account's /48 pools, their routes and the eligible VPSes.

One pool is seeded with a few routes; the writes allocate a pool (only while there is none and no
cooldown runs), route a child to an eligible VPS, delete a route and release an empty pool (a
cooldown follows). Mirror mode adds every active VPS allocation as a route of its own pool.
"""

import ipaddress
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hostup_dash.simulator.account_body import RouteRequest
from hostup_dash.simulator.formats import iso, iso_or_none, new_id, now
from hostup_dash.simulator.inventory import Fleet, Vps
from hostup_dash.simulator.problems import ApiProblem, field_error, invalid_request
from hostup_dash.simulator.routed import PARENT_CIDR, RoutedIpv6, subnet

ACCOUNT_POOL_CIDR = ipaddress.IPv6Network("2001:db8:1000::/48")
ALLOWED_PREFIX_LENGTHS = (48, 56, 64)
POOL_COOLDOWN_DAYS = 30
# Account routes seeded into the pool: (prefix length, index of the first /64, label).
SEEDED_ROUTES = ((64, 0x10, "web subnet"), (56, 0x100, None), (64, 0x11, "monitoring"))

REASON_POOL_EXISTS = "The account already holds a routed /48 pool."
REASON_POOL_COOLDOWN = "The released pool is in cooldown until {until}; a new /48 can be allocated after that."
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


@dataclass
class AccountPool:
    id: str
    cidr: ipaddress.IPv6Network
    allocated_at: datetime
    routes: list[AccountRoute] = field(default_factory=list)


def first_free(
    pool: ipaddress.IPv6Network, length: int, used: list[ipaddress.IPv6Network]
) -> ipaddress.IPv6Network | None:
    """The lowest child of `length` bits that overlaps nothing in `used`: the routes in address order,
    each passed once (a full pool holds 65,536 of them)."""
    size = 1 << (128 - length)
    start = int(pool.network_address)
    for taken in sorted(used):
        if start + size <= int(taken.network_address):
            break  # a child fits before this route
        start = max(start, -(-(int(taken.broadcast_address) + 1) // size) * size)
    return ipaddress.IPv6Network((start, length)) if start + size - 1 <= int(pool.broadcast_address) else None


class Account:
    """The pools and their routes. Not locked: call it with SimState's lock held."""

    def __init__(self, rng: random.Random, *, fleet: Fleet, started_at: datetime) -> None:
        self._rng = rng
        self._started_at = started_at
        seeded = AccountPool(new_id(rng, "ripv6_"), ACCOUNT_POOL_CIDR, started_at - timedelta(days=60))
        seeded.routes = self._seed_routes(rng, fleet, seeded)
        self._pools = [seeded]
        self._next_pool_cidr = ACCOUNT_POOL_CIDR.network_address + (1 << 80)  # released /48s are never handed out again
        self._cooldown_until: datetime | None = None
        self._mirror_pool_id = new_id(rng, "ripv6_")

    def state_json(self, fleet: Fleet, routed: RoutedIpv6, *, mirror_allocations: bool) -> dict[str, object]:
        """GET /api/v2/routed-ipv6 (and every write's answer); mirror mode adds every active VPS allocation."""
        pools = [self._pool_json(pool, fleet) for pool in self._pools]
        if mirror_allocations:
            mirrored = AccountPool(
                self._mirror_pool_id, PARENT_CIDR, self._started_at, self._mirrored_routes(fleet, routed)
            )
            pools.append(self._pool_json(mirrored, fleet))
        return {
            "available": True,
            "reason": None,
            "allowedPrefixLengths": list(ALLOWED_PREFIX_LENGTHS),
            "pools": pools,
            "destinations": [self._destination_json(vps) for vps in fleet],
            # NOTES.md: the names of the account's gates are not visible; the simulator sends this one only.
            "actions": {
                "canAllocatePool": _gate(self._pool_blocker(), "pool_exists" if self._pools else "routed_ipv6_cooldown")
            },
        }

    def allocate_pool(self) -> None:
        """A /48 for an account without one. Raises the 409 problems."""
        reason = self._pool_blocker()
        if reason is not None:
            code = "routed_ipv6_pool_exists" if self._pools else "routed_ipv6_cooldown"
            raise ApiProblem(409, code, reason)
        cidr = ipaddress.IPv6Network((self._next_pool_cidr, 48))
        self._next_pool_cidr += 1 << 80
        self._pools.append(AccountPool(new_id(self._rng, "ripv6_"), cidr, now()))

    def create_route(self, request: RouteRequest, fleet: Fleet) -> None:
        """Route a child of a pool to an eligible VPS. Raises the 400, 404 and 409 problems."""
        pool = self._pool(request.pool_id)
        vps = self._destination(request.vps_id, fleet)
        used = [route.prefix for route in pool.routes]
        prefix = request.prefix
        if prefix is not None and not prefix.subnet_of(pool.cidr):
            raise invalid_request([field_error("/prefix", f"Must lie inside the pool {pool.cidr}.", "outside_pool")])
        if prefix is not None and any(taken.overlaps(prefix) for taken in used):
            raise ApiProblem(409, "routed_ipv6_prefix_in_use", f"{prefix} overlaps a route of this pool.")
        prefix = prefix or first_free(pool.cidr, request.length, used)
        if prefix is None:
            raise ApiProblem(
                409, "routed_ipv6_pool_exhausted", f"The pool {pool.cidr} has no free /{request.length} left."
            )
        moment = now()
        assert vps.net0_ipv6 is not None  # an eligible destination has one
        route = AccountRoute(
            new_id(self._rng, "ripv6rt_"), prefix, vps.net0_ipv6, request.label, vps.id, moment, moment
        )
        pool.routes.append(route)

    def delete_route(self, route_id: str, fleet: Fleet, routed: RoutedIpv6, *, mirror_allocations: bool) -> None:
        """Delete a route; its prefix is free again at once. Raises 404, and 409 for a mirrored allocation."""
        for pool in self._pools:
            for route in pool.routes:
                if route.id == route_id:
                    pool.routes.remove(route)
                    return
        if mirror_allocations and any(route.id == route_id for route in self._mirrored_routes(fleet, routed)):
            raise ApiProblem(409, "routed_ipv6_route_not_deletable", REASON_MIRRORED_ROUTE)
        raise ApiProblem(404, "not_found", "No route matching the given ID was found.")

    def release_pool(self, pool_id: str) -> dict[str, object]:
        """Release an empty pool; a cooldown starts. Raises 404, and 409 while routes remain."""
        pool = self._pool(pool_id)
        if pool.routes:
            raise ApiProblem(
                409,
                "routed_ipv6_pool_not_empty",
                f"The pool {pool.cidr} still has {len(pool.routes)} route(s); delete them first.",
            )
        self._pools.remove(pool)
        self._cooldown_until = now() + timedelta(days=POOL_COOLDOWN_DAYS)
        return {"released": True, "cooldownUntil": iso_or_none(self._cooldown_until)}

    def expire_cooldown(self) -> None:
        self._cooldown_until = None

    def _pool_blocker(self) -> str | None:
        if self._pools:
            return REASON_POOL_EXISTS
        if self._cooldown_until is not None and self._cooldown_until > now():
            return REASON_POOL_COOLDOWN.format(until=iso(self._cooldown_until))
        return None

    def _pool(self, pool_id: str) -> AccountPool:
        pool = next((pool for pool in self._pools if pool.id == pool_id), None)
        if pool is None:
            raise ApiProblem(404, "not_found", "No routed IPv6 pool matching the given ID was found.")
        return pool

    def _destination(self, vps_id: str, fleet: Fleet) -> Vps:
        try:
            vps = fleet.find(vps_id)
        except ApiProblem:
            raise ApiProblem(404, "not_found", "No VPS matching the given ID was found.") from None
        reason = vps.not_ready_reason()
        if reason is not None:
            raise ApiProblem(409, "routed_ipv6_destination_not_eligible", f"No route can point at {vps.name}: {reason}")
        return vps

    def _seed_routes(self, rng: random.Random, fleet: Fleet, pool: AccountPool) -> list[AccountRoute]:
        eligible = [vps for vps in fleet if vps.not_ready_reason() is None]
        chosen = rng.sample(eligible, min(len(SEEDED_ROUTES), len(eligible)))
        routes = []
        pairs = zip(chosen, SEEDED_ROUTES, strict=False)  # a tiny fleet may have fewer eligible VPSes than routes
        for minute, (vps, (length, first_subnet, label)) in enumerate(pairs, start=1):
            assert vps.net0_ipv6 is not None  # eligible VPSes have one
            routed_at = pool.allocated_at + timedelta(minutes=minute)
            routes.append(
                AccountRoute(
                    id=new_id(rng, "ripv6rt_"),
                    prefix=subnet(pool.cidr, first_subnet, length),
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

    def _pool_json(self, pool: AccountPool, fleet: Fleet) -> dict[str, object]:
        return {
            "id": pool.id,
            "parentCidr": str(pool.cidr),
            "prefixLength": pool.cidr.prefixlen,
            "status": "active",
            "allocatedAt": iso(pool.allocated_at),
            "updatedAt": iso(pool.allocated_at),
            "routes": [self._route_json(route, fleet) for route in pool.routes],
        }
