"""What the pools page shows, derived from HostUp's account state: HostUp's gates decide what is possible."""

from __future__ import annotations

from dataclasses import dataclass

from hostup_dash.hostup import is_valid_vps_id
from hostup_dash.hostup.account_routes import AccountRoutes, Gate, PoolRoute, RouteDestination, RoutePool

from .forms import DEFAULT_PREFIX_LENGTH
from .usage import PoolUsage, pool_usage

NOT_ALLOWED = "HostUp does not allow it now."
# Routes shown per page of a pool's table: a full pool has 65,536, and each row of an admin's page
# carries a delete form (5,000 rows took 3 s to render). Usage and next free count every route.
ROUTES_PER_PAGE = 200


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
    routes: tuple[RouteRow, ...]  # this page's, in address order
    first_shown: int  # 1-based position of the first shown route in the pool
    release_blocker: str
    typed: dict | None  # what its release form sent when it was refused

    @property
    def route_count(self) -> int:
        return len(self.pool.routes)

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.routes) - 1

    @property
    def shown(self) -> str:
        if not self.routes:  # a longer pool beside it has more pages
            return f"All {self.route_count:,} routes of this pool are on earlier pages."
        return f"Routes {self.first_shown:,}–{self.last_shown:,} of {self.route_count:,}, in address order."


@dataclass(frozen=True)
class PoolsPage:
    pools: tuple[PoolPanel, ...]
    eligible: tuple[RouteDestination, ...]  # the only destinations a route may be created for
    allocate_blocker: str
    lengths: tuple[int, ...]
    unavailable: str  # HostUp's reason when it says routed IPv6 is not available to the account
    number: int  # the page of each pool's routes shown, from 1
    pages: int  # pages of the pool with the most routes

    @property
    def query(self) -> str:
        """For the forms' URLs: a write's answer shows the page of routes it was sent from."""
        return f"?page={self.number}" if self.number > 1 else ""

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    def destination_name(self, vps_id: str) -> str:
        return next((d.vps_name or d.vps_id for d in self.eligible if d.vps_id == vps_id), "")


def pools_page(state: AccountRoutes, typed: dict[str, dict] | None = None, number: int = 1) -> PoolsPage:
    """The page; `typed` holds a refused form's input by the id of the route or pool it was for, `number`
    which page of each pool's routes to show (past the last: the last)."""
    typed = typed or {}
    most = max((len(pool.routes) for pool in state.pools), default=0)
    pages = max(1, -(-most // ROUTES_PER_PAGE))
    number = min(max(number, 1), pages)
    start = (number - 1) * ROUTES_PER_PAGE
    panels = []
    for pool in state.pools:
        ordered = sorted(pool.routes, key=lambda route: int(route.network.network_address) if route.network else -1)
        rows = tuple(
            RouteRow(route=route, delete_blocker=_blocker(route.can_delete), typed=typed.get(route.id))
            for route in ordered[start : start + ROUTES_PER_PAGE]
        )
        count = len(pool.routes)
        in_use = f"Delete its {count} route{'s' if count != 1 else ''} first." if count else ""
        panel = PoolPanel(
            pool=pool,
            usage=pool_usage(pool),
            routes=rows,
            first_shown=start + 1,
            release_blocker=in_use,
            typed=typed.get(pool.id),
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
        number=number,
        pages=pages,
    )


def prefix_hint(page: PoolsPage | None, typed: dict) -> dict:
    """The create form's prefix placeholder: the next free prefix of the chosen pool and length, which an
    empty field gets (a fixed example may be taken); an example marked as one when the pool can't be counted."""
    panels = page.pools if page else ()
    panel = next((p for p in panels if p.pool.id == typed.get("poolId")), panels[0] if panels else None)
    if panel is None:
        return {}
    raw = str(typed.get("prefixLength") or DEFAULT_PREFIX_LENGTH)
    length = int(raw) if raw.isdigit() and int(raw) in page.lengths else page.lengths[0]
    if panel.usage is None:
        return {"prefix_placeholder": f"e.g. 2001:db8::/{length}"}
    free = {usage.length: usage.next_free for usage in panel.usage.lengths if usage.length in page.lengths}
    return {
        "prefix_placeholder": str(free[length]) if free.get(length) else "",
        "prefix_next_free": [(each, free[each]) for each in page.lengths if each in free],
        "prefix_pool": panel.pool.parent_cidr or panel.pool.id,
    }


def vps_routes(state: AccountRoutes, vps_id: str) -> tuple[tuple[PoolRoute, ...], bool, str]:
    """The account routes pointing at a VPS, whether it may receive one, and HostUp's reason if not."""
    routes = tuple(route for pool in state.pools for route in pool.routes if route.vps_id == vps_id)
    destination = state.destination(vps_id)
    gate = destination.can_receive_route if destination else Gate(False, "HostUp lists it as no destination.", None)
    return routes, not _blocker(gate), _blocker(gate)
