"""Account-level routed IPv6 (/api/v2/routed-ipv6): the /48 pools, the routes cut from them, and the writes.

`AccountRoutes` is the account state in full (gates and destinations included), as GET and both
POST actions answer it; the inventory sync reads it too, once per pass. The writes check
their input before sending (InvalidRequest) and are never retried, like the per-VPS ones.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import FieldError, InvalidRequest
from .types import Reply, _list, _malformed, _object, _opt_bool, _opt_datetime, _opt_int, _opt_str, _str

ACCOUNT_PATH = "/api/v2/routed-ipv6"
READ_ACCOUNT_NETWORK = ("read:network", "read:vm")
WRITE_NETWORK = ("write:network",)
ROUTE_PREFIX_LENGTHS = (48, 56, 64)
# HostUp documents no limit; the dashboard keeps labels short enough to read in a table row.
LABEL_MAX_LENGTH = 64
# Documented only by example: `ripv6_` / `ripv6rt_` + 26 lower-case ULID characters (they go into URL paths).
POOL_ID_PATTERN = re.compile(r"^ripv6_[0-9a-hjkmnp-tv-z]{26}$")
ROUTE_ID_PATTERN = re.compile(r"^ripv6rt_[0-9a-hjkmnp-tv-z]{26}$")

INVALID_POOL_ID = "invalid_pool_id"
INVALID_ROUTE_ID = "invalid_route_id"
INVALID_ROUTE = "invalid_route"


@dataclass(frozen=True)
class Gate:
    """HostUp's action gate: whether an action is allowed now, and why not."""

    allowed: bool
    reason: str | None
    code: str | None

    @classmethod
    def from_json(cls, value: Any, what: str) -> Gate | None:
        if value is None:
            return None
        data = _object(value, what)
        return cls(
            allowed=bool(_opt_bool(data, "allowed")), reason=_opt_str(data, "reason"), code=_opt_str(data, "code")
        )


def _gate(data: dict[str, Any], name: str) -> Gate | None:
    actions = data.get("actions")
    return Gate.from_json(_object(actions, "actions").get(name), name) if actions is not None else None


@dataclass(frozen=True)
class PoolRoute:
    id: str
    prefix: str
    prefix_length: int | None
    next_hop: str | None
    label: str | None
    vps_id: str | None
    vps_name: str | None
    status: str | None
    allocated_at: datetime | None
    can_delete: Gate | None

    @cached_property  # parsed once: a pool may hold thousands of routes, each read several times per page
    def network(self) -> ipaddress.IPv6Network | None:
        return _network(self.prefix)

    @classmethod
    def from_json(cls, value: Any) -> PoolRoute:
        data = _object(value, "route")
        return cls(
            id=_str(data, "id"),
            prefix=_str(data, "prefix"),
            prefix_length=_opt_int(data, "prefixLength"),
            next_hop=_opt_str(data, "nextHop"),
            label=_opt_str(data, "label"),
            vps_id=_opt_str(data, "vpsId"),
            vps_name=_opt_str(data, "vpsName"),
            status=_opt_str(data, "status"),
            allocated_at=_opt_datetime(data, "allocatedAt"),
            can_delete=_gate(data, "canDelete"),
        )


@dataclass(frozen=True)
class RoutePool:
    id: str
    parent_cidr: str | None
    status: str | None
    allocated_at: datetime | None
    routes: tuple[PoolRoute, ...]

    @cached_property
    def network(self) -> ipaddress.IPv6Network | None:
        return _network(self.parent_cidr)

    @classmethod
    def from_json(cls, value: Any) -> RoutePool:
        data = _object(value, "pool")
        return cls(
            id=_str(data, "id"),
            parent_cidr=_opt_str(data, "parentCidr"),
            status=_opt_str(data, "status"),
            allocated_at=_opt_datetime(data, "allocatedAt"),
            routes=tuple(PoolRoute.from_json(route) for route in _list(data, "routes")),
        )


@dataclass(frozen=True)
class RouteDestination:
    """A VPS that a route could point at; `can_receive_route` says whether one may now."""

    vps_id: str
    vps_name: str | None
    can_receive_route: Gate | None

    @classmethod
    def from_json(cls, value: Any) -> RouteDestination:
        data = _object(value, "destination")
        return cls(
            vps_id=_str(data, "vpsId"),
            vps_name=_opt_str(data, "vpsName"),
            can_receive_route=_gate(data, "canReceiveRoute"),
        )


@dataclass(frozen=True)
class AccountRoutes:
    """GET /api/v2/routed-ipv6 in full, and what both POST actions and a route's DELETE answer."""

    available: bool | None
    reason: str | None
    allowed_prefix_lengths: tuple[int, ...]
    pools: tuple[RoutePool, ...]
    destinations: tuple[RouteDestination, ...]
    can_allocate_pool: Gate | None

    @property
    def routes(self) -> tuple[PoolRoute, ...]:
        return tuple(route for pool in self.pools for route in pool.routes)

    def pool(self, pool_id: str) -> RoutePool | None:
        return next((pool for pool in self.pools if pool.id == pool_id), None)

    def route(self, route_id: str) -> PoolRoute | None:
        return next((route for pool in self.pools for route in pool.routes if route.id == route_id), None)

    def destination(self, vps_id: str) -> RouteDestination | None:
        return next((found for found in self.destinations if found.vps_id == vps_id), None)

    @classmethod
    def from_json(cls, value: Any) -> AccountRoutes:
        data = _object(value, "account routed-IPv6 state")
        lengths = _list(data, "allowedPrefixLengths")
        if not all(isinstance(length, int) and not isinstance(length, bool) for length in lengths):
            raise _malformed("allowedPrefixLengths holds something other than numbers")
        return cls(
            available=_opt_bool(data, "available"),
            reason=_opt_str(data, "reason"),
            allowed_prefix_lengths=tuple(lengths) or ROUTE_PREFIX_LENGTHS,
            pools=tuple(RoutePool.from_json(pool) for pool in _list(data, "pools")),
            destinations=tuple(RouteDestination.from_json(item) for item in _list(data, "destinations")),
            can_allocate_pool=_gate(data, "canAllocatePool"),
        )


@dataclass(frozen=True)
class PoolRelease:
    """DELETE /api/v2/routed-ipv6/{id}; both fields are optional in the docs."""

    released: bool | None
    cooldown_until: datetime | None

    @classmethod
    def from_json(cls, value: Any) -> PoolRelease:
        data = _object(value, "pool release answer")
        return cls(released=_opt_bool(data, "released"), cooldown_until=_opt_datetime(data, "cooldownUntil"))


def _network(text: str | None) -> ipaddress.IPv6Network | None:
    """A prefix as HostUp wrote it, or None when it is not one (shown as sent, never trusted for arithmetic)."""
    try:
        return ipaddress.IPv6Network(text or "")
    except ValueError:
        return None


def parse_route_prefix(text: str, length: int) -> tuple[ipaddress.IPv6Network | None, str]:
    """The prefix a person typed, checked to be an aligned IPv6 prefix of exactly `length` bits.

    Returns the network and "" or None and the reason in words. Inside-the-pool and overlap
    checks need the account state; the service makes them.
    """
    text = text.strip()
    if "/" not in text:
        # The bare documentation prefix: an example from a live range could be one in use.
        return None, f"Write the prefix with its length: an address, then /{length}, as in 2001:db8::/{length}."
    if "%" in text:  # a zone index names an interface, never a routed prefix
        return None, "A routed prefix has no zone index (%…)."
    try:
        loose = ipaddress.IPv6Network(text, strict=False)
    except ValueError:
        return None, f"{text} is not an IPv6 prefix."
    if loose.prefixlen != length:
        return None, f"This is a /{loose.prefixlen}; the chosen length is /{length}."
    try:
        return ipaddress.IPv6Network(text), ""  # strict: no bits set past the length
    except ValueError:
        return None, f"{text} is not aligned to a /{length}: the /{length} holding it starts at {loose}."


def route_input_errors(*, prefix_length: int, prefix: str | None, label: str | None) -> tuple[FieldError, ...]:
    """What HostUp would refuse in a create_route body, field by field, as the API's pointers name them."""
    errors = []
    if prefix_length not in ROUTE_PREFIX_LENGTHS:
        lengths = ", ".join(f"/{length}" for length in ROUTE_PREFIX_LENGTHS)
        errors.append(
            FieldError(pointer="/prefixLength", detail=f"The length must be one of {lengths}.", code="invalid_choice")
        )
    elif prefix:
        network, problem = parse_route_prefix(prefix, prefix_length)
        if network is None:
            errors.append(FieldError(pointer="/prefix", detail=problem, code="invalid_prefix"))
    if label is not None and len(label) > LABEL_MAX_LENGTH:
        detail = f"A label has at most {LABEL_MAX_LENGTH} characters; this one has {len(label)}."
        errors.append(FieldError(pointer="/label", detail=detail, code="too_long"))
    elif label is not None and not label.isprintable():
        errors.append(
            FieldError(pointer="/label", detail="A label must not hold control characters.", code="invalid_characters")
        )
    return tuple(errors)


def _check_id(value: str, pattern: re.Pattern[str], *, code: str, what: str, example: str) -> None:
    if not pattern.fullmatch(value):
        raise InvalidRequest(code=code, title=f"Not a HostUp {what} id", detail=f"A {what} id looks like {example}.")


class AccountRoutesCalls:
    """HostupClient's account-level routed-IPv6 calls (a mixin: the client's own GET and send)."""

    if TYPE_CHECKING:
        _get: Callable[..., Reply[Any]]
        _send: Callable[..., Reply[Any]]

    def get_account_routes(self) -> AccountRoutes:
        """getAccountRoutedIpv6, in full: pools, routes, destinations and gates."""
        return AccountRoutes.from_json(self._get(ACCOUNT_PATH, READ_ACCOUNT_NETWORK).value)

    def allocate_account_pool(self) -> Reply[AccountRoutes]:
        """changeAccountRoutedIpv6 with action=allocate_pool: the account's first /48 (201, the state after)."""
        return self._change_account({"action": "allocate_pool"})

    def create_account_route(
        self, *, pool_id: str, vps_id: str, prefix_length: int, prefix: str | None = None, label: str | None = None
    ) -> Reply[AccountRoutes]:
        """changeAccountRoutedIpv6 with action=create_route; without `prefix` HostUp takes the first free child.

        Raises InvalidRequest, before sending, for a malformed id, length, prefix or label.
        """
        from .client import check_vps_id  # client.py imports this module for the mixin

        _check_id(
            pool_id, POOL_ID_PATTERN, code=INVALID_POOL_ID, what="pool", example="ripv6_ and 26 letters and digits"
        )
        check_vps_id(vps_id)
        errors = route_input_errors(prefix_length=prefix_length, prefix=prefix, label=label)
        if errors:
            raise InvalidRequest(
                code=INVALID_ROUTE, title="The route cannot be created as asked", detail=errors[0].detail, errors=errors
            )
        body: dict[str, Any] = {
            "action": "create_route",
            "poolId": pool_id,
            "vpsId": vps_id,
            "prefixLength": prefix_length,
        }
        if prefix:
            body["prefix"] = str(parse_route_prefix(prefix, prefix_length)[0])  # as HostUp writes it
        if label:
            body["label"] = label
        return self._change_account(body)

    def release_account_pool(self, pool_id: str) -> Reply[PoolRelease]:
        """releaseAccountPool: only once it has no routes; a cooldown follows."""
        _check_id(
            pool_id, POOL_ID_PATTERN, code=INVALID_POOL_ID, what="pool", example="ripv6_ and 26 letters and digits"
        )
        reply = self._send("DELETE", f"{ACCOUNT_PATH}/{pool_id}", WRITE_NETWORK)
        return Reply(PoolRelease.from_json(reply.value), reply.status, reply.request_id)

    def delete_account_route(self, route_id: str) -> Reply[AccountRoutes]:
        """deleteAccountRoute: the child prefix is free again at once (the state after)."""
        _check_id(
            route_id,
            ROUTE_ID_PATTERN,
            code=INVALID_ROUTE_ID,
            what="route",
            example="ripv6rt_ and 26 letters and digits",
        )
        reply = self._send("DELETE", f"{ACCOUNT_PATH}/routes/{route_id}", WRITE_NETWORK)
        return Reply(AccountRoutes.from_json(reply.value), reply.status, reply.request_id)

    def _change_account(self, body: dict[str, Any]) -> Reply[AccountRoutes]:
        reply = self._send("POST", ACCOUNT_PATH, WRITE_NETWORK, json=body)
        return Reply(AccountRoutes.from_json(reply.value), reply.status, reply.request_id)
