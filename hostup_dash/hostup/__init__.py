"""HostUp API v2 client: HTTP only, no Django."""

from .client import HostupClient, check_rack_id, check_vps_id, is_valid_vps_id
from .errors import FieldError, HostupError, InvalidRequest
from .types import (
    Allocation,
    Reply,
    RoutedIpv6Release,
    RoutedIpv6State,
    Vps,
    VpsPage,
)

__all__ = [
    "Allocation",
    "FieldError",
    "HostupClient",
    "HostupError",
    "InvalidRequest",
    "Reply",
    "RoutedIpv6Release",
    "RoutedIpv6State",
    "Vps",
    "VpsPage",
    "check_rack_id",
    "check_vps_id",
    "is_valid_vps_id",
]
