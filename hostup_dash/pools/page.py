"""What the pools page shows, derived from HostUp's account state: HostUp's gates decide what is possible."""

from __future__ import annotations

from dataclasses import dataclass

from hostup_dash.hostup import is_valid_vps_id
from hostup_dash.hostup.account_routes import AccountRoutes, Gate, PoolRoute, RouteDestination, RoutePool

from .usage import PoolUsage, pool_usage

NOT_ALLOWED = "HostUp does not allow it now."


def _blocker(gate: Gate | None) -> str:
    """Why HostUp's gate is closed, in its words; "" when it is open (or HostUp sent none)."""
    return "" if gate is None or gate.allowed else (gate.reason or NOT_ALLOWED)


@dataclass(frozen=True)
class RouteRow:
    route: PoolRoute
    delete_blocker: str
    typed: dict | None  # what its delete form sent when it was refused

    @property
    def vps_linkable(self) -> bool:
        """HostUp named a VPS id of the documented form, so its page has a URL."""
        return is_valid_vps_id(self.route.vps_id or "")


@dataclass(frozen=True)
class PoolPanel:
    pool: RoutePool
    usage: PoolUsage | None
    routes: tuple[RouteRow, ...]
    release_blocker: str
    typed: dict | None  # what its release form sent when it was refused


@dataclass(frozen=True)
class PoolsPage:
    pools: tuple[PoolPanel, ...]
    eligible: tuple[RouteDestination, ...]  # the only destinations a route may be created for
    allocate_blocker: str
    lengths: tuple[int, ...]
    unavailable: str  # HostUp's reason when it says routed IPv6 is not available to the account

    def destination_name(self, vps_id: str) -> str:
        return next((d.vps_name or d.vps_id for d in self.eligible if d.vps_id == vps_id), "")


def pools_page(state: AccountRoutes, typed: dict[str, dict] | None = None) -> PoolsPage:
    """The page; `typed` holds a refused form's input by the id of the route or pool it was for."""
    typed = typed or {}
    panels = []
    for pool in state.pools:
        rows = tuple(
            RouteRow(route=route, delete_blocker=_blocker(route.can_delete), typed=typed.get(route.id))
            for route in sorted(
                pool.routes, key=lambda route: int(route.network.network_address) if route.network else -1
            )
        )
        count = len(pool.routes)
        in_use = f"Delete its {count} route{'s' if count != 1 else ''} first." if count else ""
        panel = PoolPanel(
            pool=pool, usage=pool_usage(pool), routes=rows, release_blocker=in_use, typed=typed.get(pool.id)
        )
        panels.append(panel)
    allocate_gate = state.can_allocate_pool
    if allocate_gate is None and state.pools:
        allocate_gate = Gate(allowed=False, reason="The account already holds a pool.", code=None)
    eligible = tuple(d for d in state.destinations if d.can_receive_route is None or d.can_receive_route.allowed)
    return PoolsPage(
        pools=tuple(panels),
        eligible=tuple(sorted(eligible, key=lambda d: (d.vps_name or "", d.vps_id))),
        allocate_blocker=_blocker(allocate_gate),
        lengths=state.allowed_prefix_lengths,
        unavailable=(state.reason or NOT_ALLOWED) if state.available is False else "",
    )


def vps_routes(state: AccountRoutes, vps_id: str) -> tuple[tuple[PoolRoute, ...], bool, str]:
    """The account routes pointing at a VPS, whether it may receive one, and HostUp's reason if not."""
    routes = tuple(route for pool in state.pools for route in pool.routes if route.vps_id == vps_id)
    destination = state.destination(vps_id)
    gate = destination.can_receive_route if destination else Gate(False, "HostUp lists it as no destination.", None)
    return routes, not _blocker(gate), _blocker(gate)
