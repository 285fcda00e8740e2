"""The only code that changes inventory state: HostUp writes, the sync, the snapshot.

One module per concern; callers import this package (`from hostup_dash.inventory import
services`). A test that patches must name the defining module (`services.sync`, ...),
since a patch on a re-exported name changes nothing.
"""

from hostup_dash.core.jobs import worker_is_silent

from .action_checks import ipv6_input_check
from .actions import ActionResult, StateCheck, ipv6_allocate, ipv6_next_hop_refresh, ipv6_release
from .snapshot import vps_state_refresh
from .state_pass import StateTally, state_pass_run
from .sync import SyncResult, inventory_refresh_request, inventory_sync

__all__ = [
    "ActionResult",
    "StateCheck",
    "StateTally",
    "SyncResult",
    "inventory_refresh_request",
    "inventory_sync",
    "ipv6_allocate",
    "ipv6_input_check",
    "ipv6_next_hop_refresh",
    "ipv6_release",
    "state_pass_run",
    "vps_state_refresh",
    "worker_is_silent",
]
