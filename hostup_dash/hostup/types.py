"""Typed results of HostUp calls, built from JSON by `from_json`.

camelCase becomes snake_case only here. A body whose shape breaks the contract
raises HostupError(code=MALFORMED_RESPONSE), never a KeyError or TypeError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from .errors import MALFORMED_RESPONSE, HostupError

T = TypeVar("T")


@dataclass(frozen=True)
class Reply(Generic[T]):
    """A write's result with the facts of its own HTTP exchange, for the audit record."""

    value: T
    status: int
    request_id: str | None


def _malformed(what: str) -> HostupError:
    return HostupError(
        code=MALFORMED_RESPONSE,
        title="HostUp sent an answer we could not read",
        detail=f"Unexpected response shape: {what}.",
    )


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not an object")
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _malformed(f"{key} is not a list")
    return value


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _malformed(f"{key} is not a string")
    return value


def _str(data: dict[str, Any], key: str) -> str:
    value = _opt_str(data, key)
    if value is None:
        raise _malformed(f"{key} is missing")
    return value


def _opt_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    # bool is an int in Python; the contract never means it as a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _malformed(f"{key} is not a number")
    return int(value)


def _opt_bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise _malformed(f"{key} is not a boolean")
    return value


def _opt_datetime(data: dict[str, Any], key: str) -> datetime | None:
    """Parse HostUp's ISO 8601 timestamps (`...T12:00:00.000Z`) to aware datetimes."""
    value = _opt_str(data, key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _malformed(f"{key} is not a timestamp") from None
    if parsed.tzinfo is None:
        raise _malformed(f"{key} has no time zone")
    return parsed


@dataclass(frozen=True)
class Vps:
    id: str
    name: str
    primary_ip: str | None
    service_status: str
    power_state: str | None

    @classmethod
    def from_json(cls, value: Any) -> Vps:
        data = _object(value, "VPS")
        return cls(
            id=_str(data, "id"),
            name=_opt_str(data, "name") or "",
            primary_ip=_opt_str(data, "primaryIp"),
            service_status=_opt_str(data, "serviceStatus") or "unknown",
            power_state=_opt_str(data, "powerState") or None,
        )


@dataclass(frozen=True)
class VpsPage:
    items: tuple[Vps, ...]
    next_cursor: str | None

    @classmethod
    def from_json(cls, value: Any) -> VpsPage:
        data = _object(value, "VPS page")
        return cls(
            items=tuple(Vps.from_json(item) for item in _list(data, "data")),
            next_cursor=_opt_str(data, "nextCursor") or None,
        )


@dataclass(frozen=True)
class Allocation:
    id: str | None
    prefix: str | None
    prefix_length: int | None
    next_hop: str | None
    status: str | None
    allocated_at: datetime | None
    released_at: datetime | None
    cooldown_until: datetime | None
    updated_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_json(cls, value: Any) -> Allocation:
        data = _object(value, "allocation")
        return cls(
            id=_opt_str(data, "id"),
            prefix=_opt_str(data, "prefix"),
            prefix_length=_opt_int(data, "prefixLength"),
            next_hop=_opt_str(data, "nextHop"),
            status=_opt_str(data, "status"),
            allocated_at=_opt_datetime(data, "allocatedAt"),
            released_at=_opt_datetime(data, "releasedAt"),
            cooldown_until=_opt_datetime(data, "cooldownUntil"),
            updated_at=_opt_datetime(data, "updatedAt"),
        )


def _opt_allocation(data: dict[str, Any]) -> Allocation | None:
    value = data.get("allocation")
    return None if value is None else Allocation.from_json(value)


@dataclass(frozen=True)
class RoutedIpv6State:
    """GET /api/v2/vps/{id}/routed-ipv6, and both POST outcomes."""

    available: bool
    reason: str | None
    parent_cidr: str | None
    prefix_length: int | None
    cooldown_days: int | None
    max_per_vm: int | None
    suggested_next_hop: str | None
    created: bool | None
    allocation: Allocation | None

    @property
    def active_allocation(self) -> Allocation | None:
        return self.allocation if self.allocation and self.allocation.is_active else None

    @property
    def is_next_hop_stale(self) -> bool:
        """The active allocation routes to another hop than HostUp suggests: a refresh is due."""
        active = self.active_allocation
        return bool(active and self.suggested_next_hop and active.next_hop != self.suggested_next_hop)

    @classmethod
    def from_json(cls, value: Any) -> RoutedIpv6State:
        data = _object(value, "routed-IPv6 state")
        available = _opt_bool(data, "available")
        if available is None:
            raise _malformed("available is missing")
        return cls(
            available=available,
            reason=_opt_str(data, "reason"),
            parent_cidr=_opt_str(data, "parentCidr"),
            prefix_length=_opt_int(data, "prefixLength"),
            cooldown_days=_opt_int(data, "cooldownDays"),
            max_per_vm=_opt_int(data, "maxPerVm"),
            suggested_next_hop=_opt_str(data, "suggestedNextHop"),
            created=_opt_bool(data, "created"),
            allocation=_opt_allocation(data),
        )


@dataclass(frozen=True)
class RoutedIpv6Release:
    """DELETE /api/v2/vps/{id}/routed-ipv6."""

    released: bool
    cooldown_days: int | None
    cooldown_until: datetime | None
    allocation: Allocation | None

    @classmethod
    def from_json(cls, value: Any) -> RoutedIpv6Release:
        data = _object(value, "release answer")
        released = _opt_bool(data, "released")
        if released is None:
            raise _malformed("released is missing")
        return cls(
            released=released,
            cooldown_days=_opt_int(data, "cooldownDays"),
            cooldown_until=_opt_datetime(data, "cooldownUntil"),
            allocation=_opt_allocation(data),
        )
