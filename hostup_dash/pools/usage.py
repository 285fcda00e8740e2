"""How much of a /48 pool its routes use, and the next free prefix of each length, from HostUp's state.

Arithmetic on the prefixes HostUp sent; a route whose prefix does not parse, or lies outside its
pool, is shown as sent and left out of the sums.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
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


@dataclass(frozen=True)
class _Span:
    """A route inside its pool as integers: first and last address, and its length."""

    first: int
    last: int
    length: int


def _spans(pool: RoutePool) -> list[_Span]:
    """The pool's routes inside it, in address order (unparseable ones left out). Integers, not
    IPv6Network: a full pool has 65,536 routes and this runs on every page and every click."""
    parent = pool.network
    if parent is None:
        return []
    low, high = int(parent.network_address), int(parent.broadcast_address)
    spans = []
    for net in (route.network for route in pool.routes):
        if net is not None and low <= (first := int(net.network_address)) and first + net.num_addresses - 1 <= high:
            spans.append(_Span(first, first + net.num_addresses - 1, net.prefixlen))
    return sorted(spans, key=lambda span: span.first)


def next_free(pool: RoutePool, length: int, spans: list[_Span] | None = None) -> ipaddress.IPv6Network | None:
    """The lowest aligned /length of the pool clear of every route: one walk through the routes in
    address order, never a search over candidates."""
    parent = pool.network
    if parent is None or length < parent.prefixlen:
        return None
    size = 1 << (128 - length)
    cursor = int(parent.network_address)
    for span in _spans(pool) if spans is None else spans:
        aligned = -(-cursor // size) * size
        if aligned + size <= span.first:
            break  # the gap before this route holds one
        cursor = max(cursor, span.last + 1)
    aligned = -(-cursor // size) * size
    return ipaddress.IPv6Network((aligned, length)) if aligned + size <= int(parent.broadcast_address) + 1 else None


def overlapping_route(pool: RoutePool, prefix: ipaddress.IPv6Network) -> PoolRoute | None:
    """The first route of the pool that shares an address with `prefix`."""
    return next((route for route in pool.routes if route.network is not None and route.network.overlaps(prefix)), None)


def pool_usage(pool: RoutePool) -> PoolUsage | None:
    """None when HostUp's pool prefix is not one we can count in."""
    parent = pool.network
    if parent is None or parent.prefixlen > UNIT_LENGTH:
        return None
    spans = _spans(pool)
    units = sum(1 << (UNIT_LENGTH - min(span.length, UNIT_LENGTH)) for span in spans)
    by_length = Counter(span.length for span in spans)
    lengths = tuple(
        LengthUsage(length=length, routes=by_length[length], next_free=next_free(pool, length, spans))
        for length in ROUTE_PREFIX_LENGTHS
    )
    return PoolUsage(pool=pool, units_used=units, units_total=1 << (UNIT_LENGTH - parent.prefixlen), lengths=lengths)
