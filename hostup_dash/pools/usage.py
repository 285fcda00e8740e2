"""How much of a /48 pool its routes use, and the next free prefix of each length, from HostUp's state.

Arithmetic on the prefixes HostUp sent; a route whose prefix does not parse, or lies outside its
pool, is shown as sent and left out of the sums.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hostup_dash.hostup.account_routes import ROUTE_PREFIX_LENGTHS, PoolRoute, RoutePool

# Usage is counted in units of the smallest route HostUp hands out.
UNIT_LENGTH = max(ROUTE_PREFIX_LENGTHS)


@dataclass(frozen=True)
class LengthUsage:
    length: int
    routes: int  # routes of this length in the pool
    next_free: ipaddress.IPv6Network | None  # None: no child of this length is free


@dataclass(frozen=True)
class PoolUsage:
    pool: RoutePool
    units_used: int  # /64s covered by routes
    units_total: int  # /64s in the pool
    lengths: tuple[LengthUsage, ...]

    @property
    def summary(self) -> str:
        """E.g. "258 of 65,536 /64s used; the next free /56 is 2001:db8:1000:200::/56"."""
        used = f"{self.units_used:,} of {self.units_total:,} /{UNIT_LENGTH}s used"
        free = [f"the next free /{usage.length} is {usage.next_free}" for usage in self.lengths if usage.next_free]
        return "; ".join([used, *free]) if free else f"{used}; no prefix is free"


def route_networks(pool: RoutePool) -> list[ipaddress.IPv6Network]:
    """The pool's routes as networks inside it, in address order (unparseable ones left out)."""
    parent = pool.network
    networks = [route.network for route in pool.routes]
    inside = [net for net in networks if net is not None and parent is not None and net.subnet_of(parent)]
    return sorted(inside, key=lambda net: int(net.network_address))


def next_free(
    parent: ipaddress.IPv6Network, length: int, taken: list[ipaddress.IPv6Network]
) -> ipaddress.IPv6Network | None:
    """The lowest aligned /length of `parent` clear of every network in `taken` (sorted by address)."""
    size = 1 << (128 - length)
    end = int(parent.broadcast_address) + 1
    cursor = int(parent.network_address)
    for net in taken:
        aligned = -(-cursor // size) * size
        if aligned + size <= int(net.network_address):
            break  # the gap before this route holds one
        cursor = max(cursor, int(net.broadcast_address) + 1)
    aligned = -(-cursor // size) * size
    return ipaddress.IPv6Network((aligned, length)) if aligned + size <= end else None


def overlapping_route(pool: RoutePool, prefix: ipaddress.IPv6Network) -> PoolRoute | None:
    """The first route of the pool that shares an address with `prefix`."""
    return next((route for route in pool.routes if route.network is not None and route.network.overlaps(prefix)), None)


def pool_usage(pool: RoutePool) -> PoolUsage | None:
    """None when HostUp's pool prefix is not one we can count in."""
    parent = pool.network
    if parent is None or parent.prefixlen > UNIT_LENGTH:
        return None
    taken = route_networks(pool)
    units = sum(1 << (UNIT_LENGTH - min(net.prefixlen, UNIT_LENGTH)) for net in taken)
    lengths = tuple(
        LengthUsage(
            length=length,
            routes=sum(1 for net in taken if net.prefixlen == length),
            next_free=next_free(parent, length, taken) if length >= parent.prefixlen else None,
        )
        for length in ROUTE_PREFIX_LENGTHS
    )
    return PoolUsage(pool=pool, units_used=units, units_total=1 << (UNIT_LENGTH - parent.prefixlen), lengths=lengths)
