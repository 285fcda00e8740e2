"""The simulator's in-memory HostUp account: its VPS inventory, their routed-IPv6 allocations and one account pool.

Everything is drawn from one `random.Random(seed)`, so a seed always gives the same fleet.
Seeded timestamps are relative to start-up, because seeded cooldowns must still be running.
Every public method holds the one lock, because the HTTP server calls in from many threads;
the parts it holds (inventory.Fleet, routed.RoutedIpv6, account.Account) take no lock of their own.
"""

import random
import threading

from hostup_dash.simulator.account import Account
from hostup_dash.simulator.account_body import RouteRequest
from hostup_dash.simulator.events import EventLog
from hostup_dash.simulator.formats import new_id, now
from hostup_dash.simulator.inventory import ROLES, Fleet
from hostup_dash.simulator.routed import PARENT_CIDR, RoutedIpv6


class SimState:
    def __init__(self, *, vps_count: int, seed: int) -> None:
        self._lock = threading.Lock()
        rng = random.Random(seed)
        # A stream of its own, so the number of requests never shifts allocation ids.
        self._request_rng = random.Random(f"requests-{seed}")
        self._started_at = now()
        self._fleet = Fleet(rng, net0_network=PARENT_CIDR)
        self._routed = RoutedIpv6(rng)
        self._seed_fleet(rng, vps_count)
        self._account = Account(rng, fleet=self._fleet, started_at=self._started_at)
        self.events = EventLog(seed=seed)  # HostUp's audit log; locks on its own

    def _seed_fleet(self, rng: random.Random, count: int) -> None:
        for number, kind in enumerate(_seed_kinds(rng, count), start=1):
            vps = self._fleet.create(
                name=f"{rng.choice(ROLES)}-{number:03d}",
                primary_ip=None,
                power_state="stopped" if kind == "stopped" else "running",
                has_net0_ipv6=kind != "no_net0",
            )
            if kind == "stopped" and rng.random() < 0.3:
                vps.service_status = "suspended"
            if kind in ("stale", "current", "cooldown"):
                self._routed.seed(
                    vps, started_at=self._started_at, is_stale=kind == "stale", is_in_cooldown=kind == "cooldown"
                )

    def new_request_id(self) -> str:
        with self._lock:
            return new_id(self._request_rng, "req_")

    def vps_ids(self) -> list[str]:
        with self._lock:
            return self._fleet.ids()

    def add_vps(self, *, name: str, primary_ip: str | None, power_state: str, available: bool) -> str:
        with self._lock:
            return self._fleet.create(
                name=name, primary_ip=primary_ip, power_state=power_state, has_net0_ipv6=available
            ).id

    def renumber_net0(self, vps_id: str) -> str:
        with self._lock:
            return self._fleet.renumber_net0(vps_id)

    def list_page(
        self, *, primary_ip: str | None, name: str | None, offset: int, limit: int, include_maintenance: bool
    ) -> tuple[list[dict[str, object]], bool]:
        """One page of VPSes, filtered before paging, and whether more follow."""
        with self._lock:
            return self._fleet.page(
                primary_ip=primary_ip, name=name, offset=offset, limit=limit, include_maintenance=include_maintenance
            )

    def vps_json(self, vps_id: str) -> dict[str, object]:
        with self._lock:
            return self._fleet.find(vps_id).to_json(include_maintenance=False)

    def routed_state(self, vps_id: str) -> dict[str, object]:
        with self._lock:
            return self._routed.state_json(self._fleet.find(vps_id), created=None)

    def allocate(self, vps_id: str) -> tuple[bool, dict[str, object]]:
        """Allocate a /64, or hand back the active one; says whether it is new. Raises 404 and 409 problems."""
        with self._lock:
            return self._routed.allocate(self._fleet.find(vps_id))

    def refresh_next_hop(self, vps_id: str) -> dict[str, object]:
        """Point the active allocation at the current suggested next hop. Raises 404 and 409 problems."""
        with self._lock:
            return self._routed.refresh_next_hop(self._fleet.find(vps_id))

    def release(self, vps_id: str) -> dict[str, object]:
        """Release the active allocation into cooldown; `released` false when there is none. Raises 404."""
        with self._lock:
            return self._routed.release(self._fleet.find(vps_id))

    def expire_cooldowns(self) -> None:
        with self._lock:
            self._routed.expire_cooldowns()
            self._account.expire_cooldown()

    def account_state(self, *, mirror_allocations: bool) -> dict[str, object]:
        """GET /api/v2/routed-ipv6; mirror mode adds every active VPS allocation as a route."""
        with self._lock:
            return self._account.state_json(self._fleet, self._routed, mirror_allocations=mirror_allocations)

    def account_change(self, route: RouteRequest | None, *, mirror_allocations: bool) -> dict[str, object]:
        """POST /api/v2/routed-ipv6: allocate a pool (route None) or create a route; the state after."""
        with self._lock:
            if route is None:
                self._account.allocate_pool()
            else:
                self._account.create_route(route, self._fleet)
            return self._account.state_json(self._fleet, self._routed, mirror_allocations=mirror_allocations)

    def account_route_delete(self, route_id: str, *, mirror_allocations: bool) -> dict[str, object]:
        """DELETE /api/v2/routed-ipv6/routes/{id}; the state after."""
        with self._lock:
            self._account.delete_route(route_id, self._fleet, self._routed, mirror_allocations=mirror_allocations)
            return self._account.state_json(self._fleet, self._routed, mirror_allocations=mirror_allocations)

    def account_pool_release(self, pool_id: str) -> dict[str, object]:
        """DELETE /api/v2/routed-ipv6/{id}: released, and when its cooldown ends."""
        with self._lock:
            return self._account.release_pool(pool_id)


def _seed_kinds(rng: random.Random, count: int) -> list[str]:
    """A shuffled mix with fixed shares, so even a small fleet has one VPS of each interesting kind."""
    unavailable = round(count * 0.15)
    active = round(count * 0.20)
    stale = active // 2  # allocation's next hop differs from the suggested one: a refresh is due
    kinds = (
        ["stopped"] * (unavailable // 2)
        + ["no_net0"] * (unavailable - unavailable // 2)
        + ["stale"] * stale
        + ["current"] * (active - stale)
        + ["cooldown"] * min(2, count // 10)
    )
    kinds += ["idle"] * (count - len(kinds))
    rng.shuffle(kinds)
    return kinds
