"""HostUp API v2 client: HTTP only, no Django."""

from .client import HostupClient, check_rack_id, check_vps_id, is_valid_vps_id
from .errors import FieldError, HostupError
from .types import Allocation, AccountRoutedIpv6, Pool, Route, RoutedIpv6Release, RoutedIpv6State, Vps, VpsPage

__all__ = [
    "AccountRoutedIpv6",
    "Allocation",
    "FieldError",
    "HostupClient",
    "HostupError",
    "Pool",
    "Route",
    "RoutedIpv6Release",
    "RoutedIpv6State",
    "Vps",
    "VpsPage",
    "check_rack_id",
    "check_vps_id",
    "is_valid_vps_id",
]
